/**
 * Display stretches for FITS images: choosing the limits (IRAF zscale, percentiles), mapping pixel values
 * to 8-bit grey levels (linear, sqrt, log, asinh) and shrinking images for thumbnails (box average,
 * nearest pixel). Images are row-major typed arrays in FITS order: index (y − 1)·width + (x − 1) for the
 * 1-based FITS pixel (x, y), so row 0 is the bottom row (FITS row 1). NaN marks blank pixels.
 * Plain arithmetic: no framework imports.
 */
import { finiteCopy, percentilesInPlace } from './image-statistics';

/** Display limits: values ≤ z1 are black, values ≥ z2 white. */
export interface DisplayLimits {
  z1: number;
  z2: number;
}

export interface ZScaleOptions {
  /** Maximum number of pixels sampled (default 1000, as astropy and current IRAF `display`). */
  nSamples?: number;
  /** Divides the slope of the fitted line: smaller values widen the range (default 0.25). */
  contrast?: number;
  /** If fewer than max(minNPixels, maxReject × sample size) pixels survive rejection, z1/z2 are the sample range (default 0.5). */
  maxReject?: number;
  /** Smallest number of pixels the fit may be left with (default 5). */
  minNPixels?: number;
  /** Rejection threshold in standard deviations of the residuals (default 2.5). */
  krej?: number;
  /** Maximum number of fit-and-reject iterations (default 5). */
  maxIterations?: number;
}

/**
 * IRAF's zscale (the `display` task's default autoscaling, also DS9's and astropy's ZScaleInterval), following
 * IRAF's `zscale.x` (mzscale, zsc_zlimits, zsc_fit_line):
 *
 * 1. Sample: a regular grid of pixels with the same step s = max(1, ⌊√((width−1)(height−1)/nSamples)⌋)
 *    along rows and columns, starting at the first pixel, taken row by row from the first (bottom) row;
 *    non-finite pixels are skipped (as IRAF skips masked pixels), and sampling stops at nSamples.
 * 2. Sort the sample: I(i), i = 1..n. Its median (mean of the two middle values for even n) is the centre.
 * 3. Fit a line I(i) ≈ z0 + slope·i by least squares with iterative k-sigma rejection: in each pass,
 *    pixels whose residual exceeds krej × σ of the residuals are rejected together with their neighbours
 *    within ngrow = max(1, round(0.01·n)) ranks ("growing" the rejection: IRAF rejects the preceding
 *    neighbours at once and flags the following ones, which then only leave the σ estimate, not the fit,
 *    unless they fail the threshold themselves); passes stop after maxIterations, when a pass rejects
 *    nothing more, or when fewer than minpix = max(minNPixels, ⌊maxReject·n⌋) pixels remain.
 * 4. If fewer than minpix pixels remain, z1 and z2 are the sample's min and max. Otherwise, with the slope
 *    divided by the contrast, the line through the median is extended to the first and last rank:
 *    z1 = max(min, median − (c − 1)·slope), z2 = min(max, median + (n − c)·slope), c = ⌊(n + 1)/2⌋.
 *
 * A contrast of 0 gives the sample's range. Fewer finite sample pixels than minNPixels (IRAF refuses those)
 * also give their range; an image without any finite pixel gives { z1: 0, z2: 0 }.
 */
export function zscale(data: ArrayLike<number>, width: number, height: number, options: ZScaleOptions = {}): DisplayLimits {
  checkImage(data, width, height);
  const nSamples = options.nSamples ?? 1000;
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new RangeError(`nSamples must be a positive integer, got ${nSamples}`);
  return zscaleFromSample(zscaleSample(data, width, height, nSamples), options);
}

/** The pixels zscale samples (step 1 of `zscale`), in sampling order. */
export function zscaleSample(data: ArrayLike<number>, width: number, height: number, nSamples = 1000): Float64Array {
  checkImage(data, width, height);
  const step = Math.max(1, Math.floor(Math.sqrt(((width - 1) * (height - 1)) / nSamples)));
  const sample = new Float64Array(Math.min(nSamples, width * height));
  let n = 0;
  for (let y = 0; y < height && n < nSamples; y += step) {
    const row = y * width;
    for (let x = 0; x < width; x += step) {
      const v = data[row + x];
      if (v - v !== 0) continue; // NaN or ±Infinity
      sample[n++] = v;
      if (n === nSamples) break;
    }
  }
  return sample.subarray(0, n);
}

