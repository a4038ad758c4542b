import { resampleArea } from './resample';

describe('resampleArea', () => {
  it('averages whole blocks when the factor is a whole number', () => {
    // 4×2 → 2×1: each output pixel is the mean of a 2×2 block.
    const out = resampleArea(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 4, 2, 2, 1);
    expect(Array.from(out.data)).toEqual([(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4]);
  });

  it('weights partly covered pixels by the fraction covered', () => {
    // 3 → 2 in x: output 0 covers input 0 and half of input 1; output 1 the other half of 1 and input 2.
    const out = resampleArea(Float64Array.from([0, 6, 12]), 3, 1, 2, 1);
    expect(out.data[0]).toBeCloseTo((0 * 1 + 6 * 0.5) / 1.5, 6);
    expect(out.data[1]).toBeCloseTo((6 * 0.5 + 12 * 1) / 1.5, 6);
  });

  it('keeps the mean of the image and a constant image constant', () => {
    const width = 1392;
    const height = 1040;
    const ramp = Float32Array.from({ length: width * height }, (_, i) => (i % width) + Math.floor(i / width));
    const out = resampleArea(ramp, width, height, 500, 374);
    const mean = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0) / values.length;
    expect(mean(out.data)).toBeCloseTo(mean(ramp), 0);
    const flat = resampleArea(new Float32Array(100 * 80).fill(7.5), 100, 80, 33, 27);
    expect(Array.from(flat.data).every((v) => Math.abs(v - 7.5) < 1e-5)).toBe(true);
  });

  it('leaves blank (NaN) pixels out, and gives NaN only where everything was blank', () => {
    const out = resampleArea(Float32Array.from([NaN, 4, NaN, NaN]), 2, 2, 1, 1);
    expect(out.data[0]).toBe(4);
    expect(Number.isNaN(resampleArea(Float32Array.from([NaN, NaN]), 2, 1, 1, 1).data[0])).toBe(true);
  });

  it('refuses to enlarge', () => {
    expect(() => resampleArea(new Float32Array(4), 2, 2, 3, 2)).toThrow('only to a smaller or equal size');
  });
});
