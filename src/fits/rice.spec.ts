import { riceDecompress, RiceError } from './rice';
import { riceCompress } from './testing/make-fits';

/** A reproducible pseudo-random generator for test data. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function decode(stream: Uint8Array, count: number, blockSize: number, bytePix: number): number[] {
  const out = new Int32Array(count);
  riceDecompress(stream, count, blockSize, bytePix, out);
  return Array.from(out);
}

describe('riceDecompress', () => {
  const cases: Array<[1 | 2 | 4, number, number]> = [
    [1, 0, 255],
    [2, -32768, 32767],
    [4, -2147483648, 2147483647],
  ];

  it.each(cases)('restores %i-byte pixels coded by a reference encoder (smooth, noisy, constant, extreme)', (bytePix, min, max) => {
    const random = lcg(bytePix);
    const values: number[] = [];
    for (let i = 0; i < 300; i++) values.push(Math.round(min / 2 + max / 2 + 20 * Math.sin(i / 10) + random() * 6) + 0); // smooth: Rice coded
    for (let i = 0; i < 70; i++) values.push(42); // constant: all-zero blocks
    for (let i = 0; i < 90; i++) values.push(Math.floor(min + random() * (max - min + 1))); // noise: raw blocks
    values.push(min, max, min, max, 0, max, min); // wrap-around differences
    for (const blockSize of [32, 16, 7]) {
      expect(decode(riceCompress(values, blockSize, bytePix), values.length, blockSize, bytePix)).toEqual(values);
      expect(decode(riceCompress(values, blockSize, bytePix, 'raw'), values.length, blockSize, bytePix)).toEqual(values);
    }
  });

  it('decodes a single pixel and ignores bytes left over', () => {
    const stream = Buffer.concat([riceCompress([-5], 32, 2), Buffer.from([0xff, 0xff])]);
    expect(decode(stream, 1, 32, 2)).toEqual([-5]);
    expect(decode(Buffer.alloc(0), 0, 32, 4)).toEqual([]);
  });

  it('throws RiceError for a stream cut short, at any length', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    const stream = riceCompress(values, 32, 4);
    for (let length = 0; length < stream.length; length += 3) {
      expect(() => decode(stream.subarray(0, length), values.length, 32, 4)).toThrow(RiceError);
    }
    expect(() => decode(stream.subarray(0, stream.length - 1), values.length, 32, 4)).toThrow(/RICE_1 stream ends early/);
  });

  it('throws RiceError for an impossible FS code of 32-bit pixels', () => {
    // first pixel 0, then FS code 31 (5 bits 11111): FS 30 is beyond FSMAX 25
    const stream = Buffer.from([0, 0, 0, 0, 0b11111000, 0, 0, 0, 0, 0, 0]);
    expect(() => decode(stream, 4, 32, 4)).toThrow(/FS code 31 is out of range/);
  });

  it('rejects unsupported BYTEPIX and BLOCKSIZE', () => {
    expect(() => decode(Buffer.alloc(16), 2, 32, 8)).toThrow(/BYTEPIX = 8 is not supported/);
    expect(() => decode(Buffer.alloc(16), 2, 0, 4)).toThrow(/BLOCKSIZE = 0/);
  });

  it('never reads out of bounds or hangs on random garbage', () => {
    const random = lcg(99);
    for (let trial = 0; trial < 300; trial++) {
      const garbage = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      for (const bytePix of [1, 2, 4]) {
        try {
          decode(garbage, 1000, 32, bytePix);
        } catch (error) {
          expect(error).toBeInstanceOf(RiceError);
        }
      }
    }
  });
});