/**
 * Steps 2-4 of `zscale` on a given sample (any order; not modified). Useful for cubes or image regions
 * sampled differently.
 */
export function zscaleFromSample(values: ArrayLike<number>, options: ZScaleOptions = {}): DisplayLimits {
  const contrast = options.contrast ?? 0.25;
  const maxReject = options.maxReject ?? 0.5;
  const minNPixels = options.minNPixels ?? 5;
  const krej = options.krej ?? 2.5;
  const maxIterations = options.maxIterations ?? 5;
  if (!(contrast >= 0)) throw new RangeError(`contrast must be >= 0, got ${contrast}`);
  if (!(krej > 0)) throw new RangeError(`krej must be positive, got ${krej}`);

  const sample = Float64Array.from(finiteCopy(values).values).sort();
  const n = sample.length;
  if (n === 0) return { z1: 0, z2: 0 };
  const zmin = sample[0];
  const zmax = sample[n - 1];
  if (n < minNPixels || contrast === 0) return { z1: zmin, z2: zmax };

  // 1-based centre rank, as IRAF.
  const center = Math.floor((n + 1) / 2);
  const median = n % 2 === 1 ? sample[center - 1] : (sample[center - 1] + sample[center]) / 2;

  const minpix = Math.max(minNPixels, Math.floor(n * maxReject));
  const ngrow = Math.max(1, Math.round(n * 0.01));
  const fit = fitLineWithRejection(sample, krej, ngrow, maxIterations, minpix);
  if (fit.ngoodpix < minpix) return { z1: zmin, z2: zmax };

  const slope = contrast > 0 ? fit.slope / contrast : fit.slope;
  return {
    z1: Math.max(zmin, median - (center - 1) * slope),
    z2: Math.min(zmax, median + (n - center) * slope),
  };
}

const GOOD_PIXEL = 0;
const BAD_PIXEL = 1;
const REJECT_PIXEL = 2;

/**
 * IRAF's zsc_fit_line: a straight line fitted to the sorted sample against rank, with the ranks mapped to
 * x ∈ [−1, 1] (which keeps the normal equations well conditioned), iteratively rejecting pixels further than
 * krej·σ from the line and growing each rejection by ngrow ranks. Returns the slope per rank and the number
 * of pixels left.
 */
function fitLineWithRejection(
  data: Float64Array,
  krej: number,
  ngrow: number,
  maxIterations: number,
  minpix: number,
): { slope: number; ngoodpix: number } {
  const npix = data.length;
  if (npix === 1) return { slope: 0, ngoodpix: 1 };
  const xscale = 2 / (npix - 1);
  const normx = new Float64Array(npix);
  for (let i = 0; i < npix; i++) normx[i] = i * xscale - 1;
  const flat = new Float64Array(npix);
  const badpix = new Uint8Array(npix);

  // Normal equations: with x symmetric about 0, the matrix is diagonal (Σx², n) and Σx is taken as 0.
  let sumxsqr = 0;
  let sumxz = 0;
  let sumx = 0;
  let sumz = 0;
  for (let i = 0; i < npix; i++) {
    const x = normx[i];
    const z = data[i];
    sumxsqr += x * x;
    sumxz += z * x;
    sumz += z;
  }
  let z0 = sumz / npix;
  let dz = sumxz / sumxsqr;

  let ngoodpix = npix;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const lastNgoodpix = ngoodpix;

    // Residuals from the current line, and their standard deviation over the pixels still good.
    let sum = 0;
    let sumsq = 0;
    let count = 0;
    for (let i = 0; i < npix; i++) {
      const residual = data[i] - (normx[i] * dz + z0);
      flat[i] = residual;
      if (badpix[i] === GOOD_PIXEL) {
        sum += residual;
        sumsq += residual * residual;
        count++;
      }
    }
    let sigma: number;
    if (count < 2) {
      sigma = NaN; // IRAF: INDEF; no pixel compares beyond an undefined threshold.
    } else {
      const variance = sumsq / (count - 1) - (sum * sum) / (count * (count - 1));
      sigma = variance < 0 ? 0 : Math.sqrt(variance);
    }
    const threshold = sigma * krej;

    // Reject pixels beyond the threshold with their neighbours; keep the sums up to date.
    ngoodpix = npix;
    for (let i = 0; i < npix; i++) {
      if (badpix[i] === BAD_PIXEL) {
        ngoodpix--;
        continue;
      }
      const residual = flat[i];
      if (residual < -threshold || residual > threshold) {
        const from = Math.max(0, i - ngrow);
        const to = Math.min(npix - 1, i + ngrow);
        for (let j = from; j <= to; j++) {
          if (badpix[j] === BAD_PIXEL) continue;
          if (j <= i) {
            const x = normx[j];
            const z = data[j];
            sumxsqr -= x * x;
            sumxz -= z * x;
            sumx -= x;
            sumz -= z;
            badpix[j] = BAD_PIXEL;
            ngoodpix--;
          } else {
            // Marked, but only rejected if it fails the threshold itself (keeps the growing symmetric).
            badpix[j] = REJECT_PIXEL;
          }
        }
      }
    }

    // Solve again; after rejection Σx is no longer 0.
    if (ngoodpix > 0) {
      const rowrat = sumx / sumxsqr;
      z0 = (sumz - rowrat * sumxz) / (ngoodpix - rowrat * sumx);
      dz = (sumxz - z0 * sumx) / sumxsqr;
    }
    if (ngoodpix >= lastNgoodpix || ngoodpix < minpix) break;
  }
  // dz is per unit of normalized x; per rank it is dz·xscale.
  return { slope: dz * xscale, ngoodpix };
}

