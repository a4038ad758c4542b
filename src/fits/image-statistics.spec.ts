import {
  finiteCopy,
  imageStatistics,
  MAD_TO_SIGMA,
  median,
  percentile,
  percentiles,
  rankedValue,
  robustSigma,
  selectInPlace,
  sigmaClippedStats,
  STATISTICS_COPY_LIMIT,
} from './image-statistics';

/** Deterministic pseudo-random numbers in [0, 1) (a 32-bit LCG), so failures can be reproduced. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Normally distributed values (Box-Muller). */
function gaussian(n: number, mean: number, sigma: number, seed: number): Float64Array {
  const random = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - random();
    const v = random();
    out[i] = mean + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Reference order statistics by sorting (what numpy does), for comparison. */
function sortedFinite(values: ArrayLike<number>): number[] {
  return Array.from(values)
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
}

function referenceMedian(values: ArrayLike<number>): number {
  const s = sortedFinite(values);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function referencePercentile(values: ArrayLike<number>, p: number): number {
  const s = sortedFinite(values);
  const h = ((s.length - 1) * p) / 100;
  const k = Math.floor(h);
  return k + 1 < s.length ? s[k] + (h - k) * (s[k + 1] - s[k]) : s[k];
}

describe('imageStatistics', () => {
  it('computes count, min, max, mean, median and population standard deviation', () => {
    const stats = imageStatistics(new Float64Array([4, 1, 3, 2]));
    expect(stats).toEqual({ count: 4, min: 1, max: 4, mean: 2.5, median: 2.5, stdDev: Math.sqrt(1.25) });
  });

  it('takes the middle value for an odd count', () => {
    expect(imageStatistics([5, 1, 9, 3, 7]).median).toBe(5);
  });

  it('ignores NaN blanks and infinities', () => {
    const data = new Float32Array([NaN, 2, Infinity, 4, -Infinity, 6, NaN]);
    expect(imageStatistics(data)).toEqual({ count: 3, min: 2, max: 6, mean: 4, median: 4, stdDev: Math.sqrt(8 / 3) });
  });

  it('returns count 0 and NaN statistics when there is no finite pixel', () => {
    for (const data of [new Float32Array(0), new Float32Array([NaN, NaN]), [Infinity]]) {
      const stats = imageStatistics(data);
      expect(stats.count).toBe(0);
      for (const key of ['min', 'max', 'mean', 'median', 'stdDev'] as const) expect(stats[key]).toBeNaN();
    }
  });

  it('handles a single pixel and a constant image', () => {
    expect(imageStatistics([42])).toEqual({ count: 1, min: 42, max: 42, mean: 42, median: 42, stdDev: 0 });
    const constant = new Float32Array(100001).fill(7.5);
    expect(imageStatistics(constant)).toEqual({ count: 100001, min: 7.5, max: 7.5, mean: 7.5, median: 7.5, stdDev: 0 });
  });

  it('matches a sort-based median on random, sorted, reversed and duplicate-heavy data of many sizes', () => {
    const random = rng(1);
    for (const n of [1, 2, 3, 15, 16, 17, 599, 600, 601, 602, 1000, 4097, 20000]) {
      const uniform = Float64Array.from({ length: n }, () => random() * 1000 - 500);
      const fewValues = Float64Array.from({ length: n }, () => Math.floor(random() * 4));
      const ascending = Float64Array.from({ length: n }, (_, i) => i);
      const descending = Float64Array.from({ length: n }, (_, i) => n - i);
      for (const data of [uniform, fewValues, ascending, descending]) {
        expect(imageStatistics(data).median).toBe(referenceMedian(data));
      }
    }
  });

  it('agrees with direct formulas for mean and standard deviation', () => {
    const data = gaussian(10001, 100, 15, 2);
    let sum = 0;
    for (const v of data) sum += v;
    const mean = sum / data.length;
    let ss = 0;
    for (const v of data) ss += (v - mean) ** 2;
    const stats = imageStatistics(data);
    expect(stats.mean).toBeCloseTo(mean, 10);
    expect(stats.stdDev).toBeCloseTo(Math.sqrt(ss / data.length), 10);
    expect(stats.min).toBe(Math.min(...data));
    expect(stats.max).toBe(Math.max(...data));
  });

  it('does not modify its input', () => {
    const data = new Float32Array([3, NaN, 1, 2]);
    imageStatistics(data);
    expect(Array.from(data)).toEqual([3, NaN, 1, 2]);
  });

  it('reads a 4096×4096 float32 image in place, with the same figures as the copying path', () => {
    const n = 4096 * 4096;
    const data = new Float32Array(n);
    // Scrambled but cheap to generate: a multiplicative hash of the index.
    for (let i = 0; i < n; i++) data[i] = 1000 + (Math.imul(i, 2654435761) >>> 0) / 42949672.96;
    data[12345] = NaN;
    const streamed = imageStatistics(data);
    expect(n).toBeGreaterThan(STATISTICS_COPY_LIMIT);
    expect(streamed.count).toBe(n - 1);
    expect(streamed).toEqual(imageStatistics(data, Infinity));
    expect(data[12345]).toBeNaN();
  });

  it('gives the same exact median without copying on awkward data (outliers, duplicates, blanks, one value)', () => {
    const random = rng(7);
    const cases: Array<ArrayLike<number>> = [];
    for (const n of [1, 2, 3, 16, 601, 4097, 20000]) {
      cases.push(Float64Array.from({ length: n }, () => random() * 1000 - 500));
      cases.push(Float64Array.from({ length: n }, () => Math.floor(random() * 4)));
      cases.push(Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : random())));
    }
    // Values packed within a tiny range next to a huge outlier: the first histogram puts them all in one bin.
    cases.push(Float64Array.from({ length: 5001 }, (_, i) => (i === 0 ? 1e30 : 1 + random() * 1e-9)));
    cases.push(Float64Array.from({ length: 5000 }, (_, i) => (i < 4000 ? 42 : -1e20 * random())));
    cases.push(new Float64Array([NaN, -Infinity, Infinity]));
    cases.push(new Float32Array(3000).fill(5));
    for (const data of cases) {
      const streamed = imageStatistics(data, 0);
      const copied = imageStatistics(data, Infinity);
      expect(streamed.count).toBe(copied.count);
      if (copied.count === 0) {
        expect(streamed.median).toBeNaN();
        continue;
      }
      expect(streamed.median).toBe(referenceMedian(data));
      expect(streamed.min).toBe(copied.min);
      expect(streamed.max).toBe(copied.max);
      expect(streamed.mean).toBeCloseTo(copied.mean, 6);
      expect(streamed.stdDev).toBeCloseTo(copied.stdDev, 6);
    }
  });
});

