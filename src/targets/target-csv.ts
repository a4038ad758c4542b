/**
 * Targets as CSV in TOM Toolkit's format: the file the target import reads (/targets/import, POST
 * /api/targets/import, `target:import`) and the export writes (/targets/export.csv, GET /api/targets/export.csv).
 * Pure (no framework imports), so the format is tested on its own (target-csv.spec.ts).
 *
 * A header line names the columns (any case; spaces around them do not matter):
 * - `name` (required), `type` (`SIDEREAL` or `NON_SIDEREAL`, any case; empty: SIDEREAL), `ra` and `dec` (decimal
 *   degrees or sexagesimal, `16:41:41.6` and `+36:27:41`), `epoch`, `pm_ra`, `pm_dec` (mas/yr);
 * - for non-sidereal targets `scheme` (MPC_MINOR_PLANET, MPC_COMET, JPL_MAJOR_PLANET, EPHEMERIS) and TOM's orbital
 *   elements: `epoch_of_elements`, `mean_anomaly`, `arg_of_perihelion`, `eccentricity`, `lng_asc_node`,
 *   `inclination`, `mean_daily_motion`, `semimajor_axis`, `epoch_of_perihelion`, `perihdist` (stored as
 *   perihelion_distance, which is read too), and the portal's own `ephemeris_id` (text);
 * - `aliases`, comma-separated in the cell; TOM's own export's `name2`, `name3`… columns are aliases too;
 * - `id`, `created` and `modified` (TOM's row id and timestamps, which say nothing of the target) are not used;
 * - any other column is an extra field, keyed by the column's name; `extra:KEY` is always the extra field KEY
 *   (the export writes an extra field whose key would read as one of the columns above that way).
 * An empty cell sets nothing. Cells pass the CSV writer's formula rule backwards (an apostrophe it added comes
 * off), so the export reads back to the same targets. Separators, quoting, encodings: common/csv-reader.ts.
 */

import { CsvProblem, CsvRecord, detectDelimiter, isBlankRecord, splitCsvRecords, withoutBom } from '../common/csv-reader';
import { CsvValue, readCsvText, toCsv } from '../common/csv-writer';
import { checkText, MAX_EXTRA_FIELDS } from '../common/text';
import { ShareChoice } from '../sharing/share-choice';
import { ELEMENT_NAMES, parseTargetForm, TargetFields, TargetFormBody } from './dto/target-form';
import { Target } from './target.entity';

/** The most targets one import takes. */
export const TARGET_IMPORT_MAX_ROWS = 1000;

type ElementName = (typeof ELEMENT_NAMES)[number];

/** TOM Toolkit's column for each orbital element the portal stores, in TOM's order. */
export const ELEMENT_COLUMNS: ReadonlyArray<readonly [column: string, element: ElementName]> = [
  ['epoch_of_elements', 'epoch_of_elements'],
  ['mean_anomaly', 'mean_anomaly'],
  ['arg_of_perihelion', 'arg_of_perihelion'],
  ['eccentricity', 'eccentricity'],
  ['lng_asc_node', 'lng_asc_node'],
  ['inclination', 'inclination'],
  ['mean_daily_motion', 'mean_daily_motion'],
  ['semimajor_axis', 'semimajor_axis'],
  ['epoch_of_perihelion', 'epoch_of_perihelion'],
  ['perihdist', 'perihelion_distance'],
  ['ephemeris_id', 'ephemeris_id'],
];

type Field = 'name' | 'type' | 'ra' | 'dec' | 'epoch' | 'pmRa' | 'pmDec' | 'scheme' | 'aliases';
type Column = { kind: 'field'; field: Field } | { kind: 'element'; element: ElementName } | { kind: 'alias' } | { kind: 'extra'; key: string } | { kind: 'ignored' };

const FIELD_COLUMNS: Record<string, Field> = {
  name: 'name',
  type: 'type',
  ra: 'ra',
  dec: 'dec',
  epoch: 'epoch',
  pm_ra: 'pmRa',
  pm_dec: 'pmDec',
  scheme: 'scheme',
  aliases: 'aliases',
};
const ELEMENT_BY_COLUMN: Record<string, ElementName> = { ...Object.fromEntries(ELEMENT_COLUMNS), perihelion_distance: 'perihelion_distance' };
/** TOM's bookkeeping columns: its row id and timestamps. */
const IGNORED_COLUMNS = ['id', 'created', 'modified'];
const ALIAS_COLUMN = /^name\d+$/;
const EXTRA_PREFIX = 'extra:';
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NUMBER_FIELDS: Field[] = ['epoch', 'pmRa', 'pmDec'];

