/**
 * Reads photometry tables (time, magnitude, optional error and filter) from CSV text as exported by
 * spreadsheets and reduction pipelines. Every row is checked; problems are collected per physical line so the
 * uploader can fix the file in one go rather than error by error. Reads the portal's own exports back: a filter the
 * CSV writer guarded with an apostrophe (common/csv-writer.ts) comes back as it was, then passes the text rule
 * for filters (common/text.ts: NFC, no invisible or control characters, at most 32 characters).
 *
 * TOM Toolkit's photometry CSV (`time,filter,magnitude,error,limit,source`, time in MJD) is read too: a row has a
 * magnitude, a limit, or both; a row with only a limit is a non-detection (the object was fainter than the limit).
 * TOM's `source` names the survey or telescope that measured the row (ZTF, ATLAS, Las Cumbres…). The portal calls
 * that the point's *facility*, as the AAS journals' "Facilities" do, because "source" already names something else
 * here: where a series came from (an uploaded file, a run, an API batch; ReducedDatum.sourceName). So one concept
 * keeps one name inside the portal, and the CSV column keeps TOM's name `source` in TOM's format.
 */
import { readCsvText } from '../common/csv-writer';
import { checkText } from '../common/text';

export interface PhotometryPoint {
  timestamp: Date;
  /** The measured magnitude; null for a non-detection (a row with only a limit). */
  magnitude: number | null;
  error: number | null;
  filter: string;
  /** The limiting magnitude the row gives (an upper limit on the brightness), or null. */
  limit: number | null;
  /** The survey or telescope that measured it (TOM's `source` column), '' when the file names none. */
  facility: string;
  /** 1-based physical line in the file. */
  line: number;
}

export interface PhotometryRowError {
  line: number;
  reason: string;
}

export interface PhotometryParseResult {
  points: PhotometryPoint[];
  errors: PhotometryRowError[];
}

/** Header names accepted for each column, in lower case. Matching ignores case, spaces, quotes and a trailing unit. */
export const PHOTOMETRY_COLUMN_NAMES = {
  time: ['time', 'mjd', 'jd', 'date', 'date-obs', 'dateobs', 'timestamp', 'obs_date'],
  magnitude: ['mag', 'magnitude'],
  error: ['err', 'error', 'magerr', 'mag_err', 'e_mag', 'magnitude_error', 'uncertainty'],
  filter: ['filter', 'band', 'passband'],
  limit: ['limit', 'limiting_mag', 'limiting_magnitude', 'mag_limit', 'maglim', 'upper_limit'],
  /**
   * In this order of preference when a file has several. `source` is TOM's name, read as the facility except in
   * the portal's own export, recognised by its `mjd` column beside `time`: there `source` is the portal's label of
   * the series (student · source) and the facility has its own `facility` column (photometry-csv.writer.ts).
   */
  facility: ['facility', 'source', 'telescope', 'survey'],
} as const;

type ColumnRole = keyof typeof PHOTOMETRY_COLUMN_NAMES;

/** Problems listed before reading stops: a file with more is not the format, and the list would only grow. */
export const MAX_REPORTED_ROW_ERRORS = 100;

const EMPTY_FILE_REASON = 'The file is empty: expected a header line such as "time,magnitude,error,filter"';

const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);
const MS_PER_DAY = 86_400_000;
const JD_MINUS_MJD = 2_400_000.5;
// Numbers this large cannot be MJDs of real observations, so they are Julian Dates.
const JD_THRESHOLD = 2_400_000;
// MJD 0 to 100000 is 1858-11-17 to 2132-09-01: anything outside is a unit or column mix-up.
const MIN_PLAUSIBLE_MJD = 0;
const MAX_PLAUSIBLE_MJD = 100_000;
const MIN_MAGNITUDE = -30;
const MAX_MAGNITUDE = 40;

const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
// "2013-05-05", "2013-05-05T04:31:02", "2013-05-05 04:31:02.5Z", "2013-05-05T04:31:02+02:00"
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

// "14,25" in a file not delimited by commas: the decimal comma of European spreadsheet exports.
const DECIMAL_COMMA_NUMBER = /^[+-]?\d+,\d+(?:e[+-]?\d+)?$/i;

