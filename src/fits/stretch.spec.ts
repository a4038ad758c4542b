import { percentile } from './image-statistics';
import {
  ASINH_STRETCH_A,
  boxAverage,
  boxDownsample,
  LOG_STRETCH_A,
  percentileLimits,
  resizeNearest,
  StretchMapping,
  stretchMapping,
  stretchToUint8,
  zscale,
  zscaleFromSample,
  zscaleSample,
} from './stretch';

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function gaussianImage(width: number, height: number, mean: number, sigma: number, seed: number): Float32Array {
  const random = rng(seed);
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const u = 1 - random();
    const v = random();
    out[i] = mean + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** A permutation of 0..n-1 (n prime to 7919... any n not a multiple of 7919). */
function permutedProgression(n: number, start: number, step: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => start + step * ((i * 7919) % n));
}

describe('zscaleSample', () => {
  it('takes a regular grid with IRAF’s step, row by row from the first row, up to nSamples', () => {
    const data = Float64Array.from({ length: 100 }, (_, i) => i); // 10 × 10, value = index
    // step = ⌊√(9·9/20)⌋ = 2: columns 0,2,4,6,8 of rows 0,2,4,6 make the 20 samples.
    expect(Array.from(zscaleSample(data, 10, 10, 20))).toEqual([0, 2, 4, 6, 8, 20, 22, 24, 26, 28, 40, 42, 44, 46, 48, 60, 62, 64, 66, 68]);
    // Enough samples allowed: the whole grid (rows 0,2,4,6,8).
    expect(zscaleSample(data, 10, 10, 1000)).toHaveLength(100);
    expect(zscaleSample(data, 10, 10, 30)).toHaveLength(30);
  });

  it('skips non-finite pixels and keeps sampling', () => {
    const data = Float64Array.from({ length: 100 }, (_, i) => (i % 20 === 0 ? NaN : i));
    data[3] = Infinity;
    // step = ⌊√(81/6)⌋ = 3: rows 0, 3, 6, 9 and columns 0, 3, 6, 9; pixels 0 (NaN) and 3 (∞) are skipped.
    const sample = Array.from(zscaleSample(data, 10, 10, 6));
    expect(sample).toEqual([6, 9, 30, 33, 36, 39]);
  });

  it('samples a single row (1-D image) pixel by pixel', () => {
    expect(Array.from(zscaleSample([5, 4, 3, 2, 1], 5, 1, 3))).toEqual([5, 4, 3]);
  });
});

