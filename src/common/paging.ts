import { integerParam, PG_INTEGER_MAX, queryText } from './request-parsing';

/** `?limit=&offset=` on the pages (the same words as /runs and the API). */
export interface PageRequest {
  limit: number;
  offset: number;
}

export interface PageView {
  total: number;
  /** 1-based number of the first row shown, 0 when none. */
  from: number;
  to: number;
  /** "120 targets, showing 51–100" (or "1 target", "0 targets"). */
  summary: string;
  prevUrl: string | null;
  nextUrl: string | null;
}

/** A query-string value, trimmed; undefined when missing or blank (request-parsing's rule: a 400 when repeated). */
export { queryText };

/** The largest offset a page or the API takes: row counts never pass Postgres' integer. */
export const MAX_OFFSET = PG_INTEGER_MAX;

/** Reads `limit` (1–max, default `defaultLimit`) and `offset` (0 or more) from a page's query string; 400 otherwise. */
export function parsePageRequest(query: Record<string, unknown>, defaultLimit: number, maxLimit: number): PageRequest {
  return {
    limit: integerParam(query.limit, 'limit', { min: 1, max: maxLimit }, defaultLimit),
    offset: integerParam(query.offset, 'offset', { min: 0, max: MAX_OFFSET }, 0),
  };
}

type QueryParams = Record<string, string | number | undefined | null>;

/** `path?params&limit=&offset=#hash`, leaving out empty params, the default limit and offset 0. */
export function pageUrl(path: string, params: QueryParams, page: PageRequest, defaultLimit: number, hash = ''): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  if (page.limit !== defaultLimit) search.set('limit', String(page.limit));
  if (page.offset > 0) search.set('offset', String(page.offset));
  const query = search.toString();
  return `${path}${query ? `?${query}` : ''}${hash}`;
}

/**
 * "a–b of total" and the previous/next links for one page. `params` are the page's other query parameters (its
 * filters), kept in both links; empty ones are left out, and so is `limit` when it is the default.
 */
export function pageView(
  path: string,
  params: QueryParams,
  page: PageRequest & { total: number; shown: number },
  defaultLimit: number,
  noun: { one: string; many: string },
  hash = '',
): PageView {
  const url = (offset: number) => pageUrl(path, params, { limit: page.limit, offset }, defaultLimit, hash);
  const { total, limit, offset, shown } = page;
  const from = shown ? offset + 1 : 0;
  const to = offset + shown;
  const counted = `${total} ${total === 1 ? noun.one : noun.many}`;
  return {
    total,
    from,
    to,
    summary: shown === total ? counted : shown ? `${counted}, showing ${from}–${to}` : `${counted}, none on this page`,
    prevUrl: offset > 0 ? url(Math.max(0, Math.min(offset - limit, Math.floor(Math.max(total - 1, 0) / limit) * limit))) : null,
    nextUrl: offset + limit < total ? url(offset + limit) : null,
  };
}
