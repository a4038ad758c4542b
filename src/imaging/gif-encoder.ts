/**
 * A GIF89a encoder for 8-bit grayscale frames. The frames are gray already, so a fixed palette of the 256 gray
 * levels shows them exactly: no colour quantisation, which is what makes general-purpose GIF writers slow. Each
 * frame is one LZW-compressed image (minimum code size 8) with its delay; a NETSCAPE2.0 block makes it loop.
 */

const HASH_SIZE = 5003; // a prime a little above 4096, as in the classic compress implementation
const MAX_CODE = 4095;

/** Growable byte buffer for the output. */
class ByteWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  length = 0;

  private ensure(extra: number) {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(value: number) {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  word(value: number) {
    this.ensure(2);
    this.buffer[this.length++] = value & 0xff;
    this.buffer[this.length++] = (value >> 8) & 0xff;
  }

  bytes(values: ArrayLike<number>) {
    this.ensure(values.length);
    for (let i = 0; i < values.length; i++) this.buffer[this.length++] = values[i];
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Packs variable-width codes little-endian into 255-byte data sub-blocks. */
class CodeWriter {
  private accumulator = 0;
  private bits = 0;
  private readonly block = new Uint8Array(255);
  private blockLength = 0;

  constructor(private readonly out: ByteWriter) {}

  write(code: number, width: number) {
    this.accumulator |= code << this.bits;
    this.bits += width;
    while (this.bits >= 8) {
      this.push(this.accumulator & 0xff);
      this.accumulator >>>= 8;
      this.bits -= 8;
    }
  }

  finish() {
    if (this.bits > 0) this.push(this.accumulator & 0xff);
    this.accumulator = 0;
    this.bits = 0;
    this.flushBlock();
    this.out.byte(0); // block terminator
  }

  private push(value: number) {
    this.block[this.blockLength++] = value;
    if (this.blockLength === 255) this.flushBlock();
  }

  private flushBlock() {
    if (!this.blockLength) return;
    this.out.byte(this.blockLength);
    this.out.bytes(this.block.subarray(0, this.blockLength));
    this.blockLength = 0;
  }
}

/** LZW-compresses one frame's pixels (values 0–255) with a minimum code size of 8. */
function writeLzw(out: ByteWriter, pixels: Uint8Array, keys: Int32Array, codes: Int32Array) {
  const clear = 256;
  const end = 257;
  const codesOut = new CodeWriter(out);
  let width = 9;
  let next = 258;
  keys.fill(-1);
  codesOut.write(clear, width);
  let prefix = pixels[0];
  for (let i = 1; i < pixels.length; i++) {
    const value = pixels[i];
    const key = (value << 12) | prefix;
    let slot = ((value << 4) ^ prefix) % HASH_SIZE;
    let found = -1;
    // Open addressing with the classic secondary step.
    const step = slot === 0 ? 1 : HASH_SIZE - slot;
    while (keys[slot] !== -1) {
      if (keys[slot] === key) {
        found = codes[slot];
        break;
      }
      slot -= step;
      if (slot < 0) slot += HASH_SIZE;
    }
    if (found >= 0) {
      prefix = found;
      continue;
    }
    codesOut.write(prefix, width);
    prefix = value;
    if (next <= MAX_CODE) {
      keys[slot] = key;
      codes[slot] = next;
      // The decoder widens its codes one step later than we add entries.
      if (next === 1 << width) width++;
      next++;
    } else {
      codesOut.write(clear, width);
      keys.fill(-1);
      width = 9;
      next = 258;
    }
  }
  codesOut.write(prefix, width);
  codesOut.write(end, width);
  codesOut.finish();
}

export interface GifOptions {
  /** Delay of every frame in milliseconds (stored in hundredths of a second, at least 1). */
  delayMs: number;
  /** Loop forever (NETSCAPE2.0 loop count 0) or play once (no loop block). */
  loop: boolean;
}

/** Encodes same-sized grayscale frames (row 0 at the top) as an animated GIF. */
export function encodeGrayGif(frames: Uint8Array[], width: number, height: number, options: GifOptions): Buffer {
  if (width < 1 || height < 1 || width > 65535 || height > 65535) throw new Error(`a GIF cannot be ${width}×${height} pixels`);
  const out = new ByteWriter();
  out.bytes(Buffer.from('GIF89a', 'latin1'));
  out.word(width);
  out.word(height);
  out.byte(0xf7); // global colour table, 8 bits per primary, 256 entries
  out.byte(0); // background colour index
  out.byte(0); // pixel aspect ratio: not given
  for (let level = 0; level < 256; level++) out.bytes([level, level, level]);
  if (options.loop) {
    out.bytes([0x21, 0xff, 0x0b]);
    out.bytes(Buffer.from('NETSCAPE2.0', 'latin1'));
    out.bytes([0x03, 0x01, 0x00, 0x00, 0x00]); // loop count 0 = forever
  }
  const delay = Math.min(65535, Math.max(1, Math.round(options.delayMs / 10)));
  const keys = new Int32Array(HASH_SIZE);
  const codes = new Int32Array(HASH_SIZE);
  for (const pixels of frames) {
    if (pixels.length !== width * height) throw new Error(`a frame has ${pixels.length} pixels, not ${width}×${height}`);
    out.bytes([0x21, 0xf9, 0x04, 0x04]); // graphic control: disposal 1 (leave in place), no transparency
    out.word(delay);
    out.bytes([0x00, 0x00]);
    out.byte(0x2c); // image descriptor
    out.word(0);
    out.word(0);
    out.word(width);
    out.word(height);
    out.byte(0); // no local colour table, not interlaced
    out.byte(8); // LZW minimum code size
    writeLzw(out, pixels, keys, codes);
  }
  out.byte(0x3b);
  return Buffer.from(out.result());
}
