/**
 * Pixel statistics over the finite values of a whole image (NaN blanks and infinities are skipped), by numpy's and
 * astropy's default rules: population standard deviation, at most 5 clipping passes. Photometry's statistics of
 * small samples follow another rule and live apart (`src/photometry/sample-statistics.ts`).
 *
 * Everything here works on one copy of the finite values (of the input's own element type for Float32Array
 * input, Float64Array otherwise) and finds order statistics with quickselect, in O(n) and without sorting.
 * Plain arithmetic only: no framework imports.
 */

/** Typed arrays the selection works on in place. */
export type FloatArray = Float32Array | Float64Array;

export interface ImageStatistics {
  /** Number of finite pixels; the other fields are NaN when it is 0. */
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Exact median; for an even count the mean of the two middle values (as numpy's `np.median`). */
  median: number;
  /** Population standard deviation (divides by count, as numpy's `np.std` with its default ddof=0). */
  stdDev: number;
}

export interface SigmaClipOptions {
  /** Clipping threshold in standard deviations, both sides (default 3). */
  sigma?: number;
  /** Threshold below the median; defaults to `sigma`. */
  sigmaLower?: number;
  /** Threshold above the median; defaults to `sigma`. */
  sigmaUpper?: number;
  /** Maximum number of clipping passes (default 5); clipping stops earlier once a pass rejects nothing. */
  iterations?: number;
}

export interface SigmaClippedStats {
  mean: number;
  median: number;
  /** Population standard deviation of the values kept. */
  stdDev: number;
  /** Number of values kept after clipping. */
  count: number;
  /** Number of clipping passes that rejected values. */
  iterations: number;
}

/**
 * Above this many values `imageStatistics` does not copy the image: a copy of a 4096×4096 float32 frame is another
 * 64 MiB in a worker whose goal is a peak under 4× the frame. Below it one copy and quickselect is fastest.
 */
export const STATISTICS_COPY_LIMIT = 1 << 22;

/**
 * Count, min, max, mean, exact median and standard deviation of the finite values of `data`.
 * One pass copies the finite values and sums them, one pass over the copy gives min, max and the standard
 * deviation (about the mean already known, so no cancellation), selection gives the median. Large inputs are
 * read in place instead (see `streamingStatistics`): the same figures, without the copy.
 */
export function imageStatistics(data: ArrayLike<number>, copyLimit = STATISTICS_COPY_LIMIT): ImageStatistics {
  if (data.length > copyLimit) return streamingStatistics(data);
  const { values, sum } = finiteCopy(data);
  const count = values.length;
  if (count === 0) return { count: 0, min: NaN, max: NaN, mean: NaN, median: NaN, stdDev: NaN };
  const mean = sum / count;
  let min = values[0];
  let max = values[0];
  let sumSq = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v < min) min = v;
    else if (v > max) max = v;
    const d = v - mean;
    sumSq += d * d;
  }
  return { count, min, max, mean, median: medianInPlace(values, count), stdDev: Math.sqrt(sumSq / count) };
}

/** `imageStatistics` without copying `data`: a few passes over it, and the median found by histogram narrowing. */
function streamingStatistics(data: ArrayLike<number>): ImageStatistics {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) continue; // NaN or ±Infinity
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return { count: 0, min: NaN, max: NaN, mean: NaN, median: NaN, stdDev: NaN };
  const mean = sum / count;
  let sumSq = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) continue;
    const d = v - mean;
    sumSq += d * d;
  }
  const k = count >> 1;
  const upper = rankedValue(data, k, min, max);
  const median = count % 2 === 1 ? upper : (rankedValue(data, k - 1, min, max) + upper) / 2;
  return { count, min, max, mean, median, stdDev: Math.sqrt(sumSq / count) };
}

const NARROWING_BINS = 65536;
/** A bin this small is gathered and selected in memory (8 MiB at most) instead of narrowed further. */
const GATHER_LIMIT = 1 << 20;

/**
 * The value of rank `rank` (0-based, in ascending order) among the finite values of `data`, all within [lo, hi],
 * without reordering or copying `data`. Each pass counts the values of the current interval into bins, keeping each
 * bin's smallest and largest value; the bin holding the rank becomes the next interval, which is exactly the values
 * between those two extremes (bins are contiguous). It ends when the interval holds one value, or few enough to
 * gather and select. Typically two or three passes.
 */