export interface PercentileLimitsOptions {
  /**
   * Images with more pixels than this are sampled: every k-th pixel with k = ⌈pixels / maxSamples⌉
   * (default 1,000,000). Infinity for exact percentiles always.
   */
  maxSamples?: number;
}

/**
 * Limits at two percentiles of the finite pixel values (numpy's linear interpolation), e.g. 0.5 and 99.5
 * to clip the faintest and brightest 0.5 %. Exact for images up to `maxSamples` pixels; larger images are
 * sampled at a regular stride, except that the 0th and 100th percentiles are always the exact min and max.
 * An image without any finite pixel gives { z1: 0, z2: 0 }.
 */
export function percentileLimits(data: ArrayLike<number>, lower = 0.5, upper = 99.5, options: PercentileLimitsOptions = {}): DisplayLimits {
  if (!(lower >= 0 && upper <= 100 && lower <= upper)) {
    throw new RangeError(`percentiles must satisfy 0 <= lower <= upper <= 100, got ${lower} and ${upper}`);
  }
  const maxSamples = options.maxSamples ?? 1_000_000;
  if (!(maxSamples >= 1)) throw new RangeError(`maxSamples must be at least 1, got ${maxSamples}`);

  const length = data.length;
  if (length <= maxSamples) {
    const values = finiteCopy(data).values;
    if (values.length === 0) return { z1: 0, z2: 0 };
    const [z1, z2] = percentilesInPlace(values, values.length, [lower, upper]);
    return { z1, z2 };
  }

  const stride = Math.ceil(length / maxSamples);
  const sample = new Float64Array(Math.ceil(length / stride));
  let n = 0;
  for (let i = 0; i < length; i += stride) {
    const v = data[i];
    if (v - v === 0) sample[n++] = v;
  }
  let [z1, z2] = n > 0 ? percentilesInPlace(sample, n, [lower, upper]) : [NaN, NaN];
  if (lower === 0 || upper === 100) {
    const range = finiteRange(data);
    if (!range) return { z1: 0, z2: 0 };
    if (lower === 0) z1 = range.min;
    if (upper === 100) z2 = range.max;
  }
  if (Number.isNaN(z1) || Number.isNaN(z2)) {
    // Every sampled pixel was blank: fall back to the whole image.
    return percentileLimits(data, lower, upper, { maxSamples: Infinity });
  }
  return { z1, z2 };
}

function finiteRange(data: ArrayLike<number>): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}

export type StretchMapping = 'linear' | 'log' | 'sqrt' | 'asinh';

export interface StretchOptions extends DisplayLimits {
  /** Transfer function applied to t = (v − z1)/(z2 − z1) clipped to [0, 1] (default 'linear'). */
  mapping?: StretchMapping;
  /**
   * Reverse the row order (default true): the first output row is the top row of the image (FITS row
   * NAXIS2), as image files and DS9 show it. False keeps FITS order (first row = FITS row 1).
   */
  flipY?: boolean;
}