describe('rankedValue', () => {
  it('finds every rank of a small array as sorting would', () => {
    const data = Float64Array.from([5, 3, 9, 3, NaN, 1, 7, 3]);
    const sorted = sortedFinite(data);
    sorted.forEach((value, rank) => expect(rankedValue(data, rank, 1, 9)).toBe(value));
  });
});

describe('selectInPlace', () => {
  it('puts the k-th smallest value at k with smaller values before and larger after', () => {
    const random = rng(4);
    for (const n of [5, 50, 700, 5000]) {
      for (const k of [0, 1, n >> 1, n - 2, n - 1]) {
        const a = Float64Array.from({ length: n }, () => Math.round(random() * 100));
        const sorted = Array.from(a).sort((x, y) => x - y);
        selectInPlace(a, k, 0, n - 1);
        expect(a[k]).toBe(sorted[k]);
        let misplaced = 0;
        for (let i = 0; i < k; i++) if (a[i] > a[k]) misplaced++;
        for (let i = k + 1; i < n; i++) if (a[i] < a[k]) misplaced++;
        expect(misplaced).toBe(0);
      }
    }
  });

  it('keeps the values (only reorders them)', () => {
    const a = Float32Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1013);
    const before = Array.from(a).sort((x, y) => x - y);
    selectInPlace(a, 1234, 0, a.length - 1);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(before);
  });
});

describe('finiteCopy', () => {
  it('copies Float32Array input into a Float32Array and everything else into a Float64Array', () => {
    const f32 = finiteCopy(new Float32Array([1, NaN, 2]));
    expect(f32.values).toBeInstanceOf(Float32Array);
    expect(Array.from(f32.values)).toEqual([1, 2]);
    expect(f32.sum).toBe(3);
    const f64 = finiteCopy([1.5, Infinity, 2.25]);
    expect(f64.values).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.values)).toEqual([1.5, 2.25]);
  });
});

describe('median', () => {
  it('averages the two middle values for an even count, as np.median', () => {
    expect(median([1, 3, 2, 10])).toBe(2.5);
    expect(median(new Int16Array([-5, 5]))).toBe(0);
    expect(median([NaN])).toBeNaN();
  });
});

describe('percentile', () => {
  it('interpolates linearly between ranks like np.percentile', () => {
    const data = [10, 20, 30, 40];
    expect(percentile(data, 0)).toBe(10);
    expect(percentile(data, 100)).toBe(40);
    expect(percentile(data, 50)).toBe(25);
    // rank (4 - 1) * 0.25 = 0.75: 10 + 0.75 * 10
    expect(percentile(data, 25)).toBe(17.5);
    expect(percentile([7], 99)).toBe(7);
  });

  it('matches a sort-based reference on random data', () => {
    const data = gaussian(5001, 0, 1, 5);
    for (const p of [0, 0.1, 0.5, 1, 5, 25, 50, 75, 95, 99, 99.5, 99.9, 100]) {
      expect(percentile(data, p)).toBeCloseTo(referencePercentile(data, p), 12);
    }
  });

  it('returns several percentiles in the order asked, from one copy', () => {
    const data = Float64Array.from({ length: 1001 }, (_, i) => 1000 - i);
    expect(percentiles(data, [90, 10, 50, 10])).toEqual([900, 100, 500, 100]);
  });

  it('ignores non-finite values, and is NaN without finite values', () => {
    expect(percentile([NaN, 1, 2, Infinity, 3], 50)).toBe(2);
    expect(percentile([NaN], 50)).toBeNaN();
  });

  it('rejects percentiles outside 0..100', () => {
    expect(() => percentile([1, 2], -1)).toThrow(RangeError);
    expect(() => percentile([1, 2], 101)).toThrow(RangeError);
    expect(() => percentile([1, 2], NaN)).toThrow(RangeError);
  });
});

