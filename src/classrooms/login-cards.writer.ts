/**
 * The login cards of a roster import as CSV: one row per new account, with what the student needs to log in.
 * Pure. Its `name` and `username` columns are the roster format's, so the file can be imported again (the students
 * are then already in the class and nothing changes). Written by the portal's one CSV writer (formula-safe cells),
 * with CRLF line ends for spreadsheets.
 */
import { toCsv } from '../common/csv-writer';

export interface LoginCard {
  displayName: string;
  username: string;
  password: string;
}

export const LOGIN_CARDS_CSV_COLUMNS = ['name', 'username', 'password', 'class', 'portal'] as const;
export const LOGIN_CARDS_CSV_HEADER = LOGIN_CARDS_CSV_COLUMNS.join(',');

export function loginCardsToCsv(cards: LoginCard[], className: string, portalUrl: string): string {
  const rows = cards.map((card) => [card.displayName, card.username, card.password, className, portalUrl]);
  return toCsv(LOGIN_CARDS_CSV_COLUMNS, rows, { lineEnd: '\r\n' });
}

/** A file name for the download: the class name in safe characters. */
export function loginCardsFileName(className: string): string {
  const slug = className.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).toLowerCase();
  return `${slug || 'class'}-login-cards.csv`;
}
