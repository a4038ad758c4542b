/**
 * The portal's one CSV writer: every CSV it offers (photometry and light-curve exports, login cards, the
 * pipelines' tables) is written here, so no cell can become a spreadsheet formula. Pure.
 *
 * The formula rule: a text cell whose first character is = + - @ (or their full-width forms), tab, carriage return
 * or line feed, or whose first non-blank character is one of = + - @, is opened by spreadsheets as a formula
 * (`=HYPERLINK(...)` from a FITS header would run). Such a cell is written with an apostrophe in front, which
 * spreadsheets show as text and do not evaluate. Numbers are never touched: a JavaScript number, or text that is
 * exactly a plain decimal number such as `-1.5`, `+3` or `-2.5e-3`, is written as it is, so negative magnitudes
 * stay numbers. A cell that already starts with an apostrophe before such a character gets one more, so
 * `readCsvText` gives back exactly what was written, and the portal's readers read its exports back unchanged.
 *
 * Fields are quoted (RFC 4180, doubled quotes) when they hold a comma, semicolon (European spreadsheets split on
 * it), quote, line break, or leading or trailing blanks.
 */

export type CsvValue = string | number | boolean | null | undefined;

const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// First character: a formula sign (ASCII or full-width) or a tab / CR / LF; or a formula sign after blanks.
const FORMULA_START = /^(?:[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\t\r\n]|\s+[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;
const NEEDS_QUOTES = /[",;\r\n]|^\s|\s$/;

/** True when spreadsheets would treat `text` as a formula and it is not a plain number. */
export function isFormulaLike(text: string): boolean {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text);
}

/** `text` as a spreadsheet shows it but never runs it: an apostrophe in front of a formula-like cell. */
export function neutralizeFormula(text: string): string {
  return isFormulaLike(text.replace(/^'+/, '')) ? `'${text}` : text;
}

/** The inverse of neutralizeFormula, for readers of the portal's own CSV: the added apostrophe comes off. */
export function readCsvText(text: string): string {
  return text.startsWith("'") && isFormulaLike(text.replace(/^'+/, '')) ? text.slice(1) : text;
}

/** One cell: numbers as they are, text made formula-safe and quoted when needed; null and undefined are empty. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return String(value);
  const safe = neutralizeFormula(value);
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(values: CsvValue[]): string {
  return values.map(csvCell).join(',');
}

/** A whole file: the header row, then the rows, each line ended by `lineEnd` (the last one too). */
export function toCsv(header: readonly string[], rows: Iterable<CsvValue[]>, options: { lineEnd?: '\n' | '\r\n' } = {}): string {
  const lineEnd = options.lineEnd ?? '\n';
  const lines = [csvRow([...header])];
  for (const row of rows) lines.push(csvRow(row));
  return lines.join(lineEnd) + lineEnd;
}