describe('zscale', () => {
  it('extends the fitted line through the median to the first and last rank (exact for a uniform sample)', () => {
    // Sorted, the sample is 10, 12, ..., 2010: slope 2 per rank, median 1010 at rank c = 501 of 1001.
    const data = permutedProgression(1001, 10, 2);
    // contrast 2 halves the slope: z1 = 1010 − 500·1 = 510, z2 = 1010 + 500·1 = 1510.
    const half = zscale(data, 1001, 1, { nSamples: 1001, contrast: 2 });
    expect(half.z1).toBeCloseTo(510, 6);
    expect(half.z2).toBeCloseTo(1510, 6);
    // contrast 1: the line ends exactly at the sample's ends.
    const one = zscale(data, 1001, 1, { nSamples: 1001, contrast: 1 });
    expect(one.z1).toBeCloseTo(10, 6);
    expect(one.z2).toBeCloseTo(2010, 6);
    // The default contrast 0.25 would go beyond the range: clamped to it.
    expect(zscale(data, 1001, 1, { nSamples: 1001 })).toEqual({ z1: 10, z2: 2010 });
  });

  it('uses IRAF’s rank convention for an even sample: c = n/2 and the mean of the middle two', () => {
    // 1000 values 0..999: median 499.5, c = 500; contrast 2 → slope 0.5: z1 = 499.5 − 499·0.5, z2 = 499.5 + 500·0.5.
    const limits = zscale(permutedProgression(1000, 0, 1), 1000, 1, { contrast: 2 });
    expect(limits.z1).toBeCloseTo(250, 6);
    expect(limits.z2).toBeCloseTo(749.5, 6);
  });

  it('rejects outliers (with growing) so that they do not steepen the slope', () => {
    const random = rng(11);
    const values = Float64Array.from({ length: 1000 }, (_, i) => i + (random() - 0.5) * 0.2);
    for (let i = 990; i < 1000; i++) values[i] = 1e6;
    const rejected = zscaleFromSample(values, { contrast: 1 });
    // Slope ≈ 1 per rank from the 980-odd good values: the line ends near 0 and 1000.
    expect(rejected.z1).toBeGreaterThan(-1);
    expect(rejected.z1).toBeLessThan(2);
    expect(rejected.z2).toBeGreaterThan(998);
    expect(rejected.z2).toBeLessThan(1002);
    // Without rejection the outliers tilt the line and widen the range.
    const unclipped = zscaleFromSample(values, { contrast: 1, krej: 1e12 });
    expect(unclipped.z2).toBeGreaterThan(1100);
  });

  it('puts z2 below the level of a few hot pixels and brackets the sky', () => {
    const width = 300;
    const height = 200;
    const data = gaussianImage(width, height, 1000, 10, 12);
    const random = rng(13);
    for (let i = 0; i < 600; i++) data[Math.floor(random() * data.length)] = 60000;
    const { z1, z2 } = zscale(data, width, height);
    expect(z1).toBeLessThan(1000);
    expect(z2).toBeGreaterThan(1000);
    expect(z2).toBeLessThan(1100);
    expect(z1).toBeGreaterThan(900);
  });

  it('follows the central slope of a normal distribution (contrast 1: about ±1.5σ), clamped to the sample range by default', () => {
    const width = 400;
    const height = 400;
    const sigma = 20;
    const data = gaussianImage(width, height, 500, sigma, 14);
    const sample = zscaleSample(data, width, height);
    const sampleMin = Math.min(...sample);
    const sampleMax = Math.max(...sample);
    // Central slope of sorted normal values: σ·√(2π)/n per rank, so ±(n/2)·slope ≈ ±1.25σ; rejection of
    // the curved tails steepens the fitted line somewhat.
    const one = zscale(data, width, height, { contrast: 1 });
    expect(one.z2 - 500).toBeGreaterThan(1.2 * sigma);
    expect(one.z2 - 500).toBeLessThan(2.2 * sigma);
    expect(500 - one.z1).toBeGreaterThan(1.2 * sigma);
    expect(500 - one.z1).toBeLessThan(2.2 * sigma);
    // With contrast 0.25 the line leaves the sample range: pure noise shows from min to max.
    expect(zscale(data, width, height)).toEqual({ z1: sampleMin, z2: sampleMax });
  });

  it('gives the sample range when too many pixels are rejected or the contrast is 0', () => {
    const data = gaussianImage(100, 100, 0, 1, 15);
    for (let i = 0; i < 100; i++) data[i * 97] = 1000;
    const sample = zscaleSample(data, 100, 100);
    const range = { z1: Math.min(...sample), z2: Math.max(...sample) };
    expect(zscale(data, 100, 100, { contrast: 0 })).toEqual(range);
    // Requiring 99.9 % of the pixels to survive: any rejection gives up.
    expect(zscale(data, 100, 100, { maxReject: 0.999 })).toEqual(range);
    expect(zscale(data, 100, 100).z2).toBeLessThan(1000);
  });

  it('returns the constant for a constant image', () => {
    expect(zscale(new Float32Array(64 * 64).fill(42), 64, 64)).toEqual({ z1: 42, z2: 42 });
  });

  it('ignores blank pixels, and copes with (almost) empty images', () => {
    const data = gaussianImage(50, 50, 100, 5, 16);
    const withBlanks = Float32Array.from(data);
    for (let i = 0; i < withBlanks.length; i += 3) withBlanks[i] = NaN;
    const limits = zscale(withBlanks, 50, 50);
    expect(Number.isFinite(limits.z1) && Number.isFinite(limits.z2)).toBe(true);
    expect(limits.z1).toBeLessThan(100);
    expect(limits.z2).toBeGreaterThan(100);
    expect(zscale(new Float32Array(100).fill(NaN), 10, 10)).toEqual({ z1: 0, z2: 0 });
    expect(zscale(new Float32Array(0), 0, 0)).toEqual({ z1: 0, z2: 0 });
    // Fewer than 5 finite pixels: their range.
    expect(zscale([NaN, 3, NaN, 9], 2, 2)).toEqual({ z1: 3, z2: 9 });
  });

  it('validates its arguments', () => {
    expect(() => zscale([1, 2, 3], 2, 2)).toThrow(RangeError);
    expect(() => zscale([1, 2, 3, 4], 2.5, 1)).toThrow(RangeError);
    expect(() => zscale([1, 2, 3, 4], 2, 2, { nSamples: 0 })).toThrow(RangeError);
    expect(() => zscale([1, 2, 3, 4], 2, 2, { contrast: -1 })).toThrow(RangeError);
  });

  it('does not modify the image', () => {
    const data = Float64Array.from([5, 3, 1, 4, 2, 9, 7, 8, 6]);
    zscale(data, 3, 3);
    expect(Array.from(data)).toEqual([5, 3, 1, 4, 2, 9, 7, 8, 6]);
  });
});

