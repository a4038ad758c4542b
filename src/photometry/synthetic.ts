/**
 * Synthetic star fields for tests and demos: pixel-integrated Gaussian stars on a flat sky, with seeded noise
 * (photon noise as a Gaussian of variance signal/gain, plus read noise), optionally rounded to integer counts.
 * Not exported from the library's index; deterministic for a given seed.
 */
import type { PixelImage } from './types';

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates from a uniform source (Box–Muller). */
export function normalRandom(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const m = Math.sqrt(-2 * Math.log(u));
    spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  };
}

/** erf to ~1e-7 (Abramowitz & Stegun 7.1.26). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y =
    1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return sign * y;
}

export interface SyntheticStar {
  x: number;
  y: number;
  /** Total flux, ADU. */
  flux: number;
  /** Gaussian sigma, pixels (FWHM = 2.3548 sigma). */
  sigma: number;
}

/** A flat image of the given level. */
export function flatImage(width: number, height: number, level = 0): PixelImage {
  return { width, height, data: new Float64Array(width * height).fill(level) };
}

/** Adds a Gaussian star, integrated over each pixel, out to 6 sigma. */
export function addGaussianStar(image: PixelImage, star: SyntheticStar): void {
  const { width, height, data } = image;
  const reach = Math.ceil(6 * star.sigma) + 1;
  const s = star.sigma * Math.SQRT2;
  const cumulative = (c: number, lo: number, hi: number) => {
    const out: number[] = [];
    for (let i = lo; i <= hi; i++) out.push(0.5 * (erf((i + 0.5 - c) / s) - erf((i - 0.5 - c) / s)));
    return out;
  };
  const xlo = Math.max(1, Math.floor(star.x) - reach);
  const xhi = Math.min(width, Math.ceil(star.x) + reach);
  const ylo = Math.max(1, Math.floor(star.y) - reach);
  const yhi = Math.min(height, Math.ceil(star.y) + reach);
  const fx = cumulative(star.x, xlo, xhi);
  const fy = cumulative(star.y, ylo, yhi);
  for (let j = ylo; j <= yhi; j++) {
    for (let i = xlo; i <= xhi; i++) {
      data[(j - 1) * width + (i - 1)] += star.flux * fx[i - xlo] * fy[j - ylo];
    }
  }
}

export interface NoiseOptions {
  seed: number;
  /** Electrons per ADU: photon noise has variance value/gain (ADU²). Default 1. */
  gain?: number;
  /** Read noise, ADU. Default 0. */
  readNoise?: number;
  /** Round to whole counts, as a CCD does. Default false. */
  integer?: boolean;
}

/** Adds photon and read noise in place (Gaussian approximations) and optionally rounds to integers. */
export function addNoise(image: PixelImage, options: NoiseOptions): void {
  const gain = options.gain ?? 1;
  const readNoise = options.readNoise ?? 0;
  const normal = normalRandom(seededRandom(options.seed));
  const { data } = image;
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (!Number.isFinite(v)) continue;
    const sd = Math.sqrt(Math.max(0, v) / gain + readNoise * readNoise);
    const noisy = v + sd * normal();
    data[k] = options.integer ? Math.round(noisy) : noisy;
  }
}

/** A star field: flat sky, the given stars, seeded noise. */
export function starField(
  width: number,
  height: number,
  sky: number,
  stars: SyntheticStar[],
  noise: NoiseOptions | null,
): PixelImage {
  const image = flatImage(width, height, sky);
  for (const star of stars) addGaussianStar(image, star);
  if (noise) addNoise(image, noise);
  return image;
}
