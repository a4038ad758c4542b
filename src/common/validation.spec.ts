import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { IsInt, IsString, Min } from 'class-validator';
import { PortalValidationPipe, StrictInput } from './validation';

class FormBody {
  @IsString()
  name: string;
}

@StrictInput()
class ApiBody {
  @IsInt()
  @Min(1)
  count: number;
}

class DerivedApiBody extends ApiBody {}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse();
  }
  throw new Error('expected a 400');
}

describe('PortalValidationPipe', () => {
  const pipe = new PortalValidationPipe();

  it('drops unknown fields of page forms (they carry _csrf)', async () => {
    expect(await pipe.transform({ name: 'x', _csrf: 't' }, body(FormBody))).toEqual(Object.assign(new FormBody(), { name: 'x' }));
  });

  it('refuses unknown fields of @StrictInput DTOs, and of their subclasses', async () => {
    expect(await refusal(pipe.transform({ count: 2, extra: 1 }, body(ApiBody)))).toEqual({
      message: 'Validation failed',
      errors: { extra: ['property extra should not exist'] },
    });
    expect(await refusal(pipe.transform({ count: 2, extra: 1 }, body(DerivedApiBody)))).toMatchObject({ errors: { extra: expect.any(Array) } });
  });

  it('names each invalid field with its messages', async () => {
    expect(await refusal(pipe.transform({ count: 0 }, body(ApiBody)))).toEqual({ message: 'Validation failed', errors: { count: ['count must not be less than 1'] } });
    expect(await refusal(pipe.transform({}, body(FormBody)))).toEqual({ message: 'Validation failed', errors: { name: ['name must be a string'] } });
  });
});
