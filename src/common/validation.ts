import { ArgumentMetadata, BadRequestException, NotFoundException, SetMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';
import { checkQuery, formFieldProblem, formProblem, hasControlCharacter, integerFrom, isRowId, nulMessage, nulPath, queryValueProblem, quoted, ROW_ID_RULE } from './request-parsing';

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

/** A DTO field holding a row id (request-parsing's rule: 1 to 2^31 − 1); in a JSON body it must be a number. */
export function IsRowId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRowId',
      validator: { validate: (value) => isRowId(value), defaultMessage: buildMessage((each) => `${each}$property must be an id (${ROW_ID_RULE})`, options) },
    },
    options,
  );
}

/** A DTO field holding a whole number from `min` to `max`. */
export function IsWholeNumber(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWholeNumber',
      constraints: [min, max],
      validator: {
        validate: (value) => typeof value === 'number' && integerFrom(value, min, max) !== null,
        defaultMessage: buildMessage((each) => `${each}$property must be a whole number from ${min} to ${max}`, options),
      },
    },
    options,
  );
}

/**
 * A query-string number, read by request-parsing's rule: plain digits become a number, anything else (`1e308`,
 * `0x10`, `NaN`) stays text, so IsRowId / IsWholeNumber refuse it with their message.
 */
export const IntegerText = (): PropertyDecorator =>
  Transform(({ value }) => (typeof value === 'string' && integerFrom(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) !== null ? Number(value.trim()) : value));

// What a handler reads without a DTO class: a page form (or JSON sent to a page's route), read field by field.
const PLAIN_TYPES: unknown[] = [undefined, Object, String, Number, Boolean, Array];
const isDtoClass = (metatype: unknown) => typeof metatype === 'function' && !PLAIN_TYPES.includes(metatype);

/**
 * What no handler may see, whatever it reads: a query parameter given twice or holding control characters (400), a
 * path segment holding them (404), a NUL anywhere in a body (400: Postgres cannot store it), and in a page form a
 * field given twice (only checkbox lists repeat) or nested (`name[a]=`), which the form's reader would mangle.
 */
export function refuseUnreadableInput(value: unknown, metadata: ArgumentMetadata): void {
  if (metadata.type === 'query') {
    if (metadata.data === undefined) return checkQuery(value);
    const problem = queryValueProblem(metadata.data, value);
    if (problem) throw new BadRequestException(problem);
  } else if (metadata.type === 'param') {
    if (typeof value === 'string' && hasControlCharacter(value)) throw new NotFoundException(`There is no such page: ${quoted(value)} holds a control character`);
  } else if (metadata.type === 'body') {
    const path = nulPath(value);
    if (path !== null) throw new BadRequestException(nulMessage(metadata.data ? `${metadata.data}${path === 'body' ? '' : `.${path}`}` : path));
    if (isDtoClass(metadata.metatype)) return;
    const problem = metadata.data ? formFieldProblem(metadata.data, value) : formProblem(value);
    if (problem) throw new BadRequestException(problem);
  }
}

/** The app's one global pipe: lenient for page forms, strict (forbidNonWhitelisted) for `@StrictInput()` DTOs. */
export class PortalValidationPipe extends ValidationPipe {
  private readonly strict = new ValidationPipe({ ...COMMON, forbidNonWhitelisted: true });

  constructor() {
    super(COMMON);
  }

  /**
   * Path and query values stay text: Nest would turn `@Param('id') id: number` into `+value`, so that `1.0`, `0x1`
   * and ` 1` all named row 1. Numbers are read by request-parsing's rule (ParseRowIdPipe, integerParam...).
   */
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    refuseUnreadableInput(value, metadata);
    // A POST without a body (express 5 leaves req.body undefined) is an empty form, not a reason for a TypeError.
    if (metadata.type === 'body' && metadata.data === undefined && value === undefined) value = {};
    return isStrict(metadata.metatype) ? this.strict.transform(value, metadata) : super.transform(value, metadata);
  }
}
