import { checkText, TEXT_RULES } from '../common/text';

/** Pure rules for account fields, shared by the pages, the API and the service. */

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase; bounds the hashing work one request can ask for. */
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_DISPLAY_NAME_LENGTH = TEXT_RULES.displayName.max;

/** A display name as stored, by the text rule (common/text.ts), null when blank; throws the reason when unusable. */
export function cleanDisplayName(value: unknown): string | null {
  const checked = checkText(value, 'displayName');
  if (checked.error !== undefined) throw new AccountRuleError(checked.error);
  return checked.value || null;
}

/**
 * An email address as stored, null when blank; throws the reason when unusable. Checked simply: the text rule
 * (common/text.ts: no control characters, at most 254 characters), then one `@` with something before it and a
 * domain with a dot after it, and no spaces, quotes, commas or brackets. Whether mail arrives is the server's business.
 */
export function cleanEmail(value: unknown): string | null {
  const checked = checkText(value, 'email');
  if (checked.error !== undefined) throw new AccountRuleError(checked.error);
  const email = checked.value;
  if (!email) return null;
  const match = /^([^\s@"(),:;<>[\]\\]{1,64})@([^\s@"(),:;<>[\]\\]+\.[^\s@"(),:;<>[\]\\.]{2,})$/u.exec(email);
  if (!match || match[2].split('.').some((label) => !label)) {
    throw new AccountRuleError(`"${email}" is not an email address: write it as name@school.example`);
  }
  return email;
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
