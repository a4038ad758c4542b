/**
 * Circular aperture photometry with a sky annulus, after IRAF `phot` / DAOPHOT and photutils:
 *
 * - Aperture sum: every pixel weighted by the exact area of its overlap with the circle (photutils' `exact`), so the
 *   sum changes smoothly with sub-pixel shifts of the centre. Blank (NaN) pixels are skipped (their area left out of
 *   `apertureArea`, so the sky subtracted matches) and flagged `blank-pixels`.
 * - Sky: the pixels whose centres lie in skyInner <= r < skyOuter, sigma-clipped at 3σ about the median
 *   (astropy's `sigma_clipped_stats`); the sky level per pixel is the clipped median by default (interpolated within
 *   its bin for integer counts), or the clipped mean, or DAOPHOT's mode 3·median − 2·mean. The median is the
 *   default because it resists the faint stars of a crowded annulus without the mode's extra noise.
 * - flux = gain · (sum − apertureArea · sky), in electrons when gain is e⁻/ADU (gain 1: ADU).
 * - fluxError (IRAF phot, in electrons) = √( flux + A·(g·σ)² + A²·(g·σ)²/n_sky ), with A the aperture area, σ the
 *   sky's pixel-to-pixel standard deviation in ADU (it holds read noise and sky photon noise alike) and g the gain:
 *   source photon noise, sky noise in the aperture, and the error of the mean sky level. (The flux term counts only
 *   positive flux.)
 * - instrumentalMagnitude = zeroPoint − 2.5·log10(flux), flux in electrons for the whole exposure, or per second when
 *   `exposureTime` is given; magnitudeError = 1.0857 · fluxError / flux. Both NaN (flag `negative-flux`) when the flux
 *   is zero or negative.
 * - An aperture that reaches beyond the image is not measured: flux, errors and magnitude are NaN, flag `off-image`
 *   (a partial sum would be a wrong number that looks right). A sky annulus cut by the border is measured from the
 *   part on the image, flag `annulus-off-image`.
 *
 * Cost: only the pixels in the annulus's bounding box are read.
 */
import { centroid, type CentroidOptions } from './centroid';
import { pixelCircleOverlap, pixelRange } from './overlap';
import { clippedSampleStats } from './sample-statistics';
import { assertFinitePosition, assertImage, PhotometryError, type PixelImage } from './types';

export type SkyEstimator = 'median' | 'mean' | 'mode';

export type PhotometryFlag =
  | 'off-image'
  | 'annulus-off-image'
  | 'blank-pixels'
  | 'negative-flux'
  | 'saturated'
  | 'no-sky'
  | 'centroid-failed';

export interface AperturePhotometryOptions {
  /** Aperture centre, FITS 1-based pixels. */
  x: number;
  y: number;
  /** Aperture radius, pixels. */
  radius: number;
  /** Sky annulus inner radius. Default 1.5 × radius. */
  skyInner?: number;
  /** Sky annulus outer radius. Default max(skyInner + 5, 2.5 × radius). */
  skyOuter?: number;
  /** Electrons per ADU. Default 1 (then flux and errors are in ADU). */
  gain?: number;
  /** Default 25. */
  zeroPoint?: number;
  /** Seconds; when given the magnitude is of the flux per second. */
  exposureTime?: number;
  /** ADU level at or above which a pixel in the aperture is saturated (sets `saturated`, flag `saturated`). */
  saturation?: number;
  /** Default 'median'. */
  skyEstimator?: SkyEstimator;
  /** Sigma clipping of the annulus. Default 3. */
  skySigma?: number;
  /** Centroid first (true, or the centroid's options) and measure there; falls back to (x, y) with flag
   *  `centroid-failed`. Default false: measure at (x, y). */
  recenter?: boolean | CentroidOptions;
}

export interface AperturePhotometryResult {
  /** Where the aperture was placed (after recentring, if asked). */
  x: number;
  y: number;
  /** Sky-subtracted aperture sum × gain (electrons, or ADU with gain 1); NaN when off the image or without sky. */
  flux: number;
  fluxError: number;
  /** Raw aperture sum, ADU, before sky subtraction. */
  sum: number;
  /** Sky level per pixel, ADU. */
  sky: number;
  /** Pixel-to-pixel standard deviation of the clipped sky, ADU. */
  skyStdDev: number;
  /** Area of the aperture measured, pixels (fractional; blank pixels and pixels off the image excluded). */
  apertureArea: number;
  /** Sky pixels kept after clipping. */
  skyPixels: number;
  /** Blank (NaN) pixels that overlapped the aperture. */
  blankPixels: number;
  /** Signal-to-noise ratio, flux / fluxError. */
  snr: number;
  instrumentalMagnitude: number;
  magnitudeError: number;
  saturated: boolean;
  flags: PhotometryFlag[];
}

/** 2.5 / ln 10: magnitude error per unit of relative flux error. */
export const MAGNITUDE_ERROR_FACTOR = 2.5 / Math.LN10;

