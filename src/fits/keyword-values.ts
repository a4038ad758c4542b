import { headerValue } from './header';
import { FitsCard } from './types';

/** Reports a header problem; the caller's version throws a FitsError naming file and HDU. */
export type Fail = (reason: string) => never;

/** A keyword that must be there with a safe integer value. */
export function integerKeyword(cards: FitsCard[], keyword: string, fail: Fail): number {
  const value = headerValue(cards, keyword);
  if (value === undefined) fail(`missing ${keyword} keyword`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(`invalid ${keyword} = ${describe(value)} (must be an integer)`);
  return value as number;
}

/** A keyword that may be missing (or have an empty value); if it has a value, a finite number. */
export function optionalNumberKeyword(cards: FitsCard[], keyword: string, fail: Fail): number | undefined {
  const value = headerValue(cards, keyword);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`invalid ${keyword} = ${describe(value)} (must be a number)`);
  return value as number;
}

/**
 * An integer keyword read exactly from the card text, for values beyond 2^53 (64-bit BLANK); undefined when the
 * keyword is missing or empty.
 */
export function exactIntegerKeyword(cards: FitsCard[], keyword: string, fail: Fail): bigint | undefined {
  const value = headerValue(cards, keyword);
  if (value === undefined || value === null) return undefined;
  const card = cards.find((c) => c.keyword.toUpperCase() === keyword.toUpperCase()) as FitsCard;
  const text = card.raw.slice(10).split('/')[0].trim();
  if (typeof value !== 'number' || !/^[+-]?\d+$/.test(text)) fail(`invalid ${keyword} = ${describe(value)} (must be an integer)`);
  return BigInt(text);
}

function describe(value: FitsCard['value'] | undefined): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === true) return 'T';
  if (value === false) return 'F';
  return String(value);
}
