import { ArgumentMetadata, BadRequestException, SetMetadata, ValidationError, ValidationPipe } from '@nestjs/common';

const STRICT_INPUT = 'strictInput';

/**
 * Marks a DTO whose unknown properties are refused (400) rather than dropped: the JSON API's inputs, where a
 * misspelt field should be reported. Page forms stay lenient, since they carry `_csrf` and similar extras.
 */
export const StrictInput = (): ClassDecorator => SetMetadata(STRICT_INPUT, true);

function isStrict(metatype: unknown): boolean {
  return typeof metatype === 'function' && Reflect.getMetadata(STRICT_INPUT, metatype) === true;
}

/** Field name → messages, nested fields as `points.0.magnitude`. */
export function fieldErrors(errors: ValidationError[], prefix = ''): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const error of errors) {
    const field = prefix + error.property;
    if (error.constraints) result[field] = Object.values(error.constraints);
    if (error.children?.length) Object.assign(result, fieldErrors(error.children, `${field}.`));
  }
  return result;
}

/** The 400 every invalid body or query gets: `{ statusCode, message: 'Validation failed', errors: {field: [...]} }`. */
export function validationException(errors: ValidationError[]): BadRequestException {
  return new BadRequestException({ message: 'Validation failed', errors: fieldErrors(errors) });
}

const COMMON = { transform: true, whitelist: true, exceptionFactory: validationException } as const;

/** The app's one global pipe: lenient for page forms, strict (forbidNonWhitelisted) for `@StrictInput()` DTOs. */
export class PortalValidationPipe extends ValidationPipe {
  private readonly strict = new ValidationPipe({ ...COMMON, forbidNonWhitelisted: true });

  constructor() {
    super(COMMON);
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    return isStrict(metadata.metatype) ? this.strict.transform(value, metadata) : super.transform(value, metadata);
  }
}
