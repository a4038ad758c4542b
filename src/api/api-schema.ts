import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { PG_INTEGER_MAX } from '../common/request-parsing';

/*
 * How the OpenAPI document states numbers the API only ever reads or writes whole: row ids (what ParseRowIdPipe
 * and @IsRowId accept, a Postgres integer from 1) and counts. Kept apart from api-docs.decorators.ts, which
 * imports the DTOs that use these.
 */

/** A row id: a whole number from 1 to 2^31 − 1. */
export const ROW_ID_SCHEMA = { type: 'integer', format: 'int32', minimum: 1, maximum: PG_INTEGER_MAX } as const;

type Options = Omit<ApiPropertyOptions, 'type'>;

export const ApiRowId = (options: Options = {}) => ApiProperty({ ...ROW_ID_SCHEMA, ...options } as ApiPropertyOptions);
export const ApiRowIdOptional = (options: Options = {}) => ApiPropertyOptional({ ...ROW_ID_SCHEMA, ...options } as ApiPropertyOptions);
/** A list of row ids (`items` carries the id's schema). */
export const ApiRowIds = (options: Options = {}) => ApiProperty({ type: 'array', items: { ...ROW_ID_SCHEMA }, ...options } as ApiPropertyOptions);

/** A count or another whole number (sizes, line numbers, sequence numbers), 0 or more unless `minimum` says. */
export const ApiWholeNumber = (options: Options = {}) => ApiProperty({ type: 'integer', minimum: 0, ...options } as ApiPropertyOptions);
export const ApiWholeNumberOptional = (options: Options = {}) => ApiPropertyOptional({ type: 'integer', minimum: 0, ...options } as ApiPropertyOptions);
