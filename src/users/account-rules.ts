import { hasControlCharacters } from '../common/text';

/** Pure rules for account fields, shared by the pages, the API and the service. */

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase; bounds the hashing work one request can ask for. */
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_DISPLAY_NAME_LENGTH = 150;

/** A display name as stored: trimmed, null when blank; throws the reason when unusable. */
export function cleanDisplayName(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new AccountRuleError('The display name must be text');
  const name = value.trim();
  if (!name) return null;
  if (name.length > MAX_DISPLAY_NAME_LENGTH) throw new AccountRuleError(`The display name is at most ${MAX_DISPLAY_NAME_LENGTH} characters`);
  if (hasControlCharacters(name)) throw new AccountRuleError('The display name cannot contain line breaks or control characters');
  return name;
}

/** Why a new password cannot be used, or null. `current` is the password it replaces, when known. */
export function newPasswordProblem(next: string, confirm: string, current?: string): string | null {
  if (next.length < MIN_PASSWORD_LENGTH) return `The new password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (next.length > MAX_PASSWORD_LENGTH) return `The new password is at most ${MAX_PASSWORD_LENGTH} characters`;
  if (next !== confirm) return 'The two new passwords differ; type the same one twice';
  if (current !== undefined && next === current) return 'Choose a password different from the current one';
  return null;
}

/** A rule broken by user input; the service turns it into a 400. */
export class AccountRuleError extends Error {}