/** The header's words for the columns of the target form's fields (messages name the file's columns). */
const COLUMN_OF: Record<string, string> = { pmRa: 'pm_ra', pmDec: 'pm_dec' };

const headerKey = (cell: string) => cell.trim().toLowerCase();

/** What a header cell (as the file has it, the writer's apostrophe taken off) means. */
function columnOf(cell: string): Column | { reason: string } {
  const key = headerKey(cell);
  if (key === '') return { kind: 'ignored' };
  if (key.startsWith(EXTRA_PREFIX)) return extraColumn(cell.trim().slice(EXTRA_PREFIX.length), cell);
  if (FIELD_COLUMNS[key]) return { kind: 'field', field: FIELD_COLUMNS[key] };
  if (ELEMENT_BY_COLUMN[key]) return { kind: 'element', element: ELEMENT_BY_COLUMN[key] };
  if (ALIAS_COLUMN.test(key)) return { kind: 'alias' };
  if (IGNORED_COLUMNS.includes(key)) return { kind: 'ignored' };
  return extraColumn(cell, cell);
}

function extraColumn(rawKey: string, cell: string): Column | { reason: string } {
  const key = checkText(rawKey, 'extraKey', { required: true });
  if (key.error !== undefined) return { reason: `the column "${cell.trim()}" cannot be an extra field: ${key.error}` };
  return { kind: 'extra', key: key.value };
}

/** Whether an extra field's key would read as another column: the export writes it as `extra:KEY`. */
export function extraKeyNeedsPrefix(key: string): boolean {
  const column = headerKey(key);
  return (
    Boolean(FIELD_COLUMNS[column] || ELEMENT_BY_COLUMN[column]) || IGNORED_COLUMNS.includes(column) || ALIAS_COLUMN.test(column) || column.startsWith(EXTRA_PREFIX)
  );
}

/** The export's column for an extra field. */
export const extraColumnName = (key: string) => (extraKeyNeedsPrefix(key) ? `${EXTRA_PREFIX}${key}` : key);

/** One line of the file, read. */
export interface TargetCsvRow {
  line: number;
  /** The name as the target would have it, or as written when it cannot be one; null when the cell is empty. */
  name: string | null;
  /** The names the line claims, cleaned (name and aliases), for the duplicate checks; empty when the name is bad. */
  names: string[];
  /** The target to create; null when the line has problems. */
  fields: TargetFields | null;
  /** What is wrong with the line, each naming its column. */
  reasons: string[];
}

export interface TargetCsvReading {
  rows: TargetCsvRow[];
  /** Problems of the file itself (header, quoting, too many lines), by line. */
  problems: CsvProblem[];
  /** Header columns not used (id, created, modified), as written. */
  ignoredColumns: string[];
  /** Extra fields the file's columns make, by key. */
  extraColumns: string[];
}

interface Header {
  columns: Array<Column & { cell: string }>;
}

function readHeader(record: CsvRecord): Header | { reason: string } {
  const columns: Header['columns'] = [];
  const seen = new Map<string, string>();
  for (const raw of record.fields) {
    const cell = readCsvText(raw.trim());
    const column = columnOf(cell);
    if ('reason' in column) return column;
    const id = column.kind === 'field' ? column.field : column.kind === 'element' ? `element:${column.element}` : column.kind === 'extra' ? `extra:${column.key}` : null;
    if (id !== null) {
      if (seen.has(id)) return { reason: `the header names the same column twice: "${seen.get(id)}" and "${cell.trim()}"` };
      seen.set(id, cell.trim());
    }
    columns.push({ ...column, cell: cell.trim() });
  }
  if (!columns.some((column) => column.kind === 'field' && column.field === 'name')) {
    return { reason: 'the first line must name the columns, with a "name" column (TOM Toolkit\'s format: name, type, ra, dec, …)' };
  }
  return { columns };
}

