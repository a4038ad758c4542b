/**
 * The login cards of a roster import as CSV: one row per new account, with what the student needs to log in.
 * Pure. Its `name` and `username` columns are the roster format's, so the file can be imported again (the students
 * are then already in the class and nothing changes).
 */

export interface LoginCard {
  displayName: string;
  username: string;
  password: string;
}

export const LOGIN_CARDS_CSV_HEADER = 'name,username,password,class,portal';

function field(value: string): string {
  // A leading = + - @ would be a formula in a spreadsheet; an apostrophe keeps it text.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",;\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function loginCardsToCsv(cards: LoginCard[], className: string, portalUrl: string): string {
  const rows = cards.map((card) => [card.displayName, card.username, card.password, className, portalUrl].map(field).join(','));
  return [LOGIN_CARDS_CSV_HEADER, ...rows].join('\r\n') + '\r\n';
}

/** A file name for the download: the class name in safe characters. */
export function loginCardsFileName(className: string): string {
  const slug = className.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).toLowerCase();
  return `${slug || 'class'}-login-cards.csv`;
}
