/**
 * Equatorial coordinates as people type them: decimal degrees or sexagesimal (RA in hours, Dec in degrees),
 * plus formatting back to sexagesimal and the angular distance between two positions.
 */

/** A coordinate the user typed cannot be used; the message is written to be shown to them as-is. */
export class CoordinateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoordinateError';
  }
}

const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
// "16:41:41.6", "16 41 41.6", "16:41.5": components separated by colons or whitespace.
const SEPARATED_COMPONENTS = /^\d+(?:\.\d*)?(?:(?:\s*:\s*|\s+)\d+(?:\.\d*)?){1,2}$/;
// "16h41m41.6s", "36d27m41s", "36°27'41\"": each component followed by its unit letter or symbol.
const HOURS_WITH_UNITS = /^(\d+(?:\.\d*)?)\s*h(?:\s*(\d+(?:\.\d*)?)\s*m(?:\s*(\d+(?:\.\d*)?)\s*s?)?)?$/i;
const DEGREES_WITH_UNITS = /^(\d+(?:\.\d*)?)\s*[d°](?:\s*(\d+(?:\.\d*)?)\s*[m'′](?:\s*(\d+(?:\.\d*)?)\s*[s"″]?)?)?$/i;
// U+2212 MINUS SIGN and U+2013 EN DASH arrive when coordinates are pasted from papers and web pages.
const TYPOGRAPHIC_MINUS = /^[\u2212\u2013]/;

const RA_EXAMPLES = 'use decimal degrees (250.4235) or hours:minutes:seconds (16:41:41.6)';
const DEC_EXAMPLES = 'use decimal degrees (36.4614) or degrees:minutes:seconds (+36:27:41)';
const DEC_RANGE_MESSAGE = 'Declination must be between -90 and +90 degrees';

/** Right ascension in degrees, in [0, 360). Sexagesimal input is hours, minutes, seconds. */
export function parseRa(input: string): number {
  const text = (input ?? '').trim();
  if (!text) throw new CoordinateError('Right ascension is empty: ' + RA_EXAMPLES);

  if (DECIMAL_NUMBER.test(text)) {
    const degrees = Number(text);
    if (!(degrees >= 0 && degrees < 360)) {
      throw new CoordinateError('Right ascension in degrees must be at least 0 and less than 360');
    }
    return degrees + 0; // + 0 turns "-0" into 0
  }

  const parts = sexagesimalParts(text, HOURS_WITH_UNITS);
  if (!parts) throw new CoordinateError(`Cannot read right ascension "${text}": ${RA_EXAMPLES}`);
  const [hours, minutes, seconds] = parts;
  if (hours >= 24) throw new CoordinateError('Right ascension hours must be between 0 and 24 (less than 24)');
  checkMinutesAndSeconds('Right ascension', minutes, seconds);
  const degrees = (hours + minutes / 60 + seconds / 3600) * 15;
  // 23:59:59.999... can round up to exactly 360 in floating point.
  return degrees >= 360 ? 0 : degrees;
}

/** Declination in degrees, in [-90, 90]. A leading sign applies to the whole value, so "-00:30:00" is -0.5. */
export function parseDec(input: string): number {
  const text = (input ?? '').trim().replace(TYPOGRAPHIC_MINUS, '-');
  if (!text) throw new CoordinateError('Declination is empty: ' + DEC_EXAMPLES);

  if (DECIMAL_NUMBER.test(text)) {
    const degrees = Number(text);
    if (!(degrees >= -90 && degrees <= 90)) throw new CoordinateError(DEC_RANGE_MESSAGE);
    return degrees + 0;
  }

  const sign = text.startsWith('-') ? -1 : 1;
  const unsigned = text.replace(/^[+-]\s*/, '');
  const parts = sexagesimalParts(unsigned, DEGREES_WITH_UNITS);
  if (!parts) throw new CoordinateError(`Cannot read declination "${text}": ${DEC_EXAMPLES}`);
  const [degrees, minutes, seconds] = parts;
  checkMinutesAndSeconds('Declination', minutes, seconds);
  const magnitude = degrees + minutes / 60 + seconds / 3600;
  if (magnitude > 90) throw new CoordinateError(DEC_RANGE_MESSAGE);
  return sign * magnitude + 0;
}

/** Cone-search radius in degrees: greater than 0 and at most 180. */
export function parseRadius(input: string): number {
  const text = (input ?? '').trim();
  if (!text) throw new CoordinateError('Radius is empty: give it in decimal degrees, such as 0.5');
  if (!DECIMAL_NUMBER.test(text)) {
    throw new CoordinateError(`Cannot read radius "${text}": give it in decimal degrees, such as 0.5`);
  }
  const degrees = Number(text);
  if (!(degrees > 0 && degrees <= 180)) {
    throw new CoordinateError('Radius must be greater than 0 and at most 180 degrees');
  }
  return degrees;
}

/** "HH:MM:SS.ss" in hours; any angle is wrapped into [0, 360) first. */
export function formatRa(degrees: number): string {
  if (!Number.isFinite(degrees)) throw new CoordinateError('Cannot format a right ascension that is not a number');
  const wrapped = ((degrees % 360) + 360) % 360;
  // Round once, in whole hundredths of a second of time, so 59.999s carries into the minute instead of printing 60.00.
  const hundredthsPerDay = 24 * 3600 * 100;
  const hundredths = Math.round((wrapped / 15) * 3600 * 100) % hundredthsPerDay;
  const hours = Math.floor(hundredths / 360000);
  const minutes = Math.floor((hundredths % 360000) / 6000);
  const seconds = (hundredths % 6000) / 100;
  return `${pad2(hours)}:${pad2(minutes)}:${seconds.toFixed(2).padStart(5, '0')}`;
}

/** "+DD:MM:SS.s", always signed. */
export function formatDec(degrees: number): string {
  if (!Number.isFinite(degrees) || Math.abs(degrees) > 90) throw new CoordinateError(DEC_RANGE_MESSAGE);
  // Same single rounding as formatRa, in tenths of an arcsecond.
  const tenths = Math.round(Math.abs(degrees) * 3600 * 10);
  const sign = degrees < 0 && tenths > 0 ? '-' : '+';
  const wholeDegrees = Math.floor(tenths / 36000);
  const minutes = Math.floor((tenths % 36000) / 600);
  const seconds = (tenths % 600) / 10;
  return `${sign}${pad2(wholeDegrees)}:${pad2(minutes)}:${seconds.toFixed(1).padStart(4, '0')}`;
}

/**
 * Great-circle distance in degrees between two (RA, Dec) positions given in degrees. Uses the Vincenty form,
 * which stays accurate for tiny separations (unlike the plain cosine rule) and near 180° (unlike haversine).
 */
export function angularSeparation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const deltaRa = toRadians(ra2 - ra1);
  const phi1 = toRadians(dec1);
  const phi2 = toRadians(dec2);
  const cosPhi1 = Math.cos(phi1);
  const cosPhi2 = Math.cos(phi2);
  const sinPhi1 = Math.sin(phi1);
  const sinPhi2 = Math.sin(phi2);
  const cosDeltaRa = Math.cos(deltaRa);
  const across = cosPhi2 * Math.sin(deltaRa);
  const along = cosPhi1 * sinPhi2 - sinPhi1 * cosPhi2 * cosDeltaRa;
  const toward = sinPhi1 * sinPhi2 + cosPhi1 * cosPhi2 * cosDeltaRa;
  return toDegrees(Math.atan2(Math.hypot(across, along), toward));
}

/**
 * Splits an unsigned sexagesimal value into [whole, minutes, seconds], missing trailing parts as 0.
 * Only the last component given may have a fraction ("12:30.5" is fine, "12.5:30" is not).
 */
function sexagesimalParts(text: string, withUnits: RegExp): [number, number, number] | null {
  let components: string[];
  const unitMatch = withUnits.exec(text);
  if (unitMatch) {
    components = unitMatch.slice(1).filter((component): component is string => component !== undefined);
  } else if (SEPARATED_COMPONENTS.test(text)) {
    components = text.split(/\s*:\s*|\s+/);
  } else {
    return null;
  }
  if (components.slice(0, -1).some((component) => component.includes('.'))) return null;
  const [whole = 0, minutes = 0, seconds = 0] = components.map(Number);
  return [whole, minutes, seconds];
}

function checkMinutesAndSeconds(what: string, minutes: number, seconds: number): void {
  if (minutes >= 60) throw new CoordinateError(`${what} minutes must be between 0 and 60 (less than 60)`);
  if (seconds >= 60) throw new CoordinateError(`${what} seconds must be between 0 and 60 (less than 60)`);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

function toRadians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}

function toDegrees(radians: number): number {
  return (radians * 180) / Math.PI;
}
