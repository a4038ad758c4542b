import { randomInt } from 'node:crypto';

/**
 * Class join codes: 8 characters from an alphabet without look-alikes (no 0/O, no 1/I), stored without the dash
 * and shown as "ABCD-EF23". What a student types is compared case-insensitively, ignoring dashes and spaces.
 * Pure: no framework imports.
 */
export const JOIN_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const JOIN_CODE_LENGTH = 8;

/** A new random code, as stored (no dash). 32^8 ≈ 10^12 codes; guesses are throttled. */
export function generateJoinCode(): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}

/** The stored form of what someone typed, or null when it cannot be a code (wrong length or letters). */
export function normalizeJoinCode(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const code = input.replace(/[\s-]+/g, '').toUpperCase();
  if (code.length !== JOIN_CODE_LENGTH) return null;
  for (const c of code) if (!JOIN_CODE_ALPHABET.includes(c)) return null;
  return code;
}

/** "ABCDEF23" → "ABCD-EF23", for reading aloud and writing on a board. */
export function formatJoinCode(code: string): string {
  return code.length === JOIN_CODE_LENGTH ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}