/** Parameter of the log mapping: y = log(a·t + 1)/log(a + 1) (astropy's LogStretch default, DS9's exponent). */
export const LOG_STRETCH_A = 1000;
/** Parameter of the asinh mapping: y = asinh(t/a)/asinh(1/a) (astropy's AsinhStretch default). */
export const ASINH_STRETCH_A = 0.1;

const MAPPINGS: Record<StretchMapping, { forward: (t: number) => number; inverse: (y: number) => number }> = {
  linear: { forward: (t) => t, inverse: (y) => y },
  sqrt: { forward: (t) => Math.sqrt(t), inverse: (y) => y * y },
  log: {
    forward: (t) => Math.log(LOG_STRETCH_A * t + 1) / Math.log(LOG_STRETCH_A + 1),
    inverse: (y) => (Math.pow(LOG_STRETCH_A + 1, y) - 1) / LOG_STRETCH_A,
  },
  asinh: {
    forward: (t) => Math.asinh(t / ASINH_STRETCH_A) / Math.asinh(1 / ASINH_STRETCH_A),
    inverse: (y) => ASINH_STRETCH_A * Math.sinh(y * Math.asinh(1 / ASINH_STRETCH_A)),
  },
};

/** The transfer function of a mapping on [0, 1] (for legends and tests). */
export function stretchMapping(mapping: StretchMapping): (t: number) => number {
  const m = MAPPINGS[mapping];
  if (!m) throw new RangeError(`unknown stretch mapping '${String(mapping)}'`);
  return m.forward;
}

/** Bins of the lookup table from t to a candidate grey level. */
const LUT_BINS = 65536;

/**
 * Maps pixel values to 8-bit grey levels: t = (v − z1)/(z2 − z1) clipped to [0, 1], then
 * level = round(255 · f(t)) for the mapping f. NaN (blank) pixels become 0, +Infinity 255, −Infinity 0.
 * With z1 = z2 the result is a step: 255 above z1, 0 otherwise. Rows are flipped by default (see `flipY`).
 *
 * One pass over the pixels without allocations. Linear and sqrt are computed directly; log and asinh use
 * no transcendental function per pixel: the 255 level boundaries are computed once in t (through the
 * mapping's inverse) and a 65536-entry table gives the level at the start of each bin, corrected by
 * comparing with the boundaries, so the result is still exactly round(255 · f(t)).
 */
export function stretchToUint8(data: ArrayLike<number>, width: number, height: number, options: StretchOptions): Uint8Array {
  checkImage(data, width, height);
  const { z1, z2 } = options;
  if (!Number.isFinite(z1) || !Number.isFinite(z2)) throw new RangeError(`z1 and z2 must be finite, got ${z1} and ${z2}`);
  if (z2 < z1) throw new RangeError(`z2 must not be below z1, got z1 = ${z1}, z2 = ${z2}`);
  const mappingName = options.mapping ?? 'linear';
  const mapping = MAPPINGS[mappingName];
  if (!mapping) throw new RangeError(`unknown stretch mapping '${String(mappingName)}'`);
  const flipY = options.flipY ?? true;
  const out = new Uint8Array(width * height);

  if (z2 === z1) {
    for (let row = 0; row < height; row++) {
      const src = (flipY ? height - 1 - row : row) * width;
      const dst = row * width;
      for (let x = 0; x < width; x++) out[dst + x] = data[src + x] > z1 ? 255 : 0;
    }
    return out;
  }

  if (mappingName === 'linear' || mappingName === 'sqrt') {
    // Cheap enough to compute directly: level = ⌊255·f(t) + 0.5⌋.
    const range = z2 - z1;
    for (let row = 0; row < height; row++) {
      const src = (flipY ? height - 1 - row : row) * width;
      const dst = row * width;
      if (mappingName === 'linear') {
        for (let x = 0; x < width; x++) {
          // Dividing (rather than multiplying by a rounded 255/range) keeps exact halves exact.
          const level = ((data[src + x] - z1) * 255) / range;
          // NaN fails the first test and becomes 0 (as does anything below z1); the store truncates.
          out[dst + x] = level > 0 ? (level < 255 ? level + 0.5 : 255) : 0;
        }
      } else {
        for (let x = 0; x < width; x++) {
          const level = 255 * Math.sqrt((data[src + x] - z1) / range);
          out[dst + x] = level > 0 ? (level < 255 ? level + 0.5 : 255) : 0;
        }
      }
    }
    return out;
  }

  // Level k (1..255) starts where 255·f(t) reaches k − 0.5; boundaries in units of LUT bins.
  const bounds = new Float64Array(257);
  bounds[0] = -Infinity;
  for (let k = 1; k <= 255; k++) bounds[k] = mapping.inverse((k - 0.5) / 255) * LUT_BINS;
  bounds[256] = Infinity;
  const lut = new Uint8Array(LUT_BINS + 1);
  let level = 0;
  for (let b = 0; b <= LUT_BINS; b++) {
    while (level < 255 && b >= bounds[level + 1]) level++;
    lut[b] = level;
  }

  const scale = LUT_BINS / (z2 - z1);
  for (let row = 0; row < height; row++) {
    const src = (flipY ? height - 1 - row : row) * width;
    const dst = row * width;
    for (let x = 0; x < width; x++) {
      const u = (data[src + x] - z1) * scale;
      if (u > 0) {
        if (u < LUT_BINS) {
          let k = lut[u | 0];
          while (u >= bounds[k + 1]) k++;
          out[dst + x] = k;
        } else {
          out[dst + x] = 255;
        }
      }
      // u <= 0 (below z1) and NaN (blank) stay 0.
    }
  }
  return out;
}