/**
 * Reads a targets file: every line's target or its problems, and the file's own problems. `share` is who may see
 * the targets (chosen at import, not read from the file).
 */
export function readTargetsCsv(input: string, share: ShareChoice): TargetCsvReading {
  const text = withoutBom(input);
  const { records: all, problem } = splitCsvRecords(text, detectDelimiter(text));
  const problems: CsvProblem[] = problem ? [problem] : [];
  const records = all.filter((record) => !isBlankRecord(record));
  const reading: TargetCsvReading = { rows: [], problems, ignoredColumns: [], extraColumns: [] };
  if (records.length === 0) {
    if (!problem) problems.push({ line: 1, reason: 'the file is empty: a header line (name, type, ra, dec, …) and one target per line' });
    return reading;
  }
  const [first, ...body] = records;
  const header = readHeader(first);
  if ('reason' in header) {
    problems.unshift({ line: first.line, reason: header.reason });
    return reading;
  }
  reading.ignoredColumns = header.columns.filter((c) => c.kind === 'ignored' && c.cell !== '').map((c) => c.cell);
  reading.extraColumns = header.columns.flatMap((c) => (c.kind === 'extra' ? [c.key] : []));
  if (body.length === 0 && !problem) problems.push({ line: first.line, reason: 'the file has a header but no targets' });
  for (const [index, record] of body.entries()) {
    if (index >= TARGET_IMPORT_MAX_ROWS) {
      problems.push({ line: record.line, reason: `an import takes at most ${TARGET_IMPORT_MAX_ROWS} targets; split the file into several` });
      break;
    }
    reading.rows.push(readRow(record, header, share));
  }
  return reading;
}

function readRow(record: CsvRecord, header: Header, share: ShareChoice): TargetCsvRow {
  const reasons: string[] = [];
  const width = header.columns.length;
  if (record.fields.length > width && record.fields.slice(width).some((value) => value.trim() !== '')) {
    const rawName = record.fields[header.columns.findIndex((c) => c.kind === 'field' && c.field === 'name')]?.trim() || null;
    return {
      line: record.line,
      name: rawName,
      names: [],
      fields: null,
      reasons: [`the line has ${record.fields.length} values but the header names ${width} columns; put a value that holds the separator in double quotes`],
    };
  }
  const form: TargetFormBody = { visibility: 'private', extra: '' };
  const aliases: string[] = [];
  const elements: Array<[ElementName, string, string]> = [];
  const extra: Record<string, string> = {};
  for (const [index, column] of header.columns.entries()) {
    const value = readCsvText((record.fields[index] ?? '').trim());
    if (value === '') continue;
    switch (column.kind) {
      case 'field':
        if (column.field === 'aliases') aliases.push(value);
        // A number the form's parser would read loosely (0x10, 1_000) is refused here, naming the column.
        else if (NUMBER_FIELDS.includes(column.field) && !DECIMAL.test(value)) reasons.push(`${column.cell}: "${value}" is not a number`);
        else form[column.field] = value;
        break;
      case 'alias':
        aliases.push(value);
        break;
      case 'element':
        elements.push([column.element, column.cell, value]);
        break;
      case 'extra': {
        const checked = checkText(value, 'extraValue');
        if (checked.error !== undefined) reasons.push(`${column.cell}: ${checked.error}`);
        else if (checked.value) extra[column.key] = checked.value;
        break;
      }
      case 'ignored':
        if (column.cell === '') reasons.push(`"${value}" is in a column the header gives no name`);
        break;
    }
  }
  if (Object.keys(extra).length > MAX_EXTRA_FIELDS) reasons.push(`a target has at most ${MAX_EXTRA_FIELDS} extra fields; this line has ${Object.keys(extra).length}`);

  const typeText = (form.type ?? '').toUpperCase().replace(/[\s-]+/g, '_');
  const knownType = typeText === '' || typeText === 'SIDEREAL' || typeText === 'NON_SIDEREAL';
  if (!knownType) reasons.push(`type: unknown type "${form.type}"; write SIDEREAL or NON_SIDEREAL`);
  form.type = typeText === 'NON_SIDEREAL' ? 'non_sidereal' : 'sidereal';
  if (form.scheme !== undefined) form.scheme = form.scheme.toUpperCase();

  if (knownType && form.type === 'sidereal' && (form.scheme !== undefined || elements.length)) {
    const given = [...(form.scheme !== undefined ? ['scheme'] : []), ...elements.map(([, cell]) => cell)];
    reasons.push(`${given.join(', ')}: a scheme and orbital elements are for NON_SIDEREAL targets, and this line's type is SIDEREAL`);
  } else if (form.type === 'non_sidereal') {
    const lines: string[] = [];
    for (const [element, cell, value] of elements) {
      if (element === 'ephemeris_id') {
        const checked = checkText(value, 'elementValue');
        if (checked.error !== undefined) reasons.push(`${cell}: ${checked.error}`);
        else lines.push(`${element} = ${checked.value}`);
      } else if (!DECIMAL.test(value)) {
        reasons.push(`${cell}: "${value}" is not a number`);
      } else {
        lines.push(`${element} = ${value}`);
      }
    }
    form.elements = lines.join('\n');
  }
  form.aliases = aliases.join(',');

  const parsed = parseTargetForm(form);
  for (const [field, message] of Object.entries(parsed.errors)) {
    // With a type it cannot read, the line's kind is unknown: what one kind requires is not asked of it.
    if (!knownType && (field === 'scheme' || ((field === 'ra' || field === 'dec') && form[field] === undefined))) continue;
    reasons.push(`${COLUMN_OF[field] ?? field}: ${message}`);
  }
  const nameOk = parsed.errors.name === undefined;
  const fields: TargetFields = { ...parsed.fields, extra, visibility: share.visibility, classroomId: share.visibility === 'class' ? share.classroomId : null };
  return {
    line: record.line,
    name: nameOk ? parsed.fields.name : (form.name ?? null),
    names: nameOk ? [parsed.fields.name, ...(parsed.errors.aliases === undefined ? parsed.fields.aliases : [])] : [],
    fields: reasons.length ? null : fields,
    reasons,
  };
}