describe('percentileLimits', () => {
  it('is exact (numpy interpolation) on images up to maxSamples pixels', () => {
    const data = gaussianImage(100, 100, 0, 1, 17);
    const limits = percentileLimits(data);
    expect(limits.z1).toBe(percentile(data, 0.5));
    expect(limits.z2).toBe(percentile(data, 99.5));
    expect(percentileLimits(data, 0, 100)).toEqual({ z1: Math.min(...data), z2: Math.max(...data) });
    expect(percentileLimits([4, 1, 3, 2], 50, 50)).toEqual({ z1: 2.5, z2: 2.5 });
  });

  it('samples larger images at a regular stride, keeping the exact min and max for 0 and 100', () => {
    const n = 100000;
    const data = Float64Array.from({ length: n }, (_, i) => (i * 7919) % n); // 0..n-1, scrambled
    const sampled = percentileLimits(data, 1, 99, { maxSamples: 1000 });
    expect(sampled.z1).toBeGreaterThan(0.005 * n);
    expect(sampled.z1).toBeLessThan(0.015 * n);
    expect(sampled.z2).toBeGreaterThan(0.985 * n);
    expect(sampled.z2).toBeLessThan(0.995 * n);
    const minmax = percentileLimits(data, 0, 100, { maxSamples: 1000 });
    expect(minmax).toEqual({ z1: 0, z2: n - 1 });
    const exact = percentileLimits(data, 1, 99, { maxSamples: Infinity });
    expect(exact.z1).toBeCloseTo(0.01 * (n - 1), 6);
  });

  it('ignores blanks; falls back to all pixels when the sampled ones are all blank', () => {
    const data = new Float64Array(10000).fill(NaN);
    for (let i = 1; i < data.length; i += 10) data[i] = i;
    // stride 10 hits only the blank pixels 0, 10, 20...
    const limits = percentileLimits(data, 0.5, 99.5, { maxSamples: 1000 });
    expect(limits.z1).toBeCloseTo(percentile(data, 0.5), 9);
    expect(limits.z2).toBeCloseTo(percentile(data, 99.5), 9);
    expect(percentileLimits(new Float32Array(5).fill(NaN))).toEqual({ z1: 0, z2: 0 });
  });

  it('validates the percentiles', () => {
    expect(() => percentileLimits([1, 2], 60, 40)).toThrow(RangeError);
    expect(() => percentileLimits([1, 2], -1, 50)).toThrow(RangeError);
    expect(() => percentileLimits([1, 2], 1, 101)).toThrow(RangeError);
    expect(() => percentileLimits([1, 2], 1, 99, { maxSamples: 0 })).toThrow(RangeError);
  });
});

describe('stretchMapping', () => {
  it('maps [0, 1] onto [0, 1], increasing, with the documented formulas', () => {
    for (const name of ['linear', 'sqrt', 'log', 'asinh'] as StretchMapping[]) {
      const f = stretchMapping(name);
      expect(f(0)).toBeCloseTo(0, 15);
      expect(f(1)).toBeCloseTo(1, 15);
      let previous = -1;
      for (let t = 0; t <= 1; t += 0.01) {
        expect(f(t)).toBeGreaterThan(previous);
        previous = f(t);
      }
    }
    expect(stretchMapping('log')(0.1)).toBeCloseTo(Math.log10(101) / Math.log10(1001), 12);
    expect(LOG_STRETCH_A).toBe(1000);
    expect(stretchMapping('asinh')(0.1)).toBeCloseTo(Math.asinh(1) / Math.asinh(10), 12);
    expect(ASINH_STRETCH_A).toBe(0.1);
    expect(stretchMapping('sqrt')(0.25)).toBe(0.5);
    expect(() => stretchMapping('gamma' as StretchMapping)).toThrow(RangeError);
  });
});

