/**
 * Shared types of the photometry library.
 *
 * Coordinates everywhere are FITS 1-based pixel coordinates: pixel centres lie at integers, pixel (1, 1) is the
 * first value of `data` and spans 0.5..1.5 in x and in y, and the value at pixel (x, y) is
 * `data[(y - 1) * width + (x - 1)]`. NaN marks a blank pixel.
 */
export interface PixelImage {
  width: number;
  height: number;
  data: Float32Array | Float64Array;
}

/** A position in FITS 1-based pixel coordinates. */
export interface PixelPosition {
  x: number;
  y: number;
}

/** Thrown for arguments no measurement could make sense of (negative radii, an image whose data is too short). */
export class PhotometryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhotometryError';
  }
}

/** Checks the image's shape once, so the functions can index `data` without bounds checks. */
export function assertImage(image: PixelImage): void {
  const { width, height, data } = image ?? ({} as PixelImage);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PhotometryError(`Image size must be positive integers, got ${width}×${height}`);
  }
  if (!data || data.length < width * height) {
    throw new PhotometryError(`Image data holds ${data?.length ?? 0} values, ${width}×${height} needs ${width * height}`);
  }
}

export function assertFinitePosition(x: number, y: number, what = 'position'): void {
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    throw new PhotometryError(`The ${what} must be finite numbers, got (${x}, ${y})`);
  }
}
