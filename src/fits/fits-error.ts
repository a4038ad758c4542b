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