/**
 * A coordinate as a decimal without an exponent (1e-7 is "0.0000001": the coordinate parser reads plain decimals and
 * sexagesimal only), with the digits of the number's shortest form, so it reads back to the same number.
 */
export function plainDecimal(value: number | null): string | null {
  if (value === null || !Number.isFinite(value)) return null;
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponentText] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The export's columns before the extra fields; `ephemeris_id` only when a target has one. */
function baseColumns(withEphemerisId: boolean): string[] {
  const elements = ELEMENT_COLUMNS.map(([column]) => column).filter((column) => withEphemerisId || column !== 'ephemeris_id');
  return ['name', 'type', 'ra', 'dec', 'epoch', 'pm_ra', 'pm_dec', 'scheme', ...elements, 'aliases'];
}

/**
 * Targets as a CSV file that `readTargetsCsv` reads back to the same targets: TOM's columns, the aliases in one
 * cell, then one column per extra field any of them has (by key). Written by the one CSV writer (formula-safe).
 */
export function targetsToCsv(targets: Iterable<Pick<Target, 'name' | 'type' | 'ra' | 'dec' | 'epoch' | 'pmRa' | 'pmDec' | 'scheme' | 'elements' | 'aliases' | 'extra'>>): string {
  const list = [...targets];
  const withEphemerisId = list.some((target) => target.elements?.ephemeris_id !== undefined);
  const extraKeys = [...new Set(list.flatMap((target) => Object.keys(target.extra ?? {})))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header = [...baseColumns(withEphemerisId), ...extraKeys.map(extraColumnName)];
  const rows = list.map((target): CsvValue[] => {
    const elements = ELEMENT_COLUMNS.filter(([column]) => withEphemerisId || column !== 'ephemeris_id').map(([, element]) => target.elements?.[element] ?? null);
    return [
      target.name,
      target.type === 'non_sidereal' ? 'NON_SIDEREAL' : 'SIDEREAL',
      plainDecimal(target.ra),
      plainDecimal(target.dec),
      target.epoch,
      target.pmRa,
      target.pmDec,
      target.scheme,
      ...elements,
      target.aliases.join(', '),
      ...extraKeys.map((key) => target.extra?.[key] ?? null),
    ];
  });
  return toCsv(header, rows);
}