export function rankedValue(data: ArrayLike<number>, rank: number, lo: number, hi: number): number {
  const counts = new Float64Array(NARROWING_BINS);
  const binMin = new Float64Array(NARROWING_BINS);
  const binMax = new Float64Array(NARROWING_BINS);
  for (;;) {
    if (!(hi > lo)) return lo;
    counts.fill(0);
    binMin.fill(Infinity);
    binMax.fill(-Infinity);
    const scale = NARROWING_BINS / (hi - lo);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v >= lo && v <= hi)) continue; // also skips NaN; ±Infinity lie outside any finite interval
      let b = Math.floor((v - lo) * scale);
      if (b >= NARROWING_BINS) b = NARROWING_BINS - 1;
      counts[b]++;
      if (v < binMin[b]) binMin[b] = v;
      if (v > binMax[b]) binMax[b] = v;
    }
    let below = 0;
    let b = 0;
    while (below + counts[b] <= rank) below += counts[b++];
    rank -= below;
    lo = binMin[b];
    hi = binMax[b];
    if (counts[b] <= GATHER_LIMIT && hi > lo) {
      const gathered = new Float64Array(counts[b]);
      let n = 0;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v >= lo && v <= hi) gathered[n++] = v;
      }
      selectInPlace(gathered, rank, 0, n - 1);
      return gathered[rank];
    }
  }
}

/**
 * Sigma-clipped mean, median and standard deviation, as used for sky background estimation (the same rule as
 * astropy's `sigma_clipped_stats` with its defaults): in each pass, values further than `sigma` standard
 * deviations (population std of the values still kept) from their median are dropped; passes stop after
 * `iterations` or when nothing more is dropped. Non-finite values are ignored from the start.
 */
export function sigmaClippedStats(data: ArrayLike<number>, options: SigmaClipOptions = {}): SigmaClippedStats {
  const sigma = options.sigma ?? 3;
  const sigmaLower = options.sigmaLower ?? sigma;
  const sigmaUpper = options.sigmaUpper ?? sigma;
  const maxIterations = options.iterations ?? 5;
  if (!(sigmaLower > 0) || !(sigmaUpper > 0)) throw new RangeError('sigma must be positive');
  if (!Number.isInteger(maxIterations) || maxIterations < 0) throw new RangeError('iterations must be a non-negative integer');

  const values = finiteCopy(data).values;
  let n = values.length;
  let iterations = 0;
  while (iterations < maxIterations && n > 0) {
    const median = medianInPlace(values, n);
    const std = stdDevAbout(values, n, meanOf(values, n));
    const low = median - sigmaLower * std;
    const high = median + sigmaUpper * std;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v >= low && v <= high) values[kept++] = v;
    }
    if (kept === n) break;
    n = kept;
    iterations++;
  }
  if (n === 0) return { mean: NaN, median: NaN, stdDev: NaN, count: 0, iterations };
  const mean = meanOf(values, n);
  return { mean, median: medianInPlace(values, n), stdDev: stdDevAbout(values, n, mean), count: n, iterations };
}

/** Scale factor from the median absolute deviation to the standard deviation of a normal distribution. */
export const MAD_TO_SIGMA = 1.482602218505602;

/**
 * Robust estimate of the standard deviation: 1.4826 × the median absolute deviation from the median
 * (exact for normally distributed values, insensitive to stars and hot pixels). NaN when there is no finite
 * value.
 */
export function robustSigma(data: ArrayLike<number>): number {
  const values = finiteCopy(data).values;
  const n = values.length;
  if (n === 0) return NaN;
  const median = medianInPlace(values, n);
  for (let i = 0; i < n; i++) values[i] = Math.abs(values[i] - median);
  return MAD_TO_SIGMA * medianInPlace(values, n);
}

/** Exact median of the finite values (mean of the two middle ones for an even count); NaN if there are none. */
export function median(values: ArrayLike<number>): number {
  const copy = finiteCopy(values).values;
  return copy.length === 0 ? NaN : medianInPlace(copy, copy.length);
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of the finite values, interpolating linearly between the two nearest
 * ranks like numpy's `np.percentile` (default method): rank h = (n − 1)·p/100. NaN if there is no finite value.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentiles(values, [p])[0];
}

/** Several percentiles (see `percentile`) from one copy of the data, in the order asked. */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): number[] {
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  }
  const copy = finiteCopy(values).values;
  return percentilesInPlace(copy, copy.length, ps);
}

/**
 * Percentiles of the first `n` values of `a`, reordering them. Asked in ascending order, each selection
 * only searches the part above the previous one.
 */
