import { CoordinateError, formatDec, formatRa, parseDec, parseRa } from '../../coordinates/coordinates';
import { checkText, MAX_ALIASES, MAX_EXTRA_FIELDS } from '../../common/text';
import { parseShareChoice } from '../../sharing/share-choice';
import { NON_SIDEREAL_SCHEMES, NonSiderealScheme, Target, TargetType } from '../target.entity';

/** The target form exactly as posted: every field a string. */
export interface TargetFormBody {
  name?: string;
  aliases?: string;
  type?: string;
  ra?: string;
  dec?: string;
  epoch?: string;
  pmRa?: string;
  pmDec?: string;
  scheme?: string;
  elements?: string;
  extra?: string;
  /** private | class | public, or the page select's class:<id>. */
  visibility?: string;
  /** The class when `visibility` is plain "class" (the API's field). */
  classroomId?: string;
}

export type TargetFields = Pick<
  Target,
  'name' | 'aliases' | 'type' | 'ra' | 'dec' | 'epoch' | 'pmRa' | 'pmDec' | 'scheme' | 'elements' | 'extra' | 'visibility' | 'classroomId'
>;

export interface TargetFormResult {
  fields: TargetFields;
  /** Message per form field, shown next to it. Empty when the form is valid. */
  errors: Record<string, string>;
}

/** Orbital elements a non-sidereal target may carry, named as in TOM Toolkit. */
export const ELEMENT_NAMES = [
  'epoch_of_elements',
  'mean_anomaly',
  'arg_of_perihelion',
  'eccentricity',
  'lng_asc_node',
  'inclination',
  'mean_daily_motion',
  'semimajor_axis',
  'epoch_of_perihelion',
  'perihelion_distance',
  'ephemeris_id',
] as const;

/**
 * "key = value" lines into an object; a line without "=" is an error naming its line. Keys and values are cleaned
 * by the text rule (extraKey, extraValue; `valueField` for other uses), so a key with a zero-width space is the key.
 */
export function parseKeyValueLines(text: unknown, valueField: 'extraValue' | 'elementValue' = 'extraValue'): { values: Record<string, string>; error?: string } {
  const values: Record<string, string> = {};
  if (text === undefined || text === null) return { values };
  if (typeof text !== 'string') return { values, error: 'Write the entries as text, one "key = value" per line' };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { values, error: `Line ${i + 1}: write each entry as "key = value"` };
    const key = checkText(line.slice(0, eq), 'extraKey', { required: true });
    if (key.error !== undefined) return { values, error: `Line ${i + 1}: ${key.error}` };
    const value = checkText(line.slice(eq + 1), valueField);
    if (value.error !== undefined) return { values, error: `Line ${i + 1}: ${value.error}` };
    if (!Object.prototype.hasOwnProperty.call(values, key.value) && Object.keys(values).length >= MAX_EXTRA_FIELDS) {
      return { values, error: `At most ${MAX_EXTRA_FIELDS} entries` };
    }
    values[key.value] = value.value;
  }
  return { values };
}

export function formatKeyValueLines(values: Record<string, unknown> | null | undefined): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n');
}

function optionalNumber(raw: string | undefined, field: string, errors: Record<string, string>, label: string): number | null {
  const text = (raw ?? '').trim();
  if (!text) return null;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    errors[field] = `${label} must be a number`;
    return null;
  }
  return value;
}

