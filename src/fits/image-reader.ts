import * as path from 'path';
import { ByteSource, CorruptStreamError, openByteSource } from './byte-source';
import { DEFAULT_MAX_HDUS } from './constants';
import { FitsError } from './fits-error';
import { walkHdus } from './hdu-reader';
import { headerValue } from './header';
import { exactIntegerKeyword, Fail, optionalNumberKeyword } from './keyword-values';
import { compressedImageHeader, decodeTiles, ImageDescription, parseCompressedLayout, planTileReads } from './tile-compression';
import { FitsHduHeader, FitsImage, ReadFitsImageOptions } from './types';

export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Raw bytes converted per read for integer images (a multiple of 8). */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The first HDU holding an image of two or more axes: a primary array or IMAGE extension with NAXIS >= 2 and no
 * empty axis, or a tile-compressed image (BINTABLE with ZIMAGE = T). Undefined when there is none.
 */
export function findImageHdu(headers: FitsHduHeader[]): FitsHduHeader | undefined {
  return headers.find(isImageHdu);
}

function isImageHdu(hdu: FitsHduHeader): boolean {
  if (hdu.type === 'COMPRESSED_IMAGE') return true;
  return (hdu.type === 'PRIMARY' || hdu.type === 'IMAGE') && hdu.naxis.length >= 2 && hdu.naxis.every((n) => n > 0);
}

/**
 * BITPIX, shape and header cards of the image an HDU holds, without reading data. For a tile-compressed HDU
 * those of the compressed image (ZBITPIX, ZNAXISn, the header rewritten as the image's own: see
 * `compressedImageHeader`); for any other HDU its own BITPIX, NAXISn and cards. Throws FitsError for a compressed
 * HDU whose ZBITPIX / ZNAXIS / ZNAXISn are missing or invalid (`fileName` is used in the message).
 */
export function imageHeaderOf(hdu: FitsHduHeader, fileName?: string): ImageDescription {
  if (hdu.type === 'COMPRESSED_IMAGE') return compressedImageHeader(hdu, fileName);
  return { bitpix: hdu.bitpix, shape: hdu.naxis, cards: hdu.cards };
}

/**
 * Reads the pixels of one image HDU as physical values (see FitsImage): of `options.hdu`, or of the first HDU
 * `findImageHdu` would choose. Plain files are read with positioned reads of that HDU's data only; gzip files
 * are decompressed as a stream up to the end of the image. Only the first plane of a cube is read. Tile-compressed
 * images are decompressed (RICE_1, GZIP_1, GZIP_2, NOCOMPRESS; quantised floats with or without dithering).
 *
 * Throws FitsError (naming file, HDU and the problem) for: no image HDU, no such HDU, an HDU that holds no image,
 * data cut short, corrupt gzip or tile data, an unsupported compression, and images beyond `maxPixels` (checked
 * before allocating; plain files are also checked against their size first). I/O errors propagate unchanged.
 */
export async function readFitsImage(filePath: string, options: ReadFitsImageOptions = {}): Promise<FitsImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
  const wanted = options.hdu;
  if (wanted !== undefined && (!Number.isSafeInteger(wanted) || wanted < 0)) throw new RangeError(`hdu must be a non-negative integer, got ${wanted}`);

  const fileName = path.basename(filePath);
  const source = await openByteSource(filePath);
  try {
    const seen: FitsHduHeader[] = [];
    for await (const hdu of walkHdus(source, fileName, wanted !== undefined ? wanted + 1 : DEFAULT_MAX_HDUS)) {
      seen.push(hdu);
      if (wanted !== undefined ? hdu.index === wanted : isImageHdu(hdu)) return await readImageData(source, hdu, fileName, maxPixels);
    }
    const count = `${seen.length} HDU${seen.length === 1 ? '' : 's'}`;
    if (wanted !== undefined) throw new FitsError(`there is no HDU ${wanted} (the file has ${count})`, fileName);
    const types = seen.map((h) => `${h.type}${h.naxis.length ? ` ${h.naxis.join('x')}` : ' without data'}`).join(', ');
    throw new FitsError(`no image HDU (the file has ${count}: ${types})`, fileName);
  } finally {
    await source.close();
  }
}

