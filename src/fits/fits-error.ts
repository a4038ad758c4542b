/**
 * The one error type this library throws for problems with a file's content (not a FITS file, truncated,
 * inconsistent header). I/O errors from `fs` (missing file, permissions) propagate unchanged.
 *
 * `message` carries the location so it can be shown as it is: "HorseHead.fits, HDU 1: truncated header ...".
 * `reason` is the same text without the location, `file` the base name of the file (never a full path, so that
 * server paths do not leak into messages shown to users), `hdu` the zero-based HDU index when known.
 */
export class FitsError extends Error {
  /** The message without the "file, HDU n: " prefix. */
  readonly reason: string;

  constructor(
    message: string,
    readonly file?: string,
    readonly hdu?: number,
  ) {
    super(FitsError.format(message, file, hdu));
    this.name = 'FitsError';
    this.reason = message;
  }

  private static format(message: string, file?: string, hdu?: number): string {
    const where: string[] = [];
    if (file) where.push(file);
    if (hdu !== undefined) where.push(`HDU ${hdu}`);
    return where.length ? `${where.join(', ')}: ${message}` : message;
  }
}

/** Thousands separated by commas, whatever the locale: "100,000,000". */
export function formatCount(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * An image (or the work of decoding it) over a budget, found from the header before anything was allocated.
 * `amount` and `limit` count `unit`s; `tooLargeTo('preview')` gives "too large to preview (100,000,000 pixels,
 * limit 50,000,000)", the wording shown to users.
 */
export class FitsTooLargeError extends FitsError {
  constructor(
    message: string,
    readonly amount: number,
    readonly limit: number,
    readonly unit: 'pixels' | 'bytes',
    file?: string,
    hdu?: number,
  ) {
    super(message, file, hdu);
    this.name = 'FitsTooLargeError';
  }

  /** "too large to <verb> (N pixels, limit M)" or "(N bytes to decode, limit M)". */
  tooLargeTo(verb: string): string {
    const what = this.unit === 'pixels' ? 'pixels' : 'bytes to decode';
    return `too large to ${verb} (${formatCount(this.amount)} ${what}, limit ${formatCount(this.limit)})`;
  }
}