export function aperturePhotometry(image: PixelImage, options: AperturePhotometryOptions): AperturePhotometryResult {
  assertImage(image);
  assertFinitePosition(options.x, options.y, 'aperture centre');
  const radius = options.radius;
  const skyInner = options.skyInner ?? 1.5 * radius;
  const skyOuter = options.skyOuter ?? Math.max(skyInner + 5, 2.5 * radius);
  const gain = options.gain ?? 1;
  const zeroPoint = options.zeroPoint ?? 25;
  if (!(radius > 0)) throw new PhotometryError(`Aperture radius must be positive, got ${radius}`);
  if (!(skyInner >= 0 && skyOuter > skyInner)) {
    throw new PhotometryError(`Sky annulus must have 0 <= inner < outer, got ${skyInner}..${skyOuter}`);
  }
  if (!(gain > 0)) throw new PhotometryError(`Gain must be positive, got ${gain}`);
  if (options.exposureTime !== undefined && !(options.exposureTime > 0)) {
    throw new PhotometryError(`Exposure time must be positive, got ${options.exposureTime}`);
  }

  const flags: PhotometryFlag[] = [];
  let x = options.x;
  let y = options.y;
  if (options.recenter) {
    const c = centroid(image, x, y, options.recenter === true ? {} : options.recenter);
    if (c) {
      x = c.x;
      y = c.y;
    } else {
      flags.push('centroid-failed');
    }
  }

  const { width, height, data } = image;

  // Sky annulus: pixel centres with skyInner <= r < skyOuter.
  const [sxlo, sxhi] = pixelRange(x, skyOuter);
  const [sylo, syhi] = pixelRange(y, skyOuter);
  if (sxlo < 1 || sylo < 1 || sxhi > width || syhi > height) flags.push('annulus-off-image');
  const skyValues = new Float64Array(Math.max(0, (sxhi - sxlo + 1) * (syhi - sylo + 1)));
  let nSky = 0;
  const inner2 = skyInner * skyInner;
  const outer2 = skyOuter * skyOuter;
  for (let j = Math.max(1, sylo); j <= Math.min(height, syhi); j++) {
    const dy2 = (j - y) * (j - y);
    const row = (j - 1) * width - 1;
    for (let i = Math.max(1, sxlo); i <= Math.min(width, sxhi); i++) {
      const r2 = (i - x) * (i - x) + dy2;
      if (r2 < inner2 || r2 >= outer2) continue;
      const v = data[row + i];
      if (Number.isFinite(v)) skyValues[nSky++] = v;
    }
  }
  const skyStats = clippedSampleStats(skyValues.subarray(0, nSky), { sigma: options.skySigma ?? 3 });
  const estimator = options.skyEstimator ?? 'median';
  const sky =
    estimator === 'mean'
      ? skyStats.mean
      : estimator === 'mode'
        ? 3 * skyStats.median - 2 * skyStats.mean
        : skyStats.median;
  const skyStdDev = skyStats.stdDev;
  const skyPixels = skyStats.count;
  if (skyPixels < 3 || !Number.isFinite(sky)) flags.push('no-sky');

  // Aperture: exact overlap weights.
  const [axlo, axhi] = pixelRange(x, radius);
  const [aylo, ayhi] = pixelRange(y, radius);
  let sum = 0;
  let area = 0;
  let blankPixels = 0;
  let offImage = false;
  let saturated = false;
  const saturation = options.saturation;
  for (let j = aylo; j <= ayhi; j++) {
    for (let i = axlo; i <= axhi; i++) {
      const w = pixelCircleOverlap(i, j, x, y, radius);
      if (w <= 0) continue;
      if (i < 1 || i > width || j < 1 || j > height) {
        offImage = true;
        continue;
      }
      const v = data[(j - 1) * width + (i - 1)];
      if (!Number.isFinite(v)) {
        blankPixels++;
        continue;
      }
      if (saturation !== undefined && v >= saturation) saturated = true;
      sum += w * v;
      area += w;
    }
  }
  if (offImage) flags.push('off-image');
  if (blankPixels > 0) flags.push('blank-pixels');
  if (saturated) flags.push('saturated');

  let flux = NaN;
  let fluxError = NaN;
  if (!offImage && !flags.includes('no-sky')) {
    flux = gain * (sum - area * sky);
    const skyVarE = (gain * skyStdDev) ** 2;
    fluxError = Math.sqrt(Math.max(0, flux) + area * skyVarE + (area * area * skyVarE) / skyPixels);
  }
  let instrumentalMagnitude = NaN;
  let magnitudeError = NaN;
  if (flux > 0) {
    const rate = options.exposureTime ? flux / options.exposureTime : flux;
    instrumentalMagnitude = zeroPoint - 2.5 * Math.log10(rate);
    magnitudeError = (MAGNITUDE_ERROR_FACTOR * fluxError) / flux;
  } else if (!Number.isNaN(flux)) {
    flags.push('negative-flux');
  }

  return {
    x,
    y,
    flux,
    fluxError,
    sum,
    sky,
    skyStdDev,
    apertureArea: area,
    skyPixels,
    blankPixels,
    snr: fluxError > 0 ? flux / fluxError : NaN,
    instrumentalMagnitude,
    magnitudeError,
    saturated,
    flags,
  };
}
