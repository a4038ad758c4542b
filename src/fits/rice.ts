/**
 * Rice decompression as used by the FITS tiled image convention (ZCMPTYPE = 'RICE_1', alias 'RICE_ONE').
 *
 * The stream of one tile: the first pixel value as a raw big-endian integer of `bytePix` bytes, then blocks of
 * `blockSize` pixels (the last block may be shorter). Each block starts with an FS code of 3, 4 or 5 bits (for
 * 1-, 2- or 4-byte pixels), stored as FS + 1:
 * - 0: every difference in the block is zero (the pixels repeat the previous value);
 * - FSMAX + 1 (7, 15 or 26): each difference is stored raw in 8, 16 or 32 bits;
 * - otherwise each difference is a unary count of leading zero bits ended by a one bit (the high part), then FS
 *   low bits.
 * Differences between neighbouring pixels are folded to non-negative numbers (0, -1, 1, -2, ... -> 0, 1, 2, 3,
 * ...): even d stands for d / 2, odd d for -(d + 1) / 2. Pixel arithmetic wraps around at the pixel width.
 *
 * A corrupt stream (cut short, impossible FS code) throws RiceError; decoding never reads outside `input` and
 * always ends, since every block consumes input bits.
 */

/** The compressed stream is corrupt; the caller adds file, HDU and tile. */
export class RiceError extends Error {}

interface RiceParameters {
  /** Bits of the FS code. */
  fsBits: number;
  /** The FS value that marks a block of raw differences. */
  fsMax: number;
  /** Bits per pixel. */
  pixelBits: number;
}

const PARAMETERS: Record<1 | 2 | 4, RiceParameters> = {
  1: { fsBits: 3, fsMax: 6, pixelBits: 8 },
  2: { fsBits: 4, fsMax: 14, pixelBits: 16 },
  4: { fsBits: 5, fsMax: 25, pixelBits: 32 },
};

/**
 * Decodes `count` pixels of a Rice stream into `output` (from index 0). 1-byte pixels come out unsigned
 * (0..255), 2- and 4-byte pixels signed. Bytes left over after the last block are ignored.
 */
export function riceDecompress(input: Uint8Array, count: number, blockSize: number, bytePix: number, output: Int32Array): void {
  if (bytePix !== 1 && bytePix !== 2 && bytePix !== 4) {
    throw new RiceError(`BYTEPIX = ${bytePix} is not supported by RICE_1 (must be 1, 2 or 4)`);
  }
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RiceError(`invalid RICE_1 BLOCKSIZE = ${blockSize}`);
  if (output.length < count) throw new RangeError(`output holds ${output.length} values, ${count} wanted`);
  if (count === 0) return;

  const { fsBits, fsMax, pixelBits } = PARAMETERS[bytePix];
  const length = input.length;
  if (length < bytePix) throw new RiceError(`RICE_1 stream of ${length} bytes is too short for its first pixel`);

  // Pixel values are kept as unsigned numbers of pixelBits bits; `mask` wraps sums (32-bit: `>>> 0`).
  const mask = pixelBits === 32 ? 0 : (1 << pixelBits) - 1;
  let last = 0;
  for (let i = 0; i < bytePix; i++) last = last * 256 + input[i];
  let pos = bytePix;

  // Bit reader: `acc` holds `bits` unread bits (its low bits; the bits above them are zero).
  let acc = 0;
  let bits = 0;
  const ended = (): never => {
    throw new RiceError(`RICE_1 stream ends early: ${length} bytes hold fewer than ${count} pixels`);
  };

  let i = 0;
  while (i < count) {
    // FS code
    while (bits < fsBits) {
      if (pos >= length) ended();
      acc = (acc << 8) | input[pos++];
      bits += 8;
    }
    bits -= fsBits;
    const fs = (acc >>> bits) - 1;
    acc &= (1 << bits) - 1;

    const end = Math.min(count, i + blockSize);
    if (fs < 0) {
      // low entropy: all differences are zero
      const value = pixelBits === 8 ? last : pixelBits === 16 ? (last << 16) >> 16 : last | 0;
      output.fill(value, i, end);
      i = end;
      continue;
    }
    if (fs > fsMax) throw new RiceError(`corrupt RICE_1 stream: FS code ${fs + 1} is out of range at pixel ${i}`);

    for (; i < end; i++) {
      let folded: number;
      if (fs === fsMax) {
        // high entropy: raw differences, read 16 bits at a time to stay within 32-bit arithmetic
        folded = 0;
        for (let left = pixelBits; left > 0; left -= 16) {
          const n = left >= 16 ? 16 : left;
          while (bits < n) {
            if (pos >= length) ended();
            acc = (acc << 8) | input[pos++];
            bits += 8;
          }
          bits -= n;
          folded = folded * (1 << n) + (acc >>> bits);
          acc &= (1 << bits) - 1;
        }
      } else {
        // unary high part: count zero bits up to the next one bit
        let zeros = 0;
        while (acc === 0) {
          zeros += bits;
          if (pos >= length) ended();
          acc = input[pos++];
          bits = 8;
        }
        const top = 31 - Math.clz32(acc);
        zeros += bits - 1 - top;
        bits = top;
        acc ^= 1 << top;
        // fs low bits
        while (bits < fs) {
          if (pos >= length) ended();
          acc = (acc << 8) | input[pos++];
          bits += 8;
        }
        bits -= fs;
        const low = acc >>> bits;
        acc &= (1 << bits) - 1;
        folded = zeros * (1 << fs) + low;
      }
      // unfold and add; >>> 0 and the mask wrap like the unsigned arithmetic of the encoder
      const unsigned = folded >>> 0;
      const difference = (unsigned & 1) === 0 ? unsigned >>> 1 : ~(unsigned >>> 1);
      if (pixelBits === 32) {
        last = (last + difference) >>> 0;
        output[i] = last | 0;
      } else {
        last = (last + difference) & mask;
        output[i] = pixelBits === 16 ? (last << 16) >> 16 : last;
      }
    }
  }
}