/** Reads the image of `hdu`; the source is positioned at the start of its data. */
async function readImageData(source: ByteSource, hdu: FitsHduHeader, fileName: string, maxPixels: number): Promise<FitsImage> {
  const fail: Fail = (reason) => {
    throw new FitsError(reason, fileName, hdu.index);
  };
  const reader = new DataReader(source, fail);

  if (hdu.type === 'COMPRESSED_IMAGE') {
    const layout = parseCompressedLayout(hdu, fileName, maxPixels);
    const tableBytes = layout.rowBytes * layout.rows;
    const table = await reader.read(tableBytes, 'the table of tiles');
    const plan = planTileReads(layout, table);
    await reader.skip(layout.heapOffset - tableBytes + plan.start);
    const heap = await reader.read(plan.end - plan.start, 'the heap of compressed tiles');
    const data = decodeTiles(layout, plan.tiles, heap, plan.start);
    const image = compressedImageHeader(hdu, fileName);
    const header: FitsHduHeader = { ...hdu, cards: image.cards, bitpix: image.bitpix, naxis: image.shape };
    return { file: fileName, hduIndex: hdu.index, header, bitpix: image.bitpix, width: layout.width, height: layout.height, shape: image.shape, data };
  }

  if (hdu.type !== 'PRIMARY' && hdu.type !== 'IMAGE') {
    fail(hdu.type === 'UNKNOWN' ? 'not an image: an extension of unknown type' : `not an image: a ${hdu.type} extension`);
  }
  if (hdu.naxis.length === 0) fail('no image data (NAXIS = 0)');
  if (hdu.type === 'PRIMARY' && headerValue(hdu.cards, 'GROUPS') === true && hdu.naxis[0] === 0) fail('random-groups data, not an image');
  const empty = hdu.naxis.findIndex((n) => n === 0);
  if (empty >= 0) fail(`the image has no pixels (NAXIS${empty + 1} = 0)`);
  const width = hdu.naxis[0];
  const height = hdu.naxis.length > 1 ? hdu.naxis[1] : 1;
  if (width * height > maxPixels) fail(`image of ${width} x ${height} pixels is larger than the limit of ${maxPixels} pixels`);

  const data = await readPixels(reader, hdu, width * height, fail);
  return { file: fileName, hduIndex: hdu.index, header: hdu, bitpix: hdu.bitpix, width, height, shape: hdu.naxis, data };
}

/** Reads of the data of one HDU, with short reads and corrupt gzip data turned into FitsErrors. */
class DataReader {
  private readonly start: number;

  constructor(
    private readonly source: ByteSource,
    private readonly fail: Fail,
  ) {
    this.start = source.position;
  }

  get compressed(): boolean {
    return this.source.compression !== 'none';
  }

  /** Exactly `length` bytes, or a FitsError saying the data is cut short. */
  async read(length: number, what: string): Promise<Buffer> {
    const buffer = await this.guard(() => this.source.read(length));
    if (buffer.length < length) {
      this.fail(`data runs past end of file: ${what} needs ${length} bytes from byte ${this.source.position - buffer.length - this.start} of the data, the file has ${buffer.length}`);
    }
    return buffer;
  }

  async skip(length: number): Promise<void> {
    const skipped = await this.guard(() => this.source.skip(length));
    if (skipped < length) this.fail(`data runs past end of file: it ends ${this.source.position - this.start} bytes into the data`);
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof CorruptStreamError) this.fail(error.message);
      throw error;
    }
  }
}

/** The first `count` pixels of an uncompressed image as physical values. */
async function readPixels(reader: DataReader, hdu: FitsHduHeader, count: number, fail: Fail): Promise<Float32Array | Float64Array> {
  const { bitpix, cards } = hdu;
  const bscale = optionalNumberKeyword(cards, 'BSCALE', fail) ?? 1;
  const bzero = optionalNumberKeyword(cards, 'BZERO', fail) ?? 0;
  const itemSize = Math.abs(bitpix) / 8;

  if (bitpix < 0) {
    const out = await readFloats(reader, bitpix, count);
    if (bscale !== 1 || bzero !== 0) {
      for (let k = 0; k < count; k++) out[k] = out[k] * bscale + bzero;
    }
    return out;
  }

  const out = bitpix === 8 || bitpix === 16 ? new Float32Array(count) : new Float64Array(count);
  // BLANK: integer images only; for 64-bit compared exactly as high and low 32-bit words
  const exactBlank = exactIntegerKeyword(cards, 'BLANK', fail);
  const convert = integerConverter(bitpix, bscale, bzero, exactBlank);
  const chunkPixels = CHUNK_BYTES / itemSize;
  let scratch: Buffer | undefined;
  for (let done = 0; done < count; done += chunkPixels) {
    const n = Math.min(chunkPixels, count - done);
    let bytes = await reader.read(n * itemSize, 'the image data');
    if (bytes.byteOffset % 8 !== 0) {
      scratch ??= Buffer.allocUnsafeSlow(CHUNK_BYTES);
      bytes = scratch.subarray(0, bytes.copy(scratch));
    }
    convert(bytes, n, out, done);
  }
  return out;
}

