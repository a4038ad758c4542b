import { ditherRandoms, NULL_VALUE, unquantize, ZERO_VALUE } from './quantization';

describe('ditherRandoms', () => {
  it('is the Park-Miller sequence from seed 1 as 32-bit floats', () => {
    const r = ditherRandoms();
    expect(r).toHaveLength(10000);
    expect(r[0]).toBe(Math.fround(16807 / 2147483647));
    expect(r[1]).toBe(Math.fround(282475249 / 2147483647)); // 16807^2
    expect(r[2]).toBe(Math.fround(1622650073 / 2147483647)); // 16807^3 mod (2^31 - 1)
    // every value in (0, 1); the same array on every call
    expect(r.every((v) => v > 0 && v < 1)).toBe(true);
    expect(ditherRandoms()).toBe(r);
  });
});

describe('unquantize', () => {
  it('without dithering: i * scale + zero, null flag -> NaN', () => {
    const input = Int32Array.from([0, 1, -3, 1000, NULL_VALUE]);
    const out = new Float64Array(5);
    unquantize(input, 5, out, { scale: 0.5, zero: 100, method: 'NO_DITHER', ditherRow: 1, blank: NULL_VALUE });
    expect(Array.from(out)).toEqual([100, 100.5, 98.5, 600, NaN]);
  });

  it('with SUBTRACTIVE_DITHER_1: (i - r + 0.5) * scale + zero, offsets taken along the sequence from the row seed', () => {
    const r = ditherRandoms();
    const count = 20;
    const input = Int32Array.from({ length: count }, (_, k) => k * 3 - 10);
    for (const ditherRow of [1, 2, 5000, 10000, 10001, 12345]) {
      const out = new Float32Array(count);
      unquantize(input, count, out, { scale: 0.25, zero: -7, method: 'SUBTRACTIVE_DITHER_1', ditherRow });
      const first = Math.trunc(Math.fround(r[(ditherRow - 1) % 10000] * 500));
      const expected = Array.from(input, (q, k) => Math.fround((q - r[first + k] + 0.5) * 0.25 - 7));
      expect([ditherRow, ...out]).toEqual([ditherRow, ...expected]);
    }
  });

  it('moves to the next seed after the last of the 10000 offsets', () => {
    const r = ditherRandoms();
    // find a row whose start index leaves fewer than 5 offsets before the end
    const row = Array.from({ length: 10000 }, (_, i) => i + 1).find((candidate) => Math.trunc(Math.fround(r[candidate - 1] * 500)) === 499);
    expect(row).toBeDefined();
    const count = 10000 - 499 + 3;
    const input = new Int32Array(count);
    const out = new Float64Array(count);
    unquantize(input, count, out, { scale: 1, zero: 0, method: 'SUBTRACTIVE_DITHER_1', ditherRow: row as number });
    expect(out[count - 4]).toBe(0.5 - r[9999]);
    const restart = Math.trunc(Math.fround(r[(row as number) % 10000] * 500));
    expect(out[count - 3]).toBe(0.5 - r[restart]);
    expect(out[count - 1]).toBe(0.5 - r[restart + 2]);
  });

  it('with SUBTRACTIVE_DITHER_2 the zero flag gives exactly 0.0 (and still uses up an offset)', () => {
    const r = ditherRandoms();
    const input = Int32Array.from([ZERO_VALUE, 10, NULL_VALUE, 10]);
    const out = new Float32Array(4);
    unquantize(input, 4, out, { scale: 2, zero: 1, method: 'SUBTRACTIVE_DITHER_2', ditherRow: 1, blank: NULL_VALUE });
    const first = Math.trunc(Math.fround(r[0] * 500));
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(Math.fround((10 - r[first + 1] + 0.5) * 2 + 1));
    expect(out[2]).toBeNaN();
    expect(out[3]).toBe(Math.fround((10 - r[first + 3] + 0.5) * 2 + 1));
    // SUBTRACTIVE_DITHER_1 treats the same integer as an ordinary value
    unquantize(input, 1, out, { scale: 2, zero: 1, method: 'SUBTRACTIVE_DITHER_1', ditherRow: 1 });
    expect(out[0]).toBe(Math.fround((ZERO_VALUE - r[first] + 0.5) * 2 + 1));
  });
});
