/**
 * Saturated pixels. With a level (the SATURATE keyword, or the camera's full well in ADU) every finite pixel at or
 * above it counts. Without one the level is guessed from the data: the maximum value, if the data are integer counts
 * and the maximum is a converter's ceiling (2^n − 1 for n = 8…32, e.g. 65535 or 32767), or if at least 4 pixels share
 * the maximum and it stands well above the sky (a clipped plateau). Otherwise nothing is taken to be saturated.
 */
import { clippedSampleStats } from './sample-statistics';
import { assertImage, type PixelImage } from './types';

const MIN_PLATEAU = 4;

/** The saturation level the data suggest (see above), or null. Reads the image once. */
export function estimateSaturationLevel(image: PixelImage): number | null {
  assertImage(image);
  const { data } = image;
  const n = image.width * image.height;
  let max = -Infinity;
  let atMax = 0;
  let integers = true;
  for (let k = 0; k < n; k++) {
    const v = data[k];
    if (v - v !== 0) continue; // NaN, ±Infinity
    if (integers && v % 1 !== 0) integers = false;
    if (v > max) {
      max = v;
      atMax = 1;
    } else if (v === max) {
      atMax++;
    }
  }
  if (max === -Infinity) return null;
  if (integers) {
    for (let bits = 8; bits <= 32; bits++) if (max === 2 ** bits - 1) return max;
  }
  if (atMax >= MIN_PLATEAU) {
    // A plateau counts only well above the sky, so a blank frame is not all "saturated".
    const stride = Math.max(1, Math.floor(n / 100000));
    const sample: number[] = [];
    for (let k = 0; k < n; k += stride) sample.push(data[k]);
    const sky = clippedSampleStats(sample);
    if (max > sky.median + 10 * Math.max(sky.stdDev, 1e-9 * Math.abs(sky.median))) return max;
  }
  return null;
}

/** Pixels at or above `level` (default: {@link estimateSaturationLevel}; 0 when it finds none). */
export function countSaturated(image: PixelImage, level?: number): number {
  assertImage(image);
  const threshold = level ?? estimateSaturationLevel(image);
  if (threshold === null || threshold === undefined || Number.isNaN(threshold)) return 0;
  const { data } = image;
  const n = image.width * image.height;
  let count = 0;
  for (let k = 0; k < n; k++) if (data[k] >= threshold) count++;
  return count;
}