/** Reads `count` big-endian floats and swaps them in place to native order. */
async function readFloats(reader: DataReader, bitpix: number, count: number): Promise<Float32Array | Float64Array> {
  const single = bitpix === -32;
  const byteCount = count * (single ? 4 : 8);
  let bytes: Buffer;
  if (!reader.compressed) {
    // one positioned read; when aligned (as a fresh buffer is), its memory becomes the output
    bytes = await reader.read(byteCount, 'the image data');
    if (bytes.byteOffset % 8 !== 0) {
      const copy = Buffer.allocUnsafeSlow(bytes.length);
      bytes = copy.subarray(0, bytes.copy(copy));
    }
  } else {
    bytes = Buffer.alloc(byteCount);
    for (let done = 0; done < byteCount; done += CHUNK_BYTES) {
      bytes.set(await reader.read(Math.min(CHUNK_BYTES, byteCount - done), 'the image data'), done);
    }
  }
  if (single) return new Float32Array(bytes.swap32().buffer, bytes.byteOffset, count);
  return new Float64Array(bytes.swap64().buffer, bytes.byteOffset, count);
}

type Converter = (bytes: Buffer, count: number, out: Float32Array | Float64Array, offset: number) => void;

/**
 * Converts a chunk of big-endian integers (an 8-byte aligned buffer, swapped in place) to physical values:
 * value * BSCALE + BZERO in double precision, BLANK -> NaN.
 */
function integerConverter(bitpix: number, bscale: number, bzero: number, exactBlank: bigint | undefined): Converter {
  const blank = exactBlank === undefined ? undefined : Number(exactBlank);
  switch (bitpix) {
    case 8:
      return (bytes, count, out, offset) => scaleIntegers(bytes, count, out, offset, bscale, bzero, blank);
    case 16:
      return (bytes, count, out, offset) => scaleIntegers(new Int16Array(bytes.swap16().buffer, bytes.byteOffset, count), count, out, offset, bscale, bzero, blank);
    case 32:
      return (bytes, count, out, offset) => scaleIntegers(new Int32Array(bytes.swap32().buffer, bytes.byteOffset, count), count, out, offset, bscale, bzero, blank);
    default: {
      const blankHigh = exactBlank === undefined ? NaN : Number(BigInt.asIntN(64, exactBlank) >> 32n);
      const blankLow = exactBlank === undefined ? NaN : Number(BigInt.asUintN(32, exactBlank));
      return (bytes, count, out, offset) => {
        bytes.swap64();
        const high = new Int32Array(bytes.buffer, bytes.byteOffset, count * 2);
        const low = new Uint32Array(bytes.buffer, bytes.byteOffset, count * 2);
        for (let k = 0; k < count; k++) {
          const hi = high[2 * k + 1];
          const lo = low[2 * k];
          out[offset + k] = hi === blankHigh && lo === blankLow ? NaN : (hi * 4294967296 + lo) * bscale + bzero;
        }
      };
    }
  }
}

function scaleIntegers(
  values: Uint8Array | Int16Array | Int32Array,
  count: number,
  out: Float32Array | Float64Array,
  offset: number,
  bscale: number,
  bzero: number,
  blank: number | undefined,
): void {
  if (blank === undefined) {
    for (let k = 0; k < count; k++) out[offset + k] = values[k] * bscale + bzero;
  } else {
    for (let k = 0; k < count; k++) {
      const v = values[k];
      out[offset + k] = v === blank ? NaN : v * bscale + bzero;
    }
  }
}
