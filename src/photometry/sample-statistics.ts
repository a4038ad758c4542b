/**
 * Robust statistics of small pixel samples (a star's sky annulus, a box around a centroid): median and iterative
 * sigma clipping (as astropy's `sigma_clipped_stats`: centre on the median, clip at ±sigma standard deviations,
 * repeat until nothing more is clipped). Its rule is not the FITS library's whole-image `sigmaClippedStats`
 * (`src/fits/image-statistics.ts`): here the spread is the sample standard deviation (n − 1), clipping goes on for
 * up to 10 passes, and integer data get a median interpolated within its bin, which suits sky levels of a few hundred
 * counts.
 */

export interface ClippedSampleStats {
  /** Median of the kept values; for integer data interpolated within the median's bin (see below). */
  median: number;
  mean: number;
  /** Sample standard deviation (n - 1) of the kept values. */
  stdDev: number;
  /** Values kept after clipping. */
  count: number;
  /** Finite values before clipping. */
  total: number;
}

export interface SampleClipOptions {
  /** Clip at this many standard deviations either side of the median. Default 3. */
  sigma?: number;
  /** Stop after this many passes even if values are still being clipped. Default 10. */
  maxIterations?: number;
}

/** Sorted copy of the finite values (NaN and ±Infinity dropped). */
export function finiteSorted(values: ArrayLike<number>, count = values.length): Float64Array {
  const out = new Float64Array(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v - v === 0) out[n++] = v; // finite: NaN and ±Infinity give NaN
  }
  return out.subarray(0, n).sort();
}

/** Median of the finite values; NaN when there are none. */
export function sampleMedian(values: ArrayLike<number>): number {
  const sorted = finiteSorted(values);
  return sortedMedian(sorted, 0, sorted.length);
}

/** Median of sorted[lo..hi). */
export function sortedMedian(sorted: Float64Array, lo: number, hi: number): number {
  const n = hi - lo;
  if (n <= 0) return NaN;
  const mid = lo + (n >> 1);
  return n % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

/** First index in sorted[lo..hi) whose value is >= v (or > v when `strict`). */
function lowerBound(sorted: Float64Array, lo: number, hi: number, v: number, strict = false): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? sorted[mid] <= v : sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Median of integer-valued samples, interpolated within the median's bin as for grouped data:
 * `v - 0.5 + (n/2 - below) / equal`. Raw CCD counts are integers, and a plain median jumps in whole (or half) counts,
 * which over a 100-pixel aperture is a bias of tens of counts; the interpolated median moves smoothly with the sky.
 */
function groupedMedian(sorted: Float64Array, lo: number, hi: number): number {
  const n = hi - lo;
  const v = sorted[lo + (n >> 1)];
  const below = lowerBound(sorted, lo, hi, v) - lo;
  const equal = lowerBound(sorted, lo, hi, v, true) - lo - below;
  return v - 0.5 + (n / 2 - below) / equal;
}

function allIntegers(sorted: Float64Array, lo: number, hi: number): boolean {
  for (let i = lo; i < hi; i++) if (sorted[i] % 1 !== 0) return false;
  return true;
}

/**
 * Sigma-clipped statistics of the finite values: iterate median ± sigma × standard deviation (population) until
 * stable. Works on one sorted copy, so each pass costs O(log n) for the bounds plus O(1) for sums.
 */
export function clippedSampleStats(values: ArrayLike<number>, options: SampleClipOptions = {}): ClippedSampleStats {
  return clippedSampleStatsOfSorted(finiteSorted(values), options);
}

/** As {@link clippedSampleStats}, for values already sorted and finite. */
export function clippedSampleStatsOfSorted(sorted: Float64Array, options: SampleClipOptions = {}): ClippedSampleStats {
  const sigma = options.sigma ?? 3;
  const maxIterations = options.maxIterations ?? 10;
  const total = sorted.length;
  if (total === 0) return { median: NaN, mean: NaN, stdDev: NaN, count: 0, total: 0 };

  // Prefix sums of (v - shift) and its square; the shift keeps the variance free of cancellation.
  const shift = sorted[total >> 1];
  const sum = new Float64Array(total + 1);
  const sumSq = new Float64Array(total + 1);
  for (let i = 0; i < total; i++) {
    const d = sorted[i] - shift;
    sum[i + 1] = sum[i] + d;
    sumSq[i + 1] = sumSq[i] + d * d;
  }
  const moments = (lo: number, hi: number) => {
    const n = hi - lo;
    const s = sum[hi] - sum[lo];
    const mean = s / n;
    const variance = Math.max(0, (sumSq[hi] - sumSq[lo]) / n - mean * mean);
    return { mean: mean + shift, variance, n };
  };

  let lo = 0;
  let hi = total;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const centre = sortedMedian(sorted, lo, hi);
    const { variance } = moments(lo, hi);
    const std = Math.sqrt(variance);
    if (!(std > 0)) break;
    const newLo = lowerBound(sorted, lo, hi, centre - sigma * std);
    const newHi = lowerBound(sorted, newLo, hi, centre + sigma * std, true);
    if (newHi - newLo < 1 || (newLo === lo && newHi === hi)) break;
    lo = newLo;
    hi = newHi;
  }

  const { mean, variance, n } = moments(lo, hi);
  const med = allIntegers(sorted, lo, hi) ? groupedMedian(sorted, lo, hi) : sortedMedian(sorted, lo, hi);
  return {
    median: med,
    mean,
    stdDev: n > 1 ? Math.sqrt((variance * n) / (n - 1)) : 0,
    count: n,
    total,
  };
}
