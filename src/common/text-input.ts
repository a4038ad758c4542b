import { BadRequestException } from '@nestjs/common';
import { ValidateBy, ValidationOptions } from 'class-validator';
import { checkText, TEXT_RULES, TextField } from './text';

/** The text rule (text.ts) at a door: the cleaned value, or a 400 with the rule's message. */
export function textOrThrow(raw: unknown, field: TextField, options: { required?: boolean } = {}): string {
  const result = checkText(raw, field, options);
  if (result.error !== undefined) throw new BadRequestException(result.error);
  return result.value;
}

/**
 * A DTO property checked by the same rule as the pages (text.ts), so the API refuses exactly what the forms
 * refuse, with the same message. The service cleans the value again when it stores it.
 */
export function IsText(field: TextField, options?: ValidationOptions & { required?: boolean }): PropertyDecorator {
  const problem = (value: unknown) => checkText(value, field, { required: options?.required }).error;
  return ValidateBy(
    {
      name: 'isText',
      constraints: [TEXT_RULES[field].max],
      validator: {
        validate: (value) => problem(value) === undefined,
        defaultMessage: (args) => `${args?.property}: ${problem(args?.value) ?? 'invalid'}`,
      },
    },
    options,
  );
}
