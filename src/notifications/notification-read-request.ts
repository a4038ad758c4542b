import { BadRequestException } from '@nestjs/common';
import { quoted, rowIdList } from '../common/request-parsing';

const TICKED = new Set<unknown>(['on', 'true', '1', true]);

/**
 * Which notifications to mark read, from the page's forms (`ids=5`, or `all=on`) or the API's body (`{ids: [5]}` or
 * `{all: true}`): the ids, or 'all'. Exactly one of the two; anything else is a 400 naming it, before anything is
 * changed. Pure.
 */
export function readRequest(body: unknown): number[] | 'all' {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('The form cannot be read');
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!['ids', 'all', '_csrf'].includes(name)) throw new BadRequestException(`Marking notifications read takes "ids" or "all", not ${quoted(name)}`);
  }
  const ids = fields.ids === undefined ? undefined : rowIdList(fields.ids, 'notification');
  let all = false;
  if (fields.all !== undefined && fields.all !== false) {
    if (!TICKED.has(fields.all)) throw new BadRequestException(`"all" must be true, not ${quoted(fields.all)}`);
    all = true;
  }
  if (all && ids !== undefined) throw new BadRequestException('Give the ids of the notifications to mark read, or "all", not both');
  if (all) return 'all';
  if (!ids?.length) throw new BadRequestException('Give the ids of the notifications to mark read, or "all"');
  return ids;
}