/** A reduced image: FITS row order (row 0 = bottom), NaN where a block had no finite pixel. */
export interface DownsampledImage {
  data: Float32Array;
  width: number;
  height: number;
  /** Block size: each output pixel covers factor × factor input pixels (fewer at the right/top edges). */
  factor: number;
}

/**
 * Shrinks an image by an integer factor f = ⌈max(width, height)/maxSide⌉ so that neither side exceeds
 * maxSide (images already small enough come back with f = 1, as a Float32Array copy), averaging the finite
 * pixels of each f × f block (partial blocks at the right and top edges average what they have). Box
 * averaging keeps faint extended light that picking single pixels would alias away.
 */
export function boxDownsample(data: ArrayLike<number>, width: number, height: number, maxSide: number): DownsampledImage {
  checkImage(data, width, height);
  const factor = reductionFactor(width, height, maxSide);
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const out = new Float32Array(outWidth * outHeight);
  const sums = new Float64Array(outWidth);
  const counts = new Uint32Array(outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    sums.fill(0);
    counts.fill(0);
    const yEnd = Math.min(height, (oy + 1) * factor);
    for (let y = oy * factor; y < yEnd; y++) {
      const row = y * width;
      for (let ox = 0, x0 = 0; ox < outWidth; ox++, x0 += factor) {
        const x1 = Math.min(width, x0 + factor);
        let sum = 0;
        let count = 0;
        for (let x = x0; x < x1; x++) {
          const v = data[row + x];
          if (v - v === 0) {
            sum += v;
            count++;
          }
        }
        sums[ox] += sum;
        counts[ox] += count;
      }
    }
    const dst = oy * outWidth;
    for (let ox = 0; ox < outWidth; ox++) out[dst + ox] = counts[ox] > 0 ? sums[ox] / counts[ox] : NaN;
  }
  return { data: out, width: outWidth, height: outHeight, factor };
}

/** The same as `boxDownsample`. */
export const boxAverage = boxDownsample;

/**
 * Shrinks an image by the same integer factor as `boxDownsample`, taking from each block the pixel nearest
 * its centre (clamped to the image for partial edge blocks). Cheaper than averaging, but noisier.
 */
export function resizeNearest(data: ArrayLike<number>, width: number, height: number, maxSide: number): DownsampledImage {
  checkImage(data, width, height);
  const factor = reductionFactor(width, height, maxSide);
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const out = new Float32Array(outWidth * outHeight);
  const half = factor >> 1;
  for (let oy = 0; oy < outHeight; oy++) {
    const y = Math.min(height - 1, oy * factor + half);
    for (let ox = 0; ox < outWidth; ox++) {
      const x = Math.min(width - 1, ox * factor + half);
      out[oy * outWidth + ox] = data[y * width + x];
    }
  }
  return { data: out, width: outWidth, height: outHeight, factor };
}

function reductionFactor(width: number, height: number, maxSide: number): number {
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new RangeError(`maxSide must be a positive integer, got ${maxSide}`);
  return Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
}

function checkImage(data: ArrayLike<number>, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`image size must be non-negative integers, got ${width} × ${height}`);
  }
  if (data.length < width * height) {
    throw new RangeError(`image data has ${data.length} values, fewer than ${width} × ${height}`);
  }
}