interface ColumnIndexes {
  time: number;
  magnitude: number | null;
  error: number | null;
  filter: number | null;
  limit: number | null;
  facility: number | null;
  /** The time column is named "jd", so its numbers are Julian Dates whatever their size. */
  timeIsJd: boolean;
}

export function parsePhotometryCsv(text: string): PhotometryParseResult {
  // Physical lines: \r\n and \n both end a line, so numbers match what an editor shows.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const points: PhotometryPoint[] = [];
  const errors: PhotometryRowError[] = [];

  const headerIndex = lines.findIndex((line) => !isSkippable(line));
  if (headerIndex === -1) return { points, errors: [{ line: 1, reason: EMPTY_FILE_REASON }] };
  const headerLine = lines[headerIndex];
  const headerLineNumber = headerIndex + 1;
  const delimiter = chooseDelimiter(headerLine);

  const headerFields = splitFields(headerLine, delimiter);
  if (typeof headerFields === 'string') {
    return { points, errors: [{ line: headerLineNumber, reason: `header: ${headerFields}` }] };
  }
  const columns = findColumns(headerFields);
  if (typeof columns === 'string') return { points, errors: [{ line: headerLineNumber, reason: columns }] };

  for (let index = headerIndex + 1; index < lines.length; index++) {
    const line = lines[index];
    if (isSkippable(line)) continue;
    const lineNumber = index + 1;
    const fields = splitFields(line, delimiter);
    if (typeof fields === 'string') {
      errors.push({ line: lineNumber, reason: fields });
      continue;
    }
    // Spreadsheets export trailing rows of bare delimiters (",,,"): as empty as a blank line.
    if (fields.every((field) => field === '')) continue;
    if (fields.length !== headerFields.length) {
      errors.push({
        line: lineNumber,
        reason: `expected ${headerFields.length} fields like the header but found ${fields.length}`,
      });
      continue;
    }
    const point = readRow(fields, columns, delimiter !== ',', lineNumber);
    if (typeof point === 'string') errors.push({ line: lineNumber, reason: point });
    else points.push(point);
    if (errors.length >= MAX_REPORTED_ROW_ERRORS) {
      errors.push({ line: lineNumber, reason: `reading stopped after ${MAX_REPORTED_ROW_ERRORS} problems; fix these and upload again` });
      break;
    }
  }
  return { points, errors };
}

