import { ArgumentMetadata, BadRequestException, Injectable, NotFoundException, PipeTransform } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * The one parsing layer for what a request says: row ids, whole numbers and query strings, for the pages and the
 * API alike. The rule: bad input is a 400 (query, form and JSON values) or a 404 (an id in the path) with a
 * message, and never reaches the database, where it would be a 500 (integer overflow, NUL in text, ...).
 */

/** Postgres `integer`, the type of every row id and log sequence number. */
export const PG_INTEGER_MAX = 2_147_483_647;

/** How messages describe an id. */
export const ROW_ID_RULE = `a whole number from 1 to ${PG_INTEGER_MAX}`;

/** Whether `value` can be a row id: a whole number from 1 to 2^31 − 1. */
export const isRowId = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= PG_INTEGER_MAX;

/** A value as a message quotes it: at most 40 characters, control characters escaped. */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).join(',') : String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

// Digits with an optional minus, nothing else: no exponent, hex, spaces inside or decimal point. 16 digits at most
// keeps Number() exact before the range check.
const INTEGER_TEXT = /^-?\d{1,16}$/;

/**
 * `raw` as a whole number in [min, max], or null. Text must be written plainly (`12`, `-3`; not `1e3`, `0x10`,
 * `12.0`); surrounding spaces are ignored. A JSON number must be a whole number.
 */
export function integerFrom(raw: unknown, min: number, max: number): number | null {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && INTEGER_TEXT.test(raw.trim())) value = Number(raw.trim());
  else return null;
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}

/** Whether `value` is a UUID (user ids): anything else names no user and is never sent to Postgres as one. */
export const isUuid = (value: unknown): value is string =>
  typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** `raw` as a row id, or null. */
export const rowIdFrom = (raw: unknown): number | null => integerFrom(raw, 1, PG_INTEGER_MAX);

const isBlank = (raw: unknown) => raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');

/** A query or form field holding a whole number: `fallback` when missing or blank, a 400 naming the range otherwise. */
export function integerParam(raw: unknown, name: string, range: { min: number; max: number }, fallback: number): number {
  return optionalIntegerParam(raw, name, range) ?? fallback;
}

/** Like integerParam, but undefined when missing or blank. */
export function optionalIntegerParam(raw: unknown, name: string, { min, max }: { min: number; max: number }): number | undefined {
  if (isBlank(raw)) return undefined;
  const value = integerFrom(raw, min, max);
  if (value === null) throw new BadRequestException(`${name} must be a whole number from ${min} to ${max}, not ${quoted(raw)}`);
  return value;
}

// A decimal number as a person or a page's script writes it: `12`, `-3.5`, `.5`; no exponent, hex or `Infinity`.
const DECIMAL_TEXT = /^-?(\d{1,16}(\.\d{0,16})?|\.\d{1,16})$/;

/** A query or form field holding a decimal number in [min, max]; a 400 naming the range when missing or not one. */
export function numberParam(raw: unknown, name: string, { min, max }: { min: number; max: number }): number {
  const text = typeof raw === 'string' ? raw.trim() : '';
  const value = DECIMAL_TEXT.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new BadRequestException(`${name} must be a number from ${min} to ${max}, not ${quoted(raw ?? '')}`);
  return value;
}

/** An id in a query string or form field: undefined when missing or blank, a 400 when it cannot be an id. */
export function optionalRowIdParam(raw: unknown, name: string): number | undefined {
  if (isBlank(raw)) return undefined;
  const id = rowIdFrom(raw);
  if (id === null) throw new BadRequestException(`${name} must be an id (${ROW_ID_RULE}), not ${quoted(raw)}`);
  return id;
}

/**
 * Ids posted by a form (ticked checkboxes: one string or an array of them) or sent in JSON: each once, in order.
 * Anything that cannot be an id is a 400 naming it.
 */
export function rowIdList(raw: unknown, what = 'item'): number[] {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const ids = values.map(rowIdFrom);
  const bad = values.find((_value, i) => ids[i] === null);
  if (bad !== undefined || ids.includes(null)) throw new BadRequestException(`Invalid ${what} id ${quoted(bad)}: ids are whole numbers from 1 to ${PG_INTEGER_MAX}`);
  return [...new Set(ids as number[])];
}

const CANONICAL_ID = /^[1-9]\d{0,9}$/;

/**
 * `@Param('id', ParseRowIdPipe)`: a path id. One that cannot be an id names nothing, so it is a 404 (like an id
 * that names no row), with a message.
 */
@Injectable()
export class ParseRowIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata?: ArgumentMetadata): number {
    // A path names one thing one way: no spaces, signs or leading zeros (`/targets/007` is not `/targets/7`).
    const id = typeof value === 'string' && CANONICAL_ID.test(value) ? rowIdFrom(value) : null;
    if (id === null) throw new NotFoundException(`There is nothing with ${metadata?.data ?? 'id'} ${quoted(value)}: ids are whole numbers from 1 to ${PG_INTEGER_MAX}`);
    return id;
  }
}