describe('stretchToUint8', () => {
  it('maps z1..z2 linearly to 0..255 with rounding, and puts FITS row NAXIS2 first by default', () => {
    // FITS row 1 (bottom) then row 2 (top).
    const data = [0, 127.4, 127.6, 255, 300, -5];
    const out = stretchToUint8(data, 3, 2, { z1: 0, z2: 255 });
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Array.from(out)).toEqual([255, 255, 0, 0, 127, 128]);
    expect(Array.from(stretchToUint8(data, 3, 2, { z1: 0, z2: 255, flipY: false }))).toEqual([0, 127, 128, 255, 255, 0]);
  });

  it('makes blanks black, +Infinity white and −Infinity black', () => {
    const out = stretchToUint8([NaN, Infinity, -Infinity, 50], 4, 1, { z1: 0, z2: 100 });
    expect(Array.from(out)).toEqual([0, 255, 0, 128]);
    for (const mapping of ['sqrt', 'log', 'asinh'] as StretchMapping[]) {
      expect(Array.from(stretchToUint8([NaN, Infinity, -Infinity], 3, 1, { z1: 0, z2: 100, mapping }))).toEqual([0, 255, 0]);
    }
  });

  it.each(['linear', 'sqrt', 'log', 'asinh'] as StretchMapping[])('gives exactly round(255·f(t)) for the %s mapping', (mapping) => {
    const f = stretchMapping(mapping);
    const z1 = -37.5;
    const z2 = 1234.25;
    const random = rng(18);
    const n = 20000;
    const data = Float64Array.from({ length: n }, (_, i) => {
      // Dense near z1, where log and sqrt are steep, and some values outside the limits.
      const t = i < n / 2 ? random() ** 4 : random() * 1.2 - 0.1;
      return z1 + t * (z2 - z1);
    });
    const out = stretchToUint8(data, n, 1, { z1, z2, mapping });
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.min(1, Math.max(0, (data[i] - z1) / (z2 - z1)));
      if (out[i] !== Math.round(255 * f(t))) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(Array.from(stretchToUint8([z1, z2], 2, 1, { z1, z2, mapping }))).toEqual([0, 255]);
  });

  it('brightens faint levels: linear < asinh < sqrt < log', () => {
    const faint = [10];
    const level = (mapping: StretchMapping) => stretchToUint8(faint, 1, 1, { z1: 0, z2: 1000, mapping })[0];
    // t = 0.01: linear 2.55, asinh 255·asinh(0.1)/asinh(10) ≈ 8.5, sqrt 25.5, log 255·log(11)/log(1001) ≈ 88.5
    expect(level('linear')).toBe(3);
    expect(level('asinh')).toBe(Math.round((255 * Math.asinh(0.1)) / Math.asinh(10)));
    expect(level('sqrt')).toBe(26);
    expect(level('log')).toBe(Math.round((255 * Math.log(11)) / Math.log(1001)));
    expect(level('linear')).toBeLessThan(level('asinh'));
    expect(level('asinh')).toBeLessThan(level('sqrt'));
    expect(level('sqrt')).toBeLessThan(level('log'));
  });

  it('gives a step at z1 when z1 = z2', () => {
    expect(Array.from(stretchToUint8([1, 2, 3, NaN], 4, 1, { z1: 2, z2: 2, mapping: 'log' }))).toEqual([0, 0, 255, 0]);
  });

  it('validates its arguments', () => {
    expect(() => stretchToUint8([1, 2], 2, 1, { z1: 5, z2: 1 })).toThrow(RangeError);
    expect(() => stretchToUint8([1, 2], 2, 1, { z1: NaN, z2: 1 })).toThrow(RangeError);
    expect(() => stretchToUint8([1, 2], 2, 2, { z1: 0, z2: 1 })).toThrow(RangeError);
    expect(() => stretchToUint8([1, 2], 2, 1, { z1: 0, z2: 1, mapping: 'gamma' as StretchMapping })).toThrow(RangeError);
  });

  it('stretches a 4096×4096 image (its speed is measured by npm run bench:fits, not here)', () => {
    const width = 4096;
    const height = 4096;
    const data = new Float32Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 0) / 4294967296;
    for (const mapping of ['linear', 'asinh'] as StretchMapping[]) {
      const out = stretchToUint8(data, width, height, { z1: 0.1, z2: 0.9, mapping });
      expect(out).toHaveLength(width * height);
      // Everything below z1 is black and above z2 white (rows may be flipped, so count rather than index).
      let below = 0;
      let above = 0;
      for (const v of data) {
        if (v < 0.1) below++;
        else if (v > 0.9) above++;
      }
      let black = 0;
      let white = 0;
      for (const v of out) {
        if (v === 0) black++;
        else if (v === 255) white++;
      }
      expect(black).toBeGreaterThanOrEqual(below);
      expect(white).toBeGreaterThanOrEqual(above);
      expect(black + white).toBeLessThan(out.length / 2);
    }
  });
});