function isSkippable(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

/** Comma unless the header has none, in which case a semicolon (European spreadsheets) or tab. */
function chooseDelimiter(headerLine: string): string {
  if (headerLine.includes(',')) return ',';
  if (headerLine.includes(';')) return ';';
  if (headerLine.includes('\t')) return '\t';
  return ',';
}

/**
 * Splits one line into trimmed fields, honouring double quotes ("a ""quoted"" value"). Quoted fields cannot span
 * lines, which keeps every error tied to one physical line. Returns a reason string when the quoting is broken.
 */
function splitFields(line: string, delimiter: string): string[] | string {
  const fields: string[] = [];
  let position = 0;
  for (;;) {
    while (position < line.length && line[position] !== delimiter && isBlank(line[position])) position++;
    let value = '';
    if (line[position] === '"') {
      position++;
      for (;;) {
        const closing = line.indexOf('"', position);
        if (closing === -1) return 'a quoted field has no closing quote';
        value += line.slice(position, closing);
        position = closing + 1;
        if (line[position] !== '"') break;
        value += '"'; // a doubled quote stands for one quote character
        position++;
      }
      while (position < line.length && line[position] !== delimiter && isBlank(line[position])) position++;
      if (position < line.length && line[position] !== delimiter) {
        return 'unexpected text after a closing quote (quotes inside a field must be doubled)';
      }
      value = value.trim();
    } else {
      const end = line.indexOf(delimiter, position);
      value = line.slice(position, end === -1 ? line.length : end).trim();
      position = end === -1 ? line.length : end;
    }
    fields.push(value);
    if (position >= line.length) return fields;
    position++; // past the delimiter
  }
}

function isBlank(character: string): boolean {
  return character === ' ' || character === '\t' || character === '\r';
}

/** "Mag Err", "MAG-ERR" and "mag_err (mag)" all become "mag_err". */
function normalizeColumnName(name: string): string {
  return name
    .trim()
    .replace(/^["']+|["']+$/g, '')
    .replace(/\s*[([][^)\]]*[)\]]\s*$/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** Column positions by role, or the reason the header cannot be used. */
function findColumns(headerFields: string[]): ColumnIndexes | string {
  const normalized = headerFields.map(normalizeColumnName);
  const indexOf = (role: ColumnRole): number => {
    const accepted = PHOTOMETRY_COLUMN_NAMES[role].map(normalizeColumnName);
    return normalized.findIndex((name) => accepted.includes(name));
  };
  const time = indexOf('time');
  const magnitude = indexOf('magnitude');
  const limit = indexOf('limit');

  const accepted = (role: ColumnRole) => `no ${role} column (accepted names: ${PHOTOMETRY_COLUMN_NAMES[role].join(', ')})`;
  const missing: string[] = [];
  if (time === -1) missing.push(accepted('time'));
  // A file of limits alone (no magnitude column) is read too; the message names the magnitude, which most need.
  if (magnitude === -1 && limit === -1) missing.push(accepted('magnitude'));
  if (missing.length) return `The header has ${missing.join(' and ')}`;

  const error = indexOf('error');
  const filter = indexOf('filter');
  const optional = (index: number) => (index === -1 ? null : index);
  return {
    time,
    magnitude: optional(magnitude),
    error: optional(error),
    filter: optional(filter),
    limit: optional(limit),
    facility: facilityColumn(normalized),
    timeIsJd: normalized[time] === 'jd',
  };
}

/**
 * The facility's column: the first of PHOTOMETRY_COLUMN_NAMES.facility the header has, except that `source` in the
 * portal's own export (an `mjd` column beside `time`) is its series label, not a facility.
 */
function facilityColumn(normalized: string[]): number | null {
  const portalExport = normalized.includes('time') && normalized.includes('mjd');
  for (const name of PHOTOMETRY_COLUMN_NAMES.facility) {
    if (name === 'source' && portalExport) continue;
    const index = normalized.indexOf(name);
    if (index !== -1) return index;
  }
  return null;
}

/** The point on this row, or every problem with it joined into one reason. */
function readRow(
  fields: string[],
  columns: ColumnIndexes,
  allowDecimalComma: boolean,
  line: number,
): PhotometryPoint | string {
  const numeric = (value: string) =>
    allowDecimalComma && DECIMAL_COMMA_NUMBER.test(value) ? value.replace(',', '.') : value;
  const problems: string[] = [];
  const field = (index: number | null) => (index === null ? '' : numeric(fields[index]));
  const timestamp = readTime(numeric(fields[columns.time]), columns.timeIsJd, problems);
  const rawMagnitude = field(columns.magnitude);
  const rawLimit = field(columns.limit);
  const rawError = field(columns.error);
  let magnitude: number | null = null;
  let limit: number | null = null;
  if (rawMagnitude === '' && rawLimit === '') {
    // Without a limit column the old message stands; with one, a row needs a magnitude, a limit or both.
    problems.push(columns.limit === null ? 'magnitude is empty' : 'magnitude and limit are both empty: a row needs a magnitude, a limit (a non-detection) or both');
  } else {
    if (rawMagnitude !== '') magnitude = readMagnitude(rawMagnitude, 'magnitude', problems);
    if (rawLimit !== '') limit = readMagnitude(rawLimit, 'limit', problems);
    if (rawMagnitude === '' && rawError !== '') problems.push(`error ${quote(rawError)} is given without a magnitude (a non-detection has only a limit)`);
  }
  const error = rawError === '' ? null : readError(rawError, problems);
  const filter = readFilter(columns.filter === null ? '' : fields[columns.filter], problems);
  const facility = readFacility(columns.facility === null ? '' : fields[columns.facility], problems);
  if (problems.length || timestamp === null || filter === null || facility === null) return problems.join('; ');
  return { timestamp, magnitude, error, filter, limit, facility, line };
}

/** The facility by the text rule for facilities ('' when empty); null (and a problem) when it is too long. */
function readFacility(value: string, problems: string[]): string | null {
  const checked = checkText(readCsvText(value), 'facility');
  if (checked.error !== undefined) {
    problems.push(checked.error.replace(/^The facility/, 'facility'));
    return null;
  }
  return checked.value;
}

/** The filter by the text rule for filters, 'unknown' when empty; null (and a problem) when it is too long. */
function readFilter(value: string, problems: string[]): string | null {
  const checked = checkText(readCsvText(value), 'filter');
  if (checked.error !== undefined) {
    problems.push(checked.error.replace(/^The filter/, 'filter'));
    return null;
  }
  return checked.value || 'unknown';
}

function readTime(value: string, isJd: boolean, problems: string[]): Date | null {
  if (value === '') {
    problems.push('time is empty');
    return null;
  }
  let mjd: number;
  if (DECIMAL_NUMBER.test(value)) {
    const number = Number(value);
    const readAsJd = isJd || number > JD_THRESHOLD;
    mjd = readAsJd ? number - JD_MINUS_MJD : number;
    if (!(mjd >= MIN_PLAUSIBLE_MJD && mjd <= MAX_PLAUSIBLE_MJD)) {
      const asRead = readAsJd ? ` (read as a Julian Date, it is MJD ${mjd})` : '';
      problems.push(
        `time ${quote(value)} is not a plausible MJD${asRead}: expected ${MIN_PLAUSIBLE_MJD} to ${MAX_PLAUSIBLE_MJD}`,
      );
      return null;
    }
    return new Date(Math.round(MJD_EPOCH_MS + mjd * MS_PER_DAY));
  }

  const date = parseIsoDate(value);
  if (date === null) {
    problems.push(`time ${quote(value)} is not an MJD, JD or ISO 8601 date such as 2013-05-05T04:31:02`);
    return null;
  }
  mjd = (date.getTime() - MJD_EPOCH_MS) / MS_PER_DAY;
  if (!(mjd >= MIN_PLAUSIBLE_MJD && mjd <= MAX_PLAUSIBLE_MJD)) {
    problems.push(`time ${quote(value)} is not a plausible date: expected 1858-11-17 to 2132-09-01`);
    return null;
  }
  return date;
}

/** ISO 8601 date or date-time; without a zone it is UTC, as observation logs almost always are. */
function parseIsoDate(value: string): Date | null {
  const match = ISO_8601.exec(value);
  if (!match) return null;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number);
  if (h > 23 || mi > 59 || s > 59) return null;
  const milliseconds = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;

  // setUTCFullYear, unlike Date.UTC, does not turn years 0-99 into 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  // Date rolls 2013-02-30 over into March; reading the parts back catches impossible days and months.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  date.setUTCHours(h, mi, s, milliseconds);

  if (zone.toUpperCase() === 'Z') return date;
  const [offsetHours, offsetMinutes] = [zone.slice(1, 3), zone.slice(-2)].map(Number);
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offsetMs = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return new Date(date.getTime() - offsetMs);
}

/** A magnitude or a limit (a magnitude too), not empty: a number in the plausible range. */
function readMagnitude(value: string, what: 'magnitude' | 'limit', problems: string[]): number | null {
  if (!DECIMAL_NUMBER.test(value)) {
    problems.push(`${what} ${quote(value)} is not a number`);
    return null;
  }
  const magnitude = Number(value);
  if (!(magnitude >= MIN_MAGNITUDE && magnitude <= MAX_MAGNITUDE)) {
    problems.push(`${what} ${quote(value)} is outside the plausible range ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE}`);
    return null;
  }
  return magnitude;
}

function readError(value: string, problems: string[]): number | null {
  if (value === '') return null;
  if (!DECIMAL_NUMBER.test(value)) {
    problems.push(`error ${quote(value)} is not a number`);
    return null;
  }
  const error = Number(value);
  if (!Number.isFinite(error) || error < 0) {
    problems.push(`error ${quote(value)} must be a finite number of 0 or more`);
    return null;
  }
  return error;
}

/** Quotes a value for a message, shortened so a garbage line cannot flood the error list. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
