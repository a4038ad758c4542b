import * as path from 'path';
import { ByteSource, openByteSource } from './byte-source';
import { DEFAULT_MAX_HDUS } from './constants';
import { FitsError, FitsTooLargeError, formatCount } from './fits-error';
import { streamError, walkHdus } from './hdu-reader';
import { headerValue } from './header';
import { exactIntegerKeyword, Fail, optionalNumberKeyword } from './keyword-values';
import { allocateValues, compressedImageHeader, decodeTiles, ImageDescription, layoutBytes, parseCompressedLayout, planTileReads } from './tile-compression';
import { FitsHduHeader, FitsImage, ReadFitsImageOptions } from './types';

export const DEFAULT_MAX_PIXELS = 100_000_000;
/** The byte budget's default, per pixel of the pixel budget: float64 pixels plus as much again of compressed input. */
export const DEFAULT_BYTES_PER_PIXEL = 16;

/** What one read may cost: pixels of the plane read, bytes held while decoding it. */
export interface ImageBudget {
  maxPixels: number;
  maxBytes: number;
}

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
 * data cut short, corrupt gzip or tile data, an unsupported compression. Images over the budget (`maxPixels`,
 * `maxBytes`) are refused with a FitsTooLargeError from their header, before anything is allocated and before a
 * plain file's size is checked; a gzip file is inflated no further than `maxBytes`. I/O errors propagate unchanged.
 */
export async function readFitsImage(filePath: string, options: ReadFitsImageOptions = {}): Promise<FitsImage> {
  const budget = imageBudget(options);
  const wanted = options.hdu;
  if (wanted !== undefined && (!Number.isSafeInteger(wanted) || wanted < 0)) throw new RangeError(`hdu must be a non-negative integer, got ${wanted}`);
  const chosen = (hdu: FitsHduHeader) => (wanted !== undefined ? hdu.index === wanted : isImageHdu(hdu));

  const fileName = path.basename(filePath);
  const source = await openByteSource(filePath, { maxInflatedBytes: budget.maxBytes });
  try {
    const seen: FitsHduHeader[] = [];
    const check = (hdu: FitsHduHeader) => {
      if (chosen(hdu)) checkImageBudget(hdu, fileName, budget);
    };
    for await (const hdu of walkHdus(source, fileName, wanted !== undefined ? wanted + 1 : DEFAULT_MAX_HDUS, check)) {
      seen.push(hdu);
      if (chosen(hdu)) return await readImageData(source, hdu, fileName, budget, options.sharedMemory === true);
    }
    const count = `${seen.length} HDU${seen.length === 1 ? '' : 's'}`;
    if (wanted !== undefined) throw new FitsError(`there is no HDU ${wanted} (the file has ${count})`, fileName);
    const types = seen.map((h) => `${h.type}${h.naxis.length ? ` ${h.naxis.join('x')}` : ' without data'}`).join(', ');
    throw new FitsError(`no image HDU (the file has ${count}: ${types})`, fileName);
  } finally {
    await source.close();
  }
}

/** The budget from the options, with defaults; RangeError for nonsense. */
export function imageBudget(options: Pick<ReadFitsImageOptions, 'maxPixels' | 'maxBytes'> = {}): ImageBudget {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
  const maxBytes = options.maxBytes ?? Math.min(Number.MAX_SAFE_INTEGER, maxPixels * DEFAULT_BYTES_PER_PIXEL);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  return { maxPixels, maxBytes };
}

/**
 * The pixels of the plane an image HDU holds, from its header alone (ZNAXISn for a compressed image); 0 for an
 * HDU without image data. Throws FitsError for a compressed header without valid ZNAXISn.
 */
export function imagePixels(hdu: FitsHduHeader, fileName?: string): number {
  const { shape } = imageHeaderOf(hdu, fileName);
  if (!shape.length) return 0;
  return shape[0] * (shape.length > 1 ? shape[1] : 1);
}

/**
 * Refuses, from the header alone, an image whose plane has more pixels than the budget, or whose pixels (at 4 or
 * 8 bytes each, as readFitsImage returns them) take more bytes: a FitsTooLargeError naming both numbers.
 */
export function checkImageBudget(hdu: FitsHduHeader, fileName: string, budget: ImageBudget): void {
  if (hdu.type !== 'COMPRESSED_IMAGE' && hdu.type !== 'PRIMARY' && hdu.type !== 'IMAGE') return;
  const { shape, bitpix } = imageHeaderOf(hdu, fileName);
  if (shape.length === 0) return;
  const width = shape[0];
  const height = shape.length > 1 ? shape[1] : 1;
  const pixels = width * height;
  if (pixels > budget.maxPixels) {
    throw new FitsTooLargeError(
      `image of ${width} x ${height} = ${formatCount(pixels)} pixels is over the limit of ${formatCount(budget.maxPixels)} pixels`,
      pixels,
      budget.maxPixels,
      'pixels',
      fileName,
      hdu.index,
    );
  }
  checkBytes(pixels * outputBytesPerPixel(bitpix), budget, 'its pixels', fileName, hdu.index);
}

