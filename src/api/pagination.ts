import { applyDecorators, Type as ClassType } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { MAX_OFFSET } from '../common/paging';
import { IntegerText, IsWholeNumber, StrictInput } from '../common/validation';
import { ApiWholeNumber } from './api-schema';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface Paging {
  limit: number;
  offset: number;
}

/** Every list answers in this shape; `total` counts all matches, not just this page. */
export interface Page<T> extends Paging {
  items: T[];
  total: number;
}

/** `?limit=&offset=`, shared by every list's query DTO; read by the pages' rule (src/common/request-parsing.ts). */
@StrictInput()
export class PaginationQueryDto implements Paging {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'items per page' })
  @IntegerText()
  @IsWholeNumber(1, MAX_LIMIT)
  limit: number = DEFAULT_LIMIT;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0, description: 'items to skip' })
  @IntegerText()
  @IsWholeNumber(0, MAX_OFFSET)
  offset: number = 0;
}

export function paged<T, R = T>(result: { items: T[]; total: number }, paging: Paging, present?: (item: T) => R): Page<R> {
  const items = present ? result.items.map(present) : (result.items as unknown as R[]);
  return { items, total: result.total, limit: paging.limit, offset: paging.offset };
}

/** Pages of an in-memory list (the pipeline registry, which is not in the database). */
export function pageOfArray<T>(all: T[], paging: Paging): { items: T[]; total: number } {
  return { items: all.slice(paging.offset, paging.offset + paging.limit), total: all.length };
}

class PageEnvelopeDto {
  @ApiWholeNumber({ description: 'all matches, not only this page' }) total: number;
  @ApiWholeNumber({ minimum: 1 }) limit: number;
  @ApiWholeNumber() offset: number;
}

/** OpenAPI: a 200 whose body is `{ items: Item[], total, limit, offset }`. */
export function ApiPageResponse(item: ClassType<unknown>, description?: string) {
  return applyDecorators(
    ApiExtraModels(PageEnvelopeDto, item),
    ApiOkResponse({
      description,
      schema: {
        allOf: [
          { $ref: getSchemaPath(PageEnvelopeDto) },
          { properties: { items: { type: 'array', items: { $ref: getSchemaPath(item) } } }, required: ['items'] },
        ],
      },
    }),
  );
}