/** Validates and converts the target form; coordinates accept degrees or sexagesimal. */
export function parseTargetForm(body: TargetFormBody): TargetFormResult {
  const errors: Record<string, string> = {};
  // Names pass the text rule (common/text.ts): NFC, invisible characters out, so "M13" + U+200B is "M13" and the
  // unique check sees them equal; control and bidirectional characters refused; at most 100 characters.
  const checkedName = checkText(body.name, 'targetName');
  if (checkedName.error !== undefined) errors.name = checkedName.error;
  else if (!checkedName.value) errors.name = 'A name is required';
  const name = checkedName.value ?? String(body.name ?? '').trim();

  const aliases: string[] = [];
  const seen = new Set([name.toLowerCase()]);
  const aliasText = body.aliases ?? '';
  if (typeof aliasText !== 'string') errors.aliases = 'Write the aliases as text, separated by commas';
  for (const raw of typeof aliasText === 'string' ? aliasText.split(/[,\n]/) : []) {
    const alias = checkText(raw, 'alias');
    if (alias.error !== undefined) errors.aliases = alias.error;
    else if (alias.value && alias.value.toLowerCase() === name.toLowerCase()) errors.aliases = 'An alias cannot repeat the name';
    else if (alias.value && !seen.has(alias.value.toLowerCase())) {
      seen.add(alias.value.toLowerCase());
      aliases.push(alias.value);
    }
  }
  if (aliases.length > MAX_ALIASES) errors.aliases = `A target has at most ${MAX_ALIASES} aliases`;

  const type: TargetType = body.type === 'non_sidereal' ? 'non_sidereal' : 'sidereal';
  // No choice at all keeps the old default, private; a choice that cannot be read is an error, not a guess.
  const share = parseShareChoice(body.visibility || 'private', body.classroomId);
  const { visibility, classroomId } = 'choice' in share ? share.choice : { visibility: 'private' as const, classroomId: null };
  if ('error' in share) errors.visibility = share.error;

  let ra: number | null = null;
  let dec: number | null = null;
  const readCoordinate = (field: 'ra' | 'dec', parse: (text: string) => number) => {
    const text = (body[field] ?? '').trim();
    if (!text) {
      if (type === 'sidereal') errors[field] = field === 'ra' ? 'Right ascension is required' : 'Declination is required';
      return null;
    }
    try {
      return parse(text);
    } catch (error) {
      errors[field] = error instanceof CoordinateError ? error.message : 'Cannot read this coordinate';
      return null;
    }
  };
  ra = readCoordinate('ra', parseRa);
  dec = readCoordinate('dec', parseDec);

  const epoch = optionalNumber(body.epoch, 'epoch', errors, 'Epoch');
  if (epoch !== null && (epoch < 1000 || epoch > 3000)) errors.epoch = 'Epoch must be a year such as 2000';
  const pmRa = optionalNumber(body.pmRa, 'pmRa', errors, 'Proper motion in RA');
  const pmDec = optionalNumber(body.pmDec, 'pmDec', errors, 'Proper motion in Dec');

  let scheme: NonSiderealScheme | null = null;
  const elements: Record<string, number | string> = {};
  if (type === 'non_sidereal') {
    if (!NON_SIDEREAL_SCHEMES.includes(body.scheme as NonSiderealScheme)) {
      errors.scheme = `Choose a scheme: ${NON_SIDEREAL_SCHEMES.join(', ')}`;
    } else {
      scheme = body.scheme as NonSiderealScheme;
    }
    const parsed = parseKeyValueLines(body.elements ?? '', 'elementValue');
    if (parsed.error) errors.elements = parsed.error;
    for (const [key, value] of Object.entries(parsed.values)) {
      if (!(ELEMENT_NAMES as readonly string[]).includes(key)) {
        errors.elements = `Unknown element "${key}"; known: ${ELEMENT_NAMES.join(', ')}`;
      } else if (key === 'ephemeris_id') {
        elements[key] = value;
      } else if (!Number.isFinite(Number(value)) || value === '') {
        errors.elements = `Element "${key}" must be a number`;
      } else {
        elements[key] = Number(value);
      }
    }
  }

  const extraParsed = parseKeyValueLines(body.extra ?? '');
  if (extraParsed.error) errors.extra = extraParsed.error;

  return {
    fields: {
      name,
      aliases,
      type,
      ra,
      dec,
      epoch: type === 'sidereal' ? (epoch ?? 2000) : epoch,
      pmRa,
      pmDec,
      scheme,
      elements,
      extra: extraParsed.values,
      visibility,
      classroomId,
    },
    errors,
  };
}

/** A target as form values, for the edit page. */
export function targetToForm(target: Target): TargetFormBody {
  return {
    name: target.name,
    aliases: target.aliases.join(', '),
    type: target.type,
    ra: target.ra === null ? '' : String(target.ra),
    dec: target.dec === null ? '' : String(target.dec),
    epoch: target.epoch === null ? '' : String(target.epoch),
    pmRa: target.pmRa === null ? '' : String(target.pmRa),
    pmDec: target.pmDec === null ? '' : String(target.pmDec),
    scheme: target.scheme ?? '',
    elements: formatKeyValueLines(target.elements),
    extra: formatKeyValueLines(target.extra),
    visibility: target.visibility,
    classroomId: target.classroomId == null ? '' : String(target.classroomId),
  };
}

export function sexagesimal(target: Pick<Target, 'ra' | 'dec'>): { ra: string; dec: string } | null {
  if (target.ra === null || target.dec === null) return null;
  return { ra: formatRa(target.ra), dec: formatDec(target.dec) };
}
