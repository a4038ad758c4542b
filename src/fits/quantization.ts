/**
 * Restoring floating-point tiles that were quantised to integers before compression (tiled image convention,
 * ZQUANTIZ): value = (i - r + 0.5) * ZSCALE + ZZERO with subtractive dithering, i * ZSCALE + ZZERO without.
 *
 * The dither offsets r come from a fixed sequence of 10000 numbers: the Park-Miller generator
 * seed' = 16807 * seed mod 2147483647 from seed 1, each value seed / 2147483647 stored as a 32-bit float (the
 * 10000th seed is 1043618065). The offset of a tile's first pixel: with row = (zero-based tile index) + ZDITHER0,
 * iseed = (row - 1) mod 10000 and the first index is trunc(r[iseed] * 500) (a float product); each pixel, null
 * or not, takes the next index; after index 9999 iseed moves on by one and the index restarts from
 * trunc(r[iseed] * 500). The arithmetic (double, then rounded to the output type) follows the reference
 * implementation (CFITSIO), so that values match it exactly.
 */

export type QuantizeMethod = 'NO_DITHER' | 'SUBTRACTIVE_DITHER_1' | 'SUBTRACTIVE_DITHER_2';

export const QUANTIZE_METHODS: readonly QuantizeMethod[] = ['NO_DITHER', 'SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2'];

/** The integer the reference implementation writes for NaN pixels (and names in ZBLANK). */
export const NULL_VALUE = -2147483647;
/** With SUBTRACTIVE_DITHER_2: the integer that stands for an exact 0.0. */
export const ZERO_VALUE = -2147483646;

const N_RANDOM = 10000;
let randoms: Float32Array | undefined;

/** The 10000 dither offsets, computed on first use. */
export function ditherRandoms(): Float32Array {
  if (randoms) return randoms;
  const a = 16807;
  const m = 2147483647;
  const values = new Float32Array(N_RANDOM);
  let seed = 1;
  for (let i = 0; i < N_RANDOM; i++) {
    const product = a * seed; // < 2^46: exact in a double
    seed = product - m * Math.trunc(product / m);
    values[i] = seed / m;
  }
  if (seed !== 1043618065) throw new Error(`dither random sequence is wrong: last seed ${seed}`);
  randoms = values;
  return values;
}

export interface UnquantizeOptions {
  scale: number;
  zero: number;
  method: QuantizeMethod;
  /** Zero-based index of the tile (its table row) plus ZDITHER0; only used when dithering. */
  ditherRow: number;
  /** Integer that marks a null pixel (becomes NaN), if any. */
  blank?: number;
}

/** Unquantises `count` integers of `input` into `output` (from index 0). */
export function unquantize(input: Int32Array, count: number, output: Float32Array | Float64Array, options: UnquantizeOptions): void {
  const { scale, zero, method } = options;
  const blank = options.blank ?? NaN; // NaN never equals: no null check
  if (method === 'NO_DITHER') {
    for (let k = 0; k < count; k++) {
      const q = input[k];
      output[k] = q === blank ? NaN : q * scale + zero;
    }
    return;
  }

  const r = ditherRandoms();
  let iseed = (options.ditherRow - 1) % N_RANDOM;
  if (iseed < 0) iseed += N_RANDOM;
  let next = Math.trunc(Math.fround(r[iseed] * 500));
  const keepZero = method === 'SUBTRACTIVE_DITHER_2';
  for (let k = 0; k < count; k++) {
    const q = input[k];
    if (q === blank) output[k] = NaN;
    else if (keepZero && q === ZERO_VALUE) output[k] = 0;
    else output[k] = (q - r[next] + 0.5) * scale + zero;
    next++;
    if (next === N_RANDOM) {
      iseed++;
      if (iseed === N_RANDOM) iseed = 0;
      next = Math.trunc(Math.fround(r[iseed] * 500));
    }
  }
}
