/**
 * Reads a class roster: what a teacher pastes or uploads to make or enrol student accounts. Pure (no framework
 * imports), so the format is tested on its own (roster-csv.reader.spec.ts).
 *
 * The format:
 * - CSV with a header line naming the columns. `name` (the display name) is required, or else `first name` with an
 *   optional `last name`; `username` is optional. Other columns (e-mail, notes...) are ignored.
 *   Header names are matched loosely: case, spaces, `_` and `-` do not matter, and common synonyms are accepted.
 * - Or a plain list with one name per line and no header at all.
 * - Commas, semicolons (spreadsheets in many European locales) or tabs (pasted from a spreadsheet) separate values,
 *   whichever the first line uses. Values may be quoted ("Lovelace, Ada"; "" is a quote inside quotes).
 * - A byte order mark, CRLF / CR / LF line ends and blank lines are fine. Line numbers are the file's own lines.
 * - At most ROSTER_MAX_ROWS students per import.
 */

import { CsvRecord, decodeCsvBytes, detectDelimiter, isBlankRecord as isBlank, splitCsvRecords as splitRecords, withoutBom } from '../common/csv-reader';
import { checkText, TEXT_RULES } from '../common/text';

export interface RosterRow {
  /** The file's line where the row starts (1-based; the header is line 1 when there is one). */
  line: number;
  /** The display name, whitespace collapsed. */
  name: string;
  /** The username given in the file, trimmed; null when the file gives none. */
  username: string | null;
}

export interface RosterProblem {
  /** The file's line (1-based). */
  line: number;
  reason: string;
}

export interface RosterReading {
  rows: RosterRow[];
  problems: RosterProblem[];
  /** Whether line 1 was a header (false: a plain list of names). */
  header: boolean;
  /** Header columns that were not used, as written in the file. */
  ignoredColumns: string[];
}

export const ROSTER_MAX_ROWS = 500;
/** The longest display name an account can have (users.display_name). */
export const ROSTER_MAX_NAME_LENGTH = TEXT_RULES.displayName.max;

type Column = 'name' | 'username' | 'first' | 'last';

/** Header names, normalised by `headerKey`, and the column each means. */
const HEADER_NAMES: Record<string, Column> = {
  name: 'name',
  'display name': 'name',
  displayname: 'name',
  'full name': 'name',
  fullname: 'name',
  'student name': 'name',
  username: 'username',
  'user name': 'username',
  login: 'username',
  'first name': 'first',
  firstname: 'first',
  'given name': 'first',
  forename: 'first',
  'last name': 'last',
  lastname: 'last',
  surname: 'last',
  'family name': 'last',
};

const headerKey = (cell: string) => cell.trim().toLowerCase().replace(/[\s_-]+/g, ' ');

/**
 * The uploaded file's text (common/csv-reader.ts): UTF-8 (with or without a BOM), UTF-16 with a BOM, or else
 * Windows-1252.
 */
export const decodeRosterBytes = decodeCsvBytes;

/** The display name as it will be stored (whitespace, line breaks included, collapsed), or the reason it cannot be. */
function cleanName(raw: string): { name: string } | { reason: string } {
  // Then the display-name text rule (common/text.ts): NFC, invisible characters out; other control characters and
  // bidirectional controls are refused (a sign of a broken file, or of a name that reads differently than stored).
  const checked = checkText(raw.replace(/\s+/g, ' '), 'displayName');
  if (checked.error !== undefined) return { reason: checked.error.replace(/^The display name/, 'the name') };
  if (!checked.value) return { reason: 'the name is empty' };
  return { name: checked.value };
}

/** Which column each header cell means; a problem when a column repeats or no name column is there. */
function readHeader(record: CsvRecord): { columns: Map<Column, number>; ignored: string[] } | { reason: string } {
  const columns = new Map<Column, number>();
  const ignored: string[] = [];
  for (const [index, cell] of record.fields.entries()) {
    const column = HEADER_NAMES[headerKey(cell)];
    if (!column) {
      if (cell.trim()) ignored.push(cell.trim());
      continue;
    }
    if (columns.has(column)) return { reason: `the header names the ${column === 'first' ? 'first name' : column === 'last' ? 'last name' : column} column twice` };
    columns.set(column, index);
  }
  if (!columns.has('name') && !columns.has('first')) {
    return { reason: 'the header needs a "name" column (the students\' names); "username" is optional' };
  }
  return { columns, ignored };
}

/** Reads a roster (see the top of this file for the format): its rows, and every problem with its line. */
export function readRosterCsv(input: string): RosterReading {
  const text = withoutBom(input);
  const delimiter = detectDelimiter(text);
  const { records: all, problem } = splitRecords(text, delimiter);
  const problems: RosterProblem[] = problem ? [problem] : [];
  const records = all.filter((record) => !isBlank(record));
  const rows: RosterRow[] = [];
  if (records.length === 0) {
    if (!problem) problems.push({ line: 1, reason: 'the roster is empty: give one student per line' });
    return { rows, problems, header: false, ignoredColumns: [] };
  }

  const [first] = records;
  const known = first.fields.some((cell) => HEADER_NAMES[headerKey(cell)] !== undefined);
  if (!known && first.fields.length > 1) {
    problems.unshift({
      line: first.line,
      reason: 'the first line must name the columns (name, and optionally username), or the roster must be a list with one name per line',
    });
    return { rows, problems, header: false, ignoredColumns: [] };
  }

  let columns: Map<Column, number>;
  let ignoredColumns: string[] = [];
  let body: CsvRecord[];
  if (known) {
    const header = readHeader(first);
    if ('reason' in header) {
      problems.unshift({ line: first.line, reason: header.reason });
      return { rows, problems, header: true, ignoredColumns: [] };
    }
    ({ columns, ignored: ignoredColumns } = header);
    body = records.slice(1);
    if (body.length === 0 && !problem) problems.push({ line: first.line, reason: 'the roster has a header but no students' });
  } else {
    columns = new Map([['name', 0]]);
    body = records;
  }

  const width = known ? first.fields.length : 1;
  for (const [index, record] of body.entries()) {
    if (index >= ROSTER_MAX_ROWS) {
      problems.push({ line: record.line, reason: `an import takes at most ${ROSTER_MAX_ROWS} students; split the roster into several files` });
      break;
    }
    // Missing trailing values are empty (spreadsheets drop them); extra ones usually mean an unquoted comma.
    if (record.fields.length > width && record.fields.slice(width).some((value) => value.trim() !== '')) {
      problems.push({
        line: record.line,
        reason: known
          ? `the line has ${record.fields.length} values but the header names ${width} columns; put a name that contains "${delimiter === '\t' ? 'tab' : delimiter}" in double quotes`
          : `a list without a header takes one name per line; quote a name that contains "${delimiter}", or add a header line such as "name,username"`,
      });
      continue;
    }
    const value = (column: Column) => {
      const index = columns.get(column);
      return index === undefined ? '' : (record.fields[index] ?? '');
    };
    const rawName = columns.has('name') ? value('name') : `${value('first')} ${value('last')}`;
    const cleaned = cleanName(rawName);
    if ('reason' in cleaned) {
      problems.push({ line: record.line, reason: cleaned.reason });
      continue;
    }
    const username = value('username').trim();
    rows.push({ line: record.line, name: cleaned.name, username: username === '' ? null : username });
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems, header: known, ignoredColumns };
}