describe('boxDownsample', () => {
  it('averages f × f blocks with f = ⌈max side / maxSide⌉, keeping FITS row order', () => {
    // 4 × 4, rows from the bottom: value = 10·row + column.
    const data = Float64Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4));
    const small = boxDownsample(data, 4, 4, 2);
    expect(small).toMatchObject({ width: 2, height: 2, factor: 2 });
    expect(small.data).toBeInstanceOf(Float32Array);
    expect(Array.from(small.data)).toEqual([5.5, 7.5, 25.5, 27.5]);
  });

  it('averages partial blocks at the right and top edges over the pixels they have', () => {
    // 5 × 3, maxSide 2 → f = 3: blocks are columns 0-2 and 3-4 of rows 0-2.
    const data = Float64Array.from({ length: 15 }, (_, i) => i);
    const small = boxDownsample(data, 5, 3, 2);
    expect(small).toMatchObject({ width: 2, height: 1, factor: 3 });
    expect(Array.from(small.data)).toEqual([(0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12) / 9, (3 + 4 + 8 + 9 + 13 + 14) / 6]);
  });

  it('ignores blank pixels; an all-blank block is NaN', () => {
    const data = [1, NaN, NaN, NaN, 3, 5, NaN, NaN];
    const small = boxDownsample(data, 4, 2, 2);
    expect(small.width).toBe(2);
    expect(small.height).toBe(1);
    expect(small.data[0]).toBe(3); // (1 + 3 + 5) / 3
    expect(small.data[1]).toBeNaN();
  });

  it('returns a Float32Array copy at factor 1 when the image is small enough', () => {
    const data = new Float64Array([1.5, 2.5, 3.5, 4.5]);
    const same = boxDownsample(data, 2, 2, 512);
    expect(same).toMatchObject({ width: 2, height: 2, factor: 1 });
    expect(Array.from(same.data)).toEqual([1.5, 2.5, 3.5, 4.5]);
  });

  it('keeps the sides within maxSide and is also exported as boxAverage', () => {
    const data = new Float32Array(1392 * 1040).fill(1);
    const small = boxAverage(data, 1392, 1040, 256);
    expect(boxAverage).toBe(boxDownsample);
    expect(small).toMatchObject({ width: 232, height: 174, factor: 6 });
    expect(small.data.every((v) => v === 1)).toBe(true);
    expect(() => boxDownsample(data, 1392, 1040, 0)).toThrow(RangeError);
  });
});

describe('resizeNearest', () => {
  it('takes the pixel nearest each block centre, clamped at the edges', () => {
    const data = Float64Array.from({ length: 25 }, (_, i) => i); // 5 × 5
    const small = resizeNearest(data, 5, 5, 3); // f = 2 → 3 × 3, picks columns/rows 1, 3, 4
    expect(small).toMatchObject({ width: 3, height: 3, factor: 2 });
    expect(Array.from(small.data)).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
    expect(Array.from(resizeNearest([7, NaN], 2, 1, 10).data)).toEqual([7, NaN]);
  });
});