export function percentilesInPlace(a: FloatArray, n: number, ps: readonly number[]): number[] {
  const result = new Array<number>(ps.length).fill(NaN);
  if (n === 0) return result;
  const order = ps.map((_, i) => i).sort((i, j) => ps[i] - ps[j]);
  let lo = 0;
  for (const i of order) {
    const h = ((n - 1) * ps[i]) / 100;
    const k = Math.floor(h);
    const fraction = h - k;
    selectInPlace(a, k, lo, n - 1);
    lo = k;
    const below = a[k];
    if (fraction === 0 || k + 1 >= n) {
      result[i] = below;
    } else {
      const above = minOf(a, k + 1, n);
      result[i] = below + fraction * (above - below);
    }
  }
  return result;
}

/**
 * Copies the finite values of `data` into a new typed array (Float32Array for Float32Array input, so the
 * copy is exact and half the size; Float64Array otherwise) and returns them (a view of the filled part)
 * with their sum. Exactly one allocation of `data.length` elements.
 */
export function finiteCopy(data: ArrayLike<number>): { values: FloatArray; sum: number } {
  // Separate loops per input type keep each one monomorphic (fast) in V8.
  return data instanceof Float32Array ? copyFinite32(data) : copyFinite64(data);
}

function copyFinite32(data: Float32Array): { values: Float32Array; sum: number } {
  const length = data.length;
  const copy = new Float32Array(length);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const v = data[i];
    // v - v is 0 for finite numbers and NaN for NaN and ±Infinity.
    if (v - v === 0) {
      copy[n++] = v;
      sum += v;
    }
  }
  return { values: n === length ? copy : copy.subarray(0, n), sum };
}

function copyFinite64(data: ArrayLike<number>): { values: Float64Array; sum: number } {
  const length = data.length;
  const copy = new Float64Array(length);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const v = data[i];
    if (v - v === 0) {
      copy[n++] = v;
      sum += v;
    }
  }
  return { values: n === length ? copy : copy.subarray(0, n), sum };
}

/** Median of the first `n` (> 0) values of `a`, reordering them. */
export function medianInPlace(a: FloatArray, n: number): number {
  const k = n >> 1;
  selectInPlace(a, k, 0, n - 1);
  const upper = a[k];
  if (n % 2 === 1) return upper;
  // After selection everything before k is <= a[k]: the lower middle value is their maximum.
  let lower = a[0];
  for (let i = 1; i < k; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/**
 * Selection (quickselect family): reorders a[lo..hi] so that a[k] holds the value it would have if that
 * range were sorted, with everything in a[lo..k-1] <= a[k] <= everything in a[k+1..hi]. Values must not be
 * NaN. Floyd & Rivest's SELECT (CACM 18, 1975): on large ranges the pivot is first selected within a small
 * sample around the expected position of k, so one partition pass leaves only a narrow range to search;
 * expected n + min(k, n − k) + o(n) comparisons. Equal values split evenly, so constant data is linear too.
 */
export function selectInPlace(a: FloatArray, k: number, lo: number, hi: number): void {
  let left = lo;
  let right = hi;
  while (right > left) {
    const size = right - left + 1;
    if (size > 600) {
      // Narrow to a sample window that contains the k-th value with high probability, select there first.
      const rank = k - left + 1;
      const z = Math.log(size);
      const sample = 0.5 * Math.exp((2 * z) / 3);
      const spread = 0.5 * Math.sqrt((z * sample * (size - sample)) / size) * (rank < size / 2 ? -1 : 1);
      const sampleLeft = Math.max(left, Math.floor(k - (rank * sample) / size + spread));
      const sampleRight = Math.min(right, Math.floor(k + ((size - rank) * sample) / size + spread));
      selectInPlace(a, k, sampleLeft, sampleRight);
    } else if (size <= 16) {
      insertionSort(a, left, right);
      return;
    }
    // Partition a[left..right] around t = a[k].
    const t = a[k];
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right] > t) swap(a, right, left);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < t) i++;
      while (a[j] > t) j--;
    }
    if (a[left] === t) {
      swap(a, left, j);
    } else {
      j++;
      swap(a, j, right);
    }
    // a[j] == t is now in its final place.
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function insertionSort(a: FloatArray, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

function swap(a: FloatArray, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function minOf(a: FloatArray, from: number, to: number): number {
  let m = a[from];
  for (let i = from + 1; i < to; i++) if (a[i] < m) m = a[i];
  return m;
}

function meanOf(a: FloatArray, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i];
  return sum / n;
}

/** Population standard deviation of a[0..n-1] about `mean`. */
function stdDevAbout(a: FloatArray, n: number, mean: number): number {
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - mean;
    sumSq += d * d;
  }
  return Math.sqrt(sumSq / n);
}