// C0 control characters and DEL. No query value has a use for them, and Postgres cannot store NUL in text at all.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export const hasControlCharacter = (text: string): boolean => CONTROL_CHARACTER.test(text);

/**
 * Why a query value cannot be read, or null when it can: a repeated parameter (`?q=a&q=b`) is a mistake we do
 * not guess about (pages and API alike), and control characters belong to no field.
 */
export function queryValueProblem(name: string | undefined, value: unknown): string | null {
  const parameter = name === undefined ? 'A query parameter' : `The query parameter ${quoted(name)}`;
  if (name !== undefined && CONTROL_CHARACTER.test(name)) return `${parameter} has a control character in its name`;
  if (Array.isArray(value)) return `${parameter} is given ${value.length} times; give it once`;
  if (value !== undefined && typeof value !== 'string') return `${parameter} must be a single value`;
  if (value !== undefined && CONTROL_CHARACTER.test(value)) return `${parameter} holds a control character (such as NUL or a line break), which no field accepts`;
  return null;
}

/** Checks every parameter of a parsed query string; a 400 with the first problem. */
export function checkQuery(query: unknown): void {
  if (query === undefined || query === null) return;
  if (typeof query !== 'object') throw new BadRequestException('The query string cannot be read');
  for (const [name, value] of Object.entries(query)) {
    const problem = queryValueProblem(name, value);
    if (problem) throw new BadRequestException(problem);
  }
}

/** One query value, trimmed: undefined when missing or blank; a 400 when repeated or holding control characters. */
export function queryText(value: unknown, name?: string): string | undefined {
  const problem = queryValueProblem(name, value);
  if (problem) throw new BadRequestException(problem);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The fields a page form may repeat: its checkbox lists. Any other field given twice is a mistake. */
export const FORM_LIST_FIELDS: ReadonlySet<string> = new Set(['productIds', 'targetIds', 'pipelines', 'presetIds']);

/** Why one field of a page form cannot be read, or null: repeated (outside FORM_LIST_FIELDS) or nested. */
export function formFieldProblem(name: string, value: unknown): string | null {
  if (Array.isArray(value)) {
    if (!FORM_LIST_FIELDS.has(name)) return `The field ${quoted(name)} is given ${value.length} times; give it once`;
    if (value.some((item) => item !== null && typeof item === 'object')) return `The field ${quoted(name)} must be a list of values`;
    return null;
  }
  if (value !== null && typeof value === 'object') return `The field ${quoted(name)} must be a single value`;
  return null;
}

/** The first problem of a page form's fields (see formFieldProblem), or null. */
export function formProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body === undefined || body === null ? null : 'The form cannot be read';
  for (const [name, value] of Object.entries(body)) {
    const problem = formFieldProblem(name, value);
    if (problem) return problem;
  }
  return null;
}

/**
 * The path to the first string or key holding NUL in a parsed body (`points.3.filter`), or null. Postgres refuses
 * NUL in text and JSON, so no field may hold one. Walks iteratively: the body parsers bound the depth, not this.
 */
export function nulPath(body: unknown, maxNodes = 200_000): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value: body, path: '' }];
  for (let seen = 0; stack.length && seen < maxNodes; seen++) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path || 'body';
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return childPath;
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return null;
}

/** The deepest a JSON body may nest its arrays and objects. */
export const JSON_MAX_DEPTH = 32;

/**
 * Whether a JSON text nests arrays and objects deeper than `limit`, read from the raw bytes without parsing (brackets
 * inside strings do not count). The parser copes with any depth, but what reads the result recursively does not.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > limit) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}

/**
 * The JSON body parser's `verify` hook: a body nested deeper than JSON_MAX_DEPTH is a 400 before it is parsed. The
 * error carries body-parser's own fields (status, expose, type), so the error filter reports it like the others.
 */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonNestsDeeperThan(body, JSON_MAX_DEPTH)) {
    throw Object.assign(new Error(`JSON nested deeper than ${JSON_MAX_DEPTH} levels`), { status: 400, expose: true, type: 'entity.too.deep' });
  }
}

/** The message for a NUL found at `path` of a body (see nulPath). */
export const nulMessage = (path: string) => `The field ${quoted(path)} holds a NUL character, which no field accepts`;

/**
 * Express middleware after the JSON and form parsers, before any guard reads a body (the log-in form's, the join
 * code's): a NUL anywhere, or a form field given twice or nested where one value belongs, is a 400. Multipart
 * bodies are parsed later, by the upload interceptors; the global pipe checks those (src/common/validation.ts).
 */
export function refuseUnreadableBody(req: Request, _res: Response, next: NextFunction): void {
  const body: unknown = req.body;
  if (body === undefined || body === null || typeof body !== 'object') return next();
  const path = nulPath(body);
  if (path !== null) return next(new BadRequestException(nulMessage(path)));
  const problem = req.is('application/x-www-form-urlencoded') ? formProblem(body) : null;
  next(problem ? new BadRequestException(problem) : undefined);
}
