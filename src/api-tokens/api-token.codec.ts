import { createHash, randomBytes } from 'node:crypto';

/** Every token starts with this, so a leaked one is easy to recognise (and to grep for in a repository). */
export const TOKEN_PREFIX = 'aep_';
const TOKEN_PATTERN = /^aep_[A-Za-z0-9_-]{43}$/;

/** A new token: the prefix and 32 random bytes in base64url (256 bits). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a string could be one of our tokens at all; anything else is refused without a database query. */
export function looksLikeToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** The token of an `Authorization: Bearer …` header; null when the header is absent or of another scheme. */
export function bearerTokenOf(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
