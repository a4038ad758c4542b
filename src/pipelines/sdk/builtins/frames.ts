/**
 * What the teaching pipelines share: reading a frame (a FitsError becomes the student's failure message), the
 * observation time from its headers, and the list of FITS suffixes they accept.
 */
import { FitsCard, FitsError, FitsHduHeader, FitsImage, headerValue, readFitsHeaders, readFitsImage } from '../../../fits';
import { AsyncError, PipelineInput } from '../pipeline-process';

export const FITS_SUFFIXES = ['.fits', '.fit', '.fts', '.fits.gz', '.fit.gz', '.fits.fz', '.fz'];

const MJD_UNIX_EPOCH = 40587;
const DAY_MS = 86_400_000;

/** Reads the frame's image, turning a FitsError into a message the student can act on. */
export async function readFrame(input: PipelineInput): Promise<FitsImage> {
  try {
    return await readFitsImage(input.path);
  } catch (error) {
    if (error instanceof FitsError) throw new AsyncError(`${input.originalName}: ${error.reason}${error.hdu !== undefined ? ` (HDU ${error.hdu})` : ''}`);
    throw error;
  }
}

export async function readHeaders(input: PipelineInput): Promise<FitsHduHeader[]> {
  try {
    return await readFitsHeaders(input.path);
  } catch (error) {
    if (error instanceof FitsError) throw new AsyncError(`${input.originalName}: ${error.reason}`);
    throw error;
  }
}

/** A keyword from the first HDU that has it (image extensions inherit the primary header's keywords). */
export function keyword(hdus: Array<{ cards: FitsCard[] }>, name: string): string | number | boolean | null | undefined {
  for (const hdu of hdus) {
    const value = headerValue(hdu.cards, name);
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

/**
 * The start of the exposure from DATE-OBS (ISO date-time, or a date with TIME-OBS / UT) or MJD-OBS, in any HDU;
 * undefined when the headers give none. FITS times without a zone are UTC.
 */
export function observationStart(hdus: Array<{ cards: FitsCard[] }>): Date | undefined {
  const dateObs = keyword(hdus, 'DATE-OBS');
  if (typeof dateObs === 'string' && dateObs.trim()) {
    let text = dateObs.trim();
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
      const time = keyword(hdus, 'TIME-OBS') ?? keyword(hdus, 'UT');
      text = typeof time === 'string' && /^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(time.trim()) ? `${text}T${time.trim()}` : `${text}T00:00:00`;
    }
    if (!/[zZ]|[+-]\d{2}:?\d{2}$/.test(text)) text += 'Z';
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  const mjd = keyword(hdus, 'MJD-OBS');
  if (typeof mjd === 'number' && Number.isFinite(mjd)) return new Date((mjd - MJD_UNIX_EPOCH) * DAY_MS);
  return undefined;
}

/** Exposure time in seconds (EXPTIME, else EXPOSURE), or 0. */
export function exposureSeconds(hdus: Array<{ cards: FitsCard[] }>): number {
  const value = keyword(hdus, 'EXPTIME') ?? keyword(hdus, 'EXPOSURE');
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** The middle of the exposure: start + EXPTIME / 2. */
export function observationMidpoint(hdus: Array<{ cards: FitsCard[] }>): Date | undefined {
  const start = observationStart(hdus);
  return start ? new Date(start.getTime() + (exposureSeconds(hdus) * 1000) / 2) : undefined;
}

export function toMjd(date: Date): number {
  return date.getTime() / DAY_MS + MJD_UNIX_EPOCH;
}

/** A name safe for an output file: letters, digits, '-', '_' and '.'. */
export function safeFileStem(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'output';
}

/** The median of about `samples` finite pixels taken at a regular stride: a quick background level. */
export function sampledMedian(data: ArrayLike<number>, samples = 20_000): number {
  const stride = Math.max(1, Math.floor(data.length / samples));
  const picked: number[] = [];
  for (let i = 0; i < data.length; i += stride) {
    const value = data[i];
    if (Number.isFinite(value)) picked.push(value);
  }
  if (!picked.length) return NaN;
  picked.sort((a, b) => a - b);
  const middle = picked.length >> 1;
  return picked.length % 2 ? picked[middle] : (picked[middle - 1] + picked[middle]) / 2;
}

/** The central part of an image, `fraction` of its width and height (at least one pixel each way). */
export function centreCrop<T extends Float32Array | Float64Array>(data: T, width: number, height: number, fraction: number) {
  const cropWidth = Math.max(1, Math.round(width * fraction));
  const cropHeight = Math.max(1, Math.round(height * fraction));
  const x0 = Math.floor((width - cropWidth) / 2);
  const y0 = Math.floor((height - cropHeight) / 2);
  const out = new (data.constructor as { new (length: number): T })(cropWidth * cropHeight);
  for (let row = 0; row < cropHeight; row++) {
    const start = (y0 + row) * width + x0;
    out.set(data.subarray(start, start + cropWidth), row * cropWidth);
  }
  return { data: out, width: cropWidth, height: cropHeight };
}