/** Refuses `bytes` of decoding work beyond the byte budget. */
export function checkBytes(bytes: number, budget: ImageBudget, what: string, fileName: string, hdu: number): void {
  if (bytes > budget.maxBytes) {
    throw new FitsTooLargeError(
      `decoding would hold ${formatCount(bytes)} bytes for ${what}, over the limit of ${formatCount(budget.maxBytes)} bytes`,
      bytes,
      budget.maxBytes,
      'bytes',
      fileName,
      hdu,
    );
  }
}

/** Float32 for BITPIX 8, 16 and -32, Float64 for the others. */
function outputBytesPerPixel(bitpix: number): number {
  return bitpix === 8 || bitpix === 16 || bitpix === -32 ? 4 : 8;
}

/** How readImageHeader leaves the walk once it has the header it wants. */
class FoundImage extends Error {
  constructor(readonly hdu: FitsHduHeader) {
    super('found the image header');
  }
}

/**
 * The header of the HDU readFitsImage would read by default (the first with an image, see `findImageHdu`), found
 * without reading any data beyond the HDUs before it; undefined when the file has none. For checking a budget
 * before reading pixels. FitsError for a broken file, FitsTooLargeError for gzip data past `maxInflatedBytes`.
 */
export async function readImageHeader(filePath: string, options: { maxInflatedBytes?: number } = {}): Promise<FitsHduHeader | undefined> {
  const fileName = path.basename(filePath);
  const source = await openByteSource(filePath, options);
  try {
    // Stops the walk at the image's header, before its data is checked against the file's size.
    const stopAtImage = (hdu: FitsHduHeader) => {
      if (isImageHdu(hdu)) throw new FoundImage(hdu);
    };
    for await (const hdu of walkHdus(source, fileName, DEFAULT_MAX_HDUS, stopAtImage)) void hdu;
    return undefined;
  } catch (error) {
    if (error instanceof FoundImage) return error.hdu;
    throw error;
  } finally {
    await source.close();
  }
}

/** Reads the image of `hdu`; the source is positioned at the start of its data. */
async function readImageData(source: ByteSource, hdu: FitsHduHeader, fileName: string, budget: ImageBudget, shared: boolean): Promise<FitsImage> {
  const fail: Fail = (reason) => {
    throw new FitsError(reason, fileName, hdu.index);
  };
  const reader = new DataReader(source, fail, fileName, hdu.index);

  if (hdu.type === 'COMPRESSED_IMAGE') {
    const layout = parseCompressedLayout(hdu, fileName, budget.maxPixels);
    // Only the first plane's rows of the table are needed; the table and the tiles' bookkeeping count too.
    const tableBytes = layout.rowBytes * layout.planeTiles;
    checkBytes(layoutBytes(layout), budget, 'its pixels, table of tiles and scratch', fileName, hdu.index);
    const table = await reader.read(tableBytes, 'the table of tiles');
    const plan = planTileReads(layout, table);
    checkBytes(layoutBytes(layout) + plan.end - plan.start, budget, 'its pixels, table of tiles and compressed tiles', fileName, hdu.index);
    await reader.skip(layout.heapOffset - tableBytes + plan.start);
    const heap = await reader.read(plan.end - plan.start, 'the heap of compressed tiles');
    const data = decodeTiles(layout, plan.tiles, heap, plan.start, shared);
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
  checkImageBudget(hdu, fileName, budget);
  const width = hdu.naxis[0];
  const height = hdu.naxis.length > 1 ? hdu.naxis[1] : 1;

  const data = await readPixels(reader, hdu, width * height, fail, shared);
  return { file: fileName, hduIndex: hdu.index, header: hdu, bitpix: hdu.bitpix, width, height, shape: hdu.naxis, data };
}

/** Reads of the data of one HDU, with short reads and corrupt or runaway gzip data turned into FitsErrors. */
class DataReader {
  private readonly start: number;

  constructor(
    private readonly source: ByteSource,
    private readonly fail: Fail,
    private readonly fileName: string,
    private readonly hduIndex: number,
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
      throw streamError(error, this.fileName, this.hduIndex);
    }
  }
}

/** The first `count` pixels of an uncompressed image as physical values. */
async function readPixels(reader: DataReader, hdu: FitsHduHeader, count: number, fail: Fail, shared: boolean): Promise<Float32Array | Float64Array> {
  const { bitpix, cards } = hdu;
  const bscale = optionalNumberKeyword(cards, 'BSCALE', fail) ?? 1;
  const bzero = optionalNumberKeyword(cards, 'BZERO', fail) ?? 0;
  const itemSize = Math.abs(bitpix) / 8;

  if (bitpix < 0) {
    const out = await readFloats(reader, bitpix, count, shared);
    if (bscale !== 1 || bzero !== 0) {
      for (let k = 0; k < count; k++) out[k] = out[k] * bscale + bzero;
    }
    return out;
  }

  const out = allocateValues(bitpix === 8 || bitpix === 16, count, shared);
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
async function readFloats(reader: DataReader, bitpix: number, count: number, shared: boolean): Promise<Float32Array | Float64Array> {
  const single = bitpix === -32;
  const byteCount = count * (single ? 4 : 8);
  let bytes: Buffer;
  if (shared) {
    const out = allocateValues(single, count, true);
    bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    for (let done = 0; done < byteCount; done += CHUNK_BYTES) {
      bytes.set(await reader.read(Math.min(CHUNK_BYTES, byteCount - done), 'the image data'), done);
    }
  } else if (!reader.compressed) {
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