describe('robustSigma', () => {
  it('is 1.4826 times the median absolute deviation', () => {
    // median 3, absolute deviations [2, 1, 0, 1, 97], their median 1
    expect(robustSigma([1, 2, 3, 4, 100])).toBeCloseTo(MAD_TO_SIGMA, 12);
    expect(MAD_TO_SIGMA).toBeCloseTo(1.4826, 4);
  });

  it('estimates the sigma of normal data and ignores a few hot pixels', () => {
    const data = gaussian(100000, 500, 12, 6);
    for (let i = 0; i < 200; i++) data[i * 397] = 60000;
    expect(robustSigma(data)).toBeGreaterThan(11.7);
    expect(robustSigma(data)).toBeLessThan(12.4);
  });

  it('is NaN without finite values and 0 for a constant image', () => {
    expect(robustSigma([NaN, Infinity])).toBeNaN();
    expect(robustSigma(new Float32Array(10).fill(3))).toBe(0);
  });
});

describe('sigmaClippedStats', () => {
  /** Straightforward reference: filter a plain array repeatedly. */
  function referenceClip(values: ArrayLike<number>, sigma: number, iterations: number) {
    let kept = sortedFinite(values);
    for (let it = 0; it < iterations; it++) {
      const med = referenceMedian(kept);
      const mean = kept.reduce((s, v) => s + v, 0) / kept.length;
      const std = Math.sqrt(kept.reduce((s, v) => s + (v - mean) ** 2, 0) / kept.length);
      const next = kept.filter((v) => v >= med - sigma * std && v <= med + sigma * std);
      if (next.length === kept.length) break;
      kept = next;
    }
    const mean = kept.reduce((s, v) => s + v, 0) / kept.length;
    const std = Math.sqrt(kept.reduce((s, v) => s + (v - mean) ** 2, 0) / kept.length);
    return { mean, median: referenceMedian(kept), stdDev: std, count: kept.length };
  }

  it('matches a direct implementation of the clipping rule', () => {
    const data = gaussian(20000, 200, 5, 7);
    for (let i = 0; i < 300; i++) data[i * 61] = 200 + 50 + (i % 50) * 20; // stars
    const result = sigmaClippedStats(data);
    const expected = referenceClip(data, 3, 5);
    expect(result.count).toBe(expected.count);
    expect(result.mean).toBeCloseTo(expected.mean, 9);
    expect(result.median).toBeCloseTo(expected.median, 9);
    expect(result.stdDev).toBeCloseTo(expected.stdDev, 9);
    expect(result.iterations).toBeGreaterThan(0);
  });

  it('recovers the sky level and noise under bright sources', () => {
    const data = gaussian(50000, 1000, 10, 8);
    for (let i = 0; i < 2500; i++) data[i * 20] += 500 + (i % 100) * 50;
    const result = sigmaClippedStats(data, { sigma: 3, iterations: 10 });
    expect(result.median).toBeGreaterThan(999);
    expect(result.median).toBeLessThan(1001.5);
    expect(result.stdDev).toBeGreaterThan(9);
    expect(result.stdDev).toBeLessThan(11);
    // Unclipped, the sources dominate the standard deviation.
    expect(imageStatistics(data).stdDev).toBeGreaterThan(100);
  });

  it('supports asymmetric limits and stops early when nothing is rejected', () => {
    const data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const same = sigmaClippedStats(data);
    expect(same).toEqual({ mean: 5.5, median: 5.5, stdDev: Math.sqrt(8.25), count: 10, iterations: 0 });
    // std ≈ 2.87: a 0.5-sigma upper limit keeps values up to 5.5 + 1.44 only.
    const upper = sigmaClippedStats(data, { sigmaLower: 10, sigmaUpper: 0.5, iterations: 1 });
    expect(upper.count).toBe(6);
    expect(upper.iterations).toBe(1);
  });

  it('returns NaN statistics without finite values and validates options', () => {
    expect(sigmaClippedStats([NaN]).count).toBe(0);
    expect(sigmaClippedStats([NaN]).mean).toBeNaN();
    expect(() => sigmaClippedStats([1], { sigma: 0 })).toThrow(RangeError);
    expect(() => sigmaClippedStats([1], { iterations: -1 })).toThrow(RangeError);
  });
});
