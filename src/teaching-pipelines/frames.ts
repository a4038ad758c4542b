/**
 * What the teaching pipelines share: reading frames under the run's pixel budgets (a FitsError becomes the
 * student's failure message, naming the file as it was uploaded), the observation time from its headers, and the
 * list of FITS suffixes they accept.
 */
import {
  DEFAULT_BYTES_PER_PIXEL,
  FitsCard,
  FitsError,
  FitsHduHeader,
  FitsImage,
  FitsTooLargeError,
  formatCount,
  headerValue,
  imagePixels,
  readFitsHeaders,
  readFitsImage,
  readImageHeader,
} from '../fits';
import { AsyncError, FrameLimits, PipelineInput } from '../pipeline-sdk/pipeline-process';

export const FITS_SUFFIXES = ['.fits', '.fit', '.fts', '.fits.gz', '.fit.gz', '.fits.fz', '.fz'];

/** The budgets when the context gives none: the portal's defaults of PIPELINE_MAX_FRAME_PIXELS and PIPELINE_MAX_RUN_PIXELS. */
export const DEFAULT_FRAME_LIMITS: FrameLimits = { maxFramePixels: 50_000_000, maxRunPixels: 1_000_000_000 };

const MJD_UNIX_EPOCH = 40587;
const DAY_MS = 86_400_000;

/** A FitsError as the student reads it: the uploaded name (never the storage name), the problem, the HDU. */
function frameError(input: PipelineInput, error: unknown): unknown {
  if (error instanceof FitsTooLargeError) return new AsyncError(`${input.originalName}: ${error.tooLargeTo('process')}`);
  if (error instanceof FitsError) return new AsyncError(`${input.originalName}: ${error.reason}${error.hdu !== undefined ? ` (HDU ${error.hdu})` : ''}`);
  return error;
}

/**
 * Reads a run's frames under its budgets: each frame at most `maxFramePixels` (refused from its header, before
 * anything is allocated), all the frames read together at most `maxRunPixels`. One per run.
 */
export class FrameReader {
  private readonly limits: FrameLimits;
  /** Pixels of the frames read (or promised by checkRun) so far. */
  private used = 0;
  private readonly checked = new Set<number>();

  constructor(limits?: Partial<FrameLimits>) {
    this.limits = { ...DEFAULT_FRAME_LIMITS, ...limits };
  }

  /**
   * Before any pixels are read: every frame's size from its header, so that a run over a budget fails at once,
   * naming the frame (or saying how many pixels all of them would be), rather than after hours of work.
   */
  async checkRun(inputs: PipelineInput[], options: { skipUnreadable?: boolean } = {}): Promise<void> {
    let total = 0;
    for (const input of inputs) {
      let pixels: number;
      try {
        const header = await this.guard(input, () => readImageHeader(input.path, { maxInflatedBytes: this.maxBytes }));
        pixels = header ? await this.guard(input, () => imagePixels(header, input.originalName)) : 0;
      } catch (error) {
        // A command pipeline's own program may read files this reader does not: only the budgets are its business.
        if (!options.skipUnreadable || this.isBudgetRefusal(error)) throw error;
        pixels = 0;
      }
      if (pixels > this.limits.maxFramePixels) throw new AsyncError(`${input.originalName}: ${this.tooLarge(pixels, this.limits.maxFramePixels)}`);
      total += pixels;
    }
    if (total > this.limits.maxRunPixels) {
      throw new AsyncError(`These ${inputs.length} frames are ${this.tooLarge(total, this.limits.maxRunPixels)} in one run; choose fewer of them`);
    }
    for (const input of inputs) this.checked.add(input.id);
    this.used = Math.max(this.used, total);
  }

  /** The frame's image (a FitsError becomes a message the student can act on). */
  async read(input: PipelineInput): Promise<FitsImage> {
    const image = await this.guard(input, () => readFitsImage(input.path, { maxPixels: this.limits.maxFramePixels }));
    if (!this.checked.has(input.id)) {
      this.used += image.width * image.height;
      if (this.used > this.limits.maxRunPixels) {
        throw new AsyncError(`${input.originalName}: the frames read so far are ${this.tooLarge(this.used, this.limits.maxRunPixels)} in one run`);
      }
    }
    return image;
  }

  /** Every HDU's header, inflating a gzip file no further than a frame's byte budget. */
  headers(input: PipelineInput): Promise<FitsHduHeader[]> {
    return this.guard(input, () => readFitsHeaders(input.path, { maxInflatedBytes: this.maxBytes }));
  }

  private get maxBytes(): number {
    return Math.min(Number.MAX_SAFE_INTEGER, this.limits.maxFramePixels * DEFAULT_BYTES_PER_PIXEL);
  }

  private isBudgetRefusal(error: unknown): boolean {
    return error instanceof AsyncError && / too large to process \(/.test(error.message);
  }

  private tooLarge(pixels: number, limit: number): string {
    return `too large to process (${formatCount(pixels)} pixels, limit ${formatCount(limit)})`;
  }

  private async guard<T>(input: PipelineInput, work: () => Promise<T> | T): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw frameError(input, error);
    }
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
