/**
 * Centroid of a star near a given position: intensity-weighted mean position of background-subtracted pixels in a
 * square window, iterated with the window re-centred on the last estimate. The window's edges cut pixels
 * fractionally, so the window is always symmetric about the current estimate and the iteration's fixed point is the
 * centre of any symmetric profile; a fixed, pixel-aligned box would pull the centroid towards the box's centre.
 */
import { clippedSampleStats } from './sample-statistics';
import { assertFinitePosition, assertImage, PhotometryError, type PixelImage } from './types';

export interface CentroidOptions {
  /** Width of the (square) centroiding window, pixels. Default 7. */
  box?: number;
  /** Required signal: the brightest 3×3 mean in the window must stand this many of its own standard deviations
   *  above the background. Default 5. */
  minSnr?: number;
  /** Stop when an iteration moves the centroid less than this, pixels. Default 0.0005. */
  tolerance?: number;
  /** At most this many iterations. Default 50. */
  maxIterations?: number;
}

export interface Centroid {
  x: number;
  y: number;
  /** Local background (sigma-clipped median of a frame of pixels around the window). */
  background: number;
  /** Its pixel-to-pixel standard deviation. */
  backgroundStdDev: number;
  /** Brightest pixel in the final window, background subtracted. */
  peak: number;
}

/** Fraction of the pixel [i − 0.5, i + 0.5] inside [lo, hi]. */
function overlap1d(i: number, lo: number, hi: number): number {
  return Math.max(0, Math.min(i + 0.5, hi) - Math.max(i - 0.5, lo));
}

/** Local background from the square frame of pixels `inner < max(|dx|, |dy|) <= outer` around (x0, y0). */
export function frameBackground(
  image: PixelImage,
  x0: number,
  y0: number,
  inner: number,
  outer: number,
): { level: number; stdDev: number; count: number } {
  const { width, height, data } = image;
  const values: number[] = [];
  const ylo = Math.max(1, y0 - outer);
  const yhi = Math.min(height, y0 + outer);
  const xlo = Math.max(1, x0 - outer);
  const xhi = Math.min(width, x0 + outer);
  for (let y = ylo; y <= yhi; y++) {
    const row = (y - 1) * width - 1;
    const insideRows = Math.abs(y - y0) <= inner;
    for (let x = xlo; x <= xhi; x++) {
      if (insideRows && Math.abs(x - x0) <= inner) continue;
      values.push(data[row + x]);
    }
  }
  const stats = clippedSampleStats(values);
  return { level: stats.median, stdDev: stats.stdDev, count: stats.count };
}

/**
 * Centroid of the star near (x, y), in FITS 1-based pixel coordinates; null when the window holds no significant
 * signal, lies off the image, or the iteration runs away from the starting window.
 */
export function centroid(image: PixelImage, x: number, y: number, options: CentroidOptions = {}): Centroid | null {
  assertImage(image);
  assertFinitePosition(x, y);
  const box = options.box ?? 7;
  if (!(box >= 3)) throw new PhotometryError(`Centroid box must be at least 3 pixels, got ${box}`);
  const minSnr = options.minSnr ?? 5;
  const tolerance = options.tolerance ?? 0.0005;
  const maxIterations = options.maxIterations ?? 50;
  const { width, height, data } = image;
  const half = box / 2;
  const value = (i: number, j: number) =>
    i >= 1 && i <= width && j >= 1 && j <= height ? data[(j - 1) * width + (i - 1)] : NaN;

  const x0 = Math.round(x);
  const y0 = Math.round(y);
  if (x0 < 1 || x0 > width || y0 < 1 || y0 > height) return null;
  const inner = Math.ceil(half);
  const bg = frameBackground(image, x0, y0, inner, inner + 3);
  if (!Number.isFinite(bg.level) || bg.count < 8) return null;
  const sigma = bg.stdDev > 0 ? bg.stdDev : 1e-12;

  // Start from the brightest 3×3 mean in the box: robust against a starting point a few pixels off the star.
  const r = Math.floor(half);
  let best = -Infinity;
  let sx = x0;
  let sy = y0;
  for (let j = y0 - r; j <= y0 + r; j++) {
    for (let i = x0 - r; i <= x0 + r; i++) {
      let s = 0;
      let n = 0;
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const v = value(i + di, j + dj);
          if (Number.isFinite(v)) {
            s += v;
            n++;
          }
        }
      }
      if (n >= 5 && s / n > best) {
        best = s / n;
        sx = i;
        sy = j;
      }
    }
  }
  if (!((best - bg.level) / (sigma / 3) >= minSnr)) return null;

  let cx = sx;
  let cy = sy;
  let peak = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const xlo = cx - half;
    const xhi = cx + half;
    const ylo = cy - half;
    const yhi = cy + half;
    let sw = 0;
    let swx = 0;
    let swy = 0;
    peak = -Infinity;
    for (let j = Math.round(ylo); j <= Math.round(yhi); j++) {
      const wy = overlap1d(j, ylo, yhi);
      if (wy <= 0) continue;
      for (let i = Math.round(xlo); i <= Math.round(xhi); i++) {
        const wx = overlap1d(i, xlo, xhi);
        if (wx <= 0) continue;
        const v = value(i, j) - bg.level;
        if (!(v > 0)) continue; // also skips blank and off-image pixels
        if (v > peak) peak = v;
        const w = wx * wy * v;
        sw += w;
        // An edge pixel counts at the middle of its part inside the window.
        swx += w * (wx < 1 ? 0.5 * (Math.max(i - 0.5, xlo) + Math.min(i + 0.5, xhi)) : i);
        swy += w * (wy < 1 ? 0.5 * (Math.max(j - 0.5, ylo) + Math.min(j + 0.5, yhi)) : j);
      }
    }
    if (!(sw > 0)) return null;
    const nx = swx / sw;
    const ny = swy / sw;
    const moved = Math.hypot(nx - cx, ny - cy);
    cx = nx;
    cy = ny;
    if (Math.abs(cx - x0) > box || Math.abs(cy - y0) > box) return null;
    if (moved < tolerance) break;
  }
  if (cx < 0.5 || cx > width + 0.5 || cy < 0.5 || cy > height + 0.5) return null;
  return { x: cx, y: cy, background: bg.level, backgroundStdDev: bg.stdDev, peak };
}
