import { BadRequestException } from '@nestjs/common';
import { ParamsError } from '../pipeline-sdk/pipeline-params';

/**
 * A 400 for refused parameter values, carrying each field's message: the API answers them as `errors`
 * (`params.<name>` → messages, as a refused DTO field), and the picker shows each beside its input.
 */
export class ParamsRefusedException extends BadRequestException {
  constructor(readonly fields: Record<string, string>) {
    super({
      message: `Check the parameters: ${Object.entries(fields).map(([name, message]) => `${name} ${message}`).join('; ')}`,
      errors: Object.fromEntries(Object.entries(fields).map(([name, message]) => [`params.${name}`, [message]])),
    });
  }

  /** Runs `work`, turning a ParamsError into this exception. */
  static wrap<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof ParamsError) throw new ParamsRefusedException(error.fields);
      throw error;
    }
  }
}
