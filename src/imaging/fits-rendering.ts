/**
 * FITS image → 8-bit grayscale frame, the one rendering path behind thumbnails, the product page's preview and
 * the timelapse. Plain code over typed arrays: no framework imports.
 */
import { boxDownsample, percentileLimits, resampleArea, stretchToUint8, zscale } from '../fits';
import { fitSize, type GrayFrame } from './gray-frame';

export const STRETCHES = ['zscale', 'minmax', 'p99.5', 'p99', 'p95'] as const;
export type StretchName = (typeof STRETCHES)[number];
export const MAPPINGS = ['linear', 'sqrt', 'log', 'asinh'] as const;
export type MappingName = (typeof MAPPINGS)[number];

export interface PixelArray {
  width: number;
  height: number;
  data: Float32Array | Float64Array;
}

export interface RenderOptions {
  /** Longest side of the result in pixels; the image is box-averaged down to it (never enlarged). */
  maxSide?: number;
  stretch?: StretchName;
  mapping?: MappingName;
  /** Limits to use instead of computing them (e.g. one set for every frame of a timelapse). */
  limits?: { z1: number; z2: number };
}

/** The display limits a stretch gives for an image, computed on the full-resolution pixels. */
export function stretchLimits(image: PixelArray, stretch: StretchName = 'zscale'): { z1: number; z2: number } {
  switch (stretch) {
    case 'zscale':
      return zscale(image.data, image.width, image.height);
    case 'minmax':
      return percentileLimits(image.data, 0, 100);
    case 'p99.5':
      return percentileLimits(image.data, 0.25, 99.75);
    case 'p99':
      return percentileLimits(image.data, 0.5, 99.5);
    case 'p95':
      return percentileLimits(image.data, 2.5, 97.5);
  }
}

/**
 * The image area-averaged to exactly the size an image writer would fit into `maxSide` (same rounding as
 * `fitSize`), so the writer has nothing left to resize; smaller images are returned as they are.
 */
export function fitPixels(data: Float32Array | Float64Array, width: number, height: number, maxSide: number): PixelArray {
  const size = fitSize(width, height, maxSide);
  if (size.width === width && size.height === height) return { data, width, height };
  // A whole-factor box average first (the cheaper pass over the full image), then the exact area resample.
  const factor = Math.floor(Math.min(width / size.width, height / size.height));
  const boxed = factor >= 2 ? boxDownsample(data, width, height, Math.ceil(Math.max(width, height) / factor)) : { data, width, height };
  return resampleArea(boxed.data, boxed.width, boxed.height, size.width, size.height);
}

/**
 * Renders an image as the top-down grayscale frame an image file wants (FITS row 1 is the bottom row), area-averaged
 * to fit `maxSide`.
 */
export function renderFrame(image: PixelArray, options: RenderOptions = {}): GrayFrame {
  const limits = options.limits ?? stretchLimits(image, options.stretch);
  const small = options.maxSide ? fitPixels(image.data, image.width, image.height, options.maxSide) : image;
  const pixels = stretchToUint8(small.data, small.width, small.height, { ...limits, mapping: options.mapping ?? 'linear', flipY: true });
  return { width: small.width, height: small.height, pixels };
}

export function isStretchName(value: unknown): value is StretchName {
  return STRETCHES.includes(value as StretchName);
}

export function isMappingName(value: unknown): value is MappingName {
  return MAPPINGS.includes(value as MappingName);
}
