import * as zlib from 'zlib';
import { FitsError, FitsTooLargeError, formatCount } from './fits-error';
import { headerValue } from './header';
import { Fail, integerKeyword, optionalNumberKeyword } from './keyword-values';
import { NULL_VALUE, QUANTIZE_METHODS, QuantizeMethod, unquantize } from './quantization';
import { riceDecompress, RiceError } from './rice';
import { FitsCard, FitsHduHeader } from './types';

/**
 * Tile-compressed images (the FITS tiled image convention): a BINTABLE with ZIMAGE = T whose rows are the tiles
 * of the image, in order with the first axis fastest. The image is described by ZBITPIX, ZNAXIS, ZNAXISn; tiles
 * are ZTILEn pixels (default: whole rows), the edge tiles smaller. Each row holds the compressed bytes of its tile
 * in the COMPRESSED_DATA column, a variable-length array (1PB/1PI/1PJ, or 1Q. with 64-bit descriptors) that
 * points into the heap (starting THEAP bytes after the table data, default NAXIS1 * NAXIS2). Floating-point
 * images are usually quantised to integers (ZSCALE / ZZERO columns or keywords, ZQUANTIZ, ZDITHER0); tiles that
 * could not be quantised are stored losslessly in GZIP_COMPRESSED_DATA (gzip of the raw floats) or
 * UNCOMPRESSED_DATA instead, with an empty COMPRESSED_DATA entry. Null pixels: ZBLANK column or keyword (BLANK for
 * integer images); for quantised floats also the reference implementation's -2147483647.
 *
 * Supported algorithms: RICE_1 (alias RICE_ONE; ZNAMEi/ZVALi BLOCKSIZE default 32, BYTEPIX default 4), GZIP_1,
 * GZIP_2 (bytes shuffled by significance before gzip), NOCOMPRESS. Only the tiles of the first image plane are
 * read and decoded.
 */

export const SUPPORTED_ALGORITHMS = ['RICE_1', 'GZIP_1', 'GZIP_2', 'NOCOMPRESS'] as const;
export type TileAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const VALID_BITPIX = new Set([8, 16, 32, 64, -32, -64]);
const MAX_AXES = 999;
const TABLE_KEYWORD = /^(TTYPE|TFORM|TUNIT|TNULL|TSCAL|TZERO|TDISP|TBCOL|TDIM|TCTYP|TCUNI|TCRPX|TCRVL|TCDLT|TRPOS)\d+$/;
/** Keywords of the original image header stored under another name, and their image names. */
const RENAMED: Record<string, string> = { ZEXTEND: 'EXTEND', ZBLOCKED: 'BLOCKED', ZHECKSUM: 'CHECKSUM', ZDATASUM: 'DATASUM' };

/** The image an HDU holds, as its own header describes it. */
export interface ImageDescription {
  bitpix: number;
  /** [NAXIS1, NAXIS2, ...] */
  shape: number[];
  cards: FitsCard[];
}

/**
 * The header of the image inside a compressed HDU, as the reference library (astropy) presents it: SIMPLE = T
 * (when ZSIMPLE is there, without PCOUNT/GCOUNT) or XTENSION = 'IMAGE' first, then BITPIX = ZBITPIX, NAXIS = ZNAXIS,
 * NAXISn = ZNAXISn, PCOUNT = ZPCOUNT or 0, GCOUNT = ZGCOUNT or 1; ZEXTEND, ZBLOCKED, ZHECKSUM and ZDATASUM
 * become EXTEND, BLOCKED, CHECKSUM and DATASUM. The table's own keywords (TFIELDS, THEAP, TTYPEn, TFORMn...,
 * its CHECKSUM/DATASUM, EXTNAME = 'COMPRESSED_IMAGE') are dropped; everything else stays in order, including
 * the compression keywords (ZIMAGE, ZCMPTYPE, ZTILEn, ZNAMEi/ZVALi, ZQUANTIZ, ZDITHER0...) and WCS keywords.
 */
export function compressedImageHeader(hdu: FitsHduHeader, fileName?: string): ImageDescription {
  const cards = hdu.cards;
  const fail = (reason: string): never => {
    throw new FitsError(reason, fileName, hdu.index);
  };
  const bitpix = integerKeyword(cards, 'ZBITPIX', fail);
  if (!VALID_BITPIX.has(bitpix)) fail(`invalid ZBITPIX = ${bitpix} (must be 8, 16, 32, 64, -32 or -64)`);
  const axes = integerKeyword(cards, 'ZNAXIS', fail);
  if (axes < 0 || axes > MAX_AXES) fail(`invalid ZNAXIS = ${axes} (must be 0 to ${MAX_AXES})`);
  const shape: number[] = [];
  for (let n = 1; n <= axes; n++) {
    const length = integerKeyword(cards, `ZNAXIS${n}`, fail);
    if (length < 0) fail(`invalid ZNAXIS${n} = ${length} (must not be negative)`);
    shape.push(length);
  }

  const find = (keyword: string) => cards.find((c) => c.keyword.toUpperCase() === keyword);
  const renamed = (card: FitsCard, keyword: string): FitsCard => ({ ...card, keyword, raw: keyword.padEnd(8) + card.raw.slice(8) });
  const zsimple = find('ZSIMPLE');
  const ztension = find('ZTENSION');

  const head: FitsCard[] = [];
  if (zsimple) head.push(renamed(zsimple, 'SIMPLE'));
  else head.push(makeCard('XTENSION', 'IMAGE', ztension?.comment || 'image extension'));
  head.push(renamed(find('ZBITPIX') as FitsCard, 'BITPIX'));
  head.push(renamed(find('ZNAXIS') as FitsCard, 'NAXIS'));
  for (let n = 1; n <= axes; n++) head.push(renamed(find(`ZNAXIS${n}`) as FitsCard, `NAXIS${n}`));
  if (!zsimple) {
    const zpcount = find('ZPCOUNT');
    const zgcount = find('ZGCOUNT');
    head.push(zpcount ? renamed(zpcount, 'PCOUNT') : makeCard('PCOUNT', 0, 'number of parameters'));
    head.push(zgcount ? renamed(zgcount, 'GCOUNT') : makeCard('GCOUNT', 1, 'number of groups'));
  }

  const dropped = new Set(['SIMPLE', 'XTENSION', 'BITPIX', 'NAXIS', 'PCOUNT', 'GCOUNT', 'TFIELDS', 'THEAP', 'CHECKSUM', 'DATASUM']);
  const consumed = new Set(['ZSIMPLE', 'ZTENSION', 'ZBITPIX', 'ZNAXIS', 'ZPCOUNT', 'ZGCOUNT']);
  const rest: FitsCard[] = [];
  for (const card of cards) {
    const keyword = card.keyword.toUpperCase();
    if (dropped.has(keyword) || consumed.has(keyword) || TABLE_KEYWORD.test(keyword)) continue;
    if (/^Z?NAXIS\d+$/.test(keyword)) continue;
    if (keyword === 'EXTNAME' && typeof card.value === 'string' && card.value.trim() === 'COMPRESSED_IMAGE') continue;
    rest.push(RENAMED[keyword] ? renamed(card, RENAMED[keyword]) : card);
  }
  return { bitpix, shape, cards: [...head, ...rest] };
}

/** An 80-character card for a generated keyword (fixed format). */
function makeCard(keyword: string, value: string | number | boolean, comment: string): FitsCard {
  let text: string;
  if (typeof value === 'string') text = `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
  else if (typeof value === 'boolean') text = (value ? 'T' : 'F').padStart(20);
  else text = String(value).padStart(20);
  const raw = `${keyword.padEnd(8)}= ${text}${comment ? ` / ${comment}` : ''}`.slice(0, 80).padEnd(80);
  return { keyword, value, comment, raw };
}

/** One column of the table: where it lies in a row and what it holds. */
interface Column {
  name: string;
  /** Byte offset in the row. */
  offset: number;
  /** The data type letter (for a descriptor: of the array elements). */
  type: string;
  /** 'P' or 'Q' for a variable-length array descriptor. */
  descriptor?: 'P' | 'Q';
}

const TYPE_SIZES: Record<string, number> = { L: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16 };

/** Everything needed to decode the first plane of a compressed image, from the header alone. */
export interface CompressedLayout {
  fileName: string;
  hduIndex: number;
  bitpix: number;
  shape: number[];
  width: number;
  height: number;
  /** ZTILEn for every axis. */
  tile: number[];
  /** Number of tiles along each axis. */
  grid: number[];
  /** Tiles holding the first plane: rows 0 to planeTiles - 1. */
  planeTiles: number;
  /** Pixels of the biggest tile (all its planes). */
  maxTilePixels: number;
  algorithm: TileAlgorithm;
  blockSize: number;
  bytePix: number;
  quantized: boolean;
  quantize: QuantizeMethod;
  zdither0: number;
  rowBytes: number;
  rows: number;
  /** Offset of the heap from the start of the data. */
  heapOffset: number;
  heapSize: number;
  columns: { data: Column; gzipData?: Column; uncompressed?: Column; zscale?: Column; zzero?: Column; zblank?: Column };
  zscale?: number;
  zzero?: number;
  /** ZBLANK keyword, or for integer images BLANK. */
  blank?: number;
  bscale: number;
  bzero: number;
}

/**
 * Reads and checks the compression keywords and the table layout of a compressed HDU. Refuses unsupported
 * algorithms and quantisation methods, inconsistent tiling, and an image or tile beyond `maxPixels`, before any
 * data is read.
 */
export function parseCompressedLayout(hdu: FitsHduHeader, fileName: string, maxPixels: number): CompressedLayout {
  const cards = hdu.cards;
  const fail = (reason: string): never => {
    throw new FitsError(reason, fileName, hdu.index);
  };
  const { bitpix, shape } = compressedImageHeader(hdu, fileName);
  if (shape.length === 0) fail('the compressed image has no axes (ZNAXIS = 0)');
  const zeroAxis = shape.findIndex((n) => n === 0);
  if (zeroAxis >= 0) fail(`the compressed image has no pixels (ZNAXIS${zeroAxis + 1} = 0)`);
  const width = shape[0];
  const height = shape.length > 1 ? shape[1] : 1;
  const tooLarge = (reason: string, pixels: number): never => {
    throw new FitsTooLargeError(reason, pixels, maxPixels, 'pixels', fileName, hdu.index);
  };
  if (width * height > maxPixels) {
    tooLarge(`image of ${width} x ${height} = ${formatCount(width * height)} pixels is over the limit of ${formatCount(maxPixels)} pixels`, width * height);
  }

  const algorithmName = headerValue(cards, 'ZCMPTYPE');
  if (typeof algorithmName !== 'string' || !algorithmName.trim()) fail('missing ZCMPTYPE keyword (the compression algorithm)');
  let name = (algorithmName as string).trim().toUpperCase();
  if (name === 'RICE_ONE') name = 'RICE_1';
  if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(name)) {
    fail(`${name} tile compression is not supported (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`);
  }
  const algorithm = name as TileAlgorithm;

  // tiling
  const tile: number[] = [];
  const grid: number[] = [];
  let tileCount = 1;
  let maxTilePixels = 1;
  for (let n = 1; n <= shape.length; n++) {
    const given = headerValue(cards, `ZTILE${n}`);
    const size = given === undefined ? (n === 1 ? shape[0] : 1) : integerKeyword(cards, `ZTILE${n}`, fail);
    if (size < 1) fail(`invalid ZTILE${n} = ${size} (must be at least 1)`);
    tile.push(size);
    grid.push(Math.ceil(shape[n - 1] / size));
    tileCount *= grid[n - 1];
    maxTilePixels *= Math.min(size, shape[n - 1]);
    if (tileCount > maxPixels) tooLarge(`${tileCount > Number.MAX_SAFE_INTEGER ? 'too many' : formatCount(tileCount)} tiles: more than the limit of ${formatCount(maxPixels)} pixels`, tileCount);
    if (maxTilePixels > maxPixels) tooLarge(`tiles of ${tile.join(' x ')} pixels are over the limit of ${formatCount(maxPixels)} pixels`, maxTilePixels);
  }
  const planeTiles = grid[0] * (grid.length > 1 ? grid[1] : 1);

  // algorithm parameters
  let blockSize = 32;
  let bytePix = 4;
  for (let i = 1; i <= MAX_AXES; i++) {
    const parameter = headerValue(cards, `ZNAME${i}`);
    if (parameter === undefined) break;
    const key = typeof parameter === 'string' ? parameter.trim().toUpperCase() : '';
    if (key === 'BLOCKSIZE') blockSize = integerKeyword(cards, `ZVAL${i}`, fail);
    if (key === 'BYTEPIX') bytePix = integerKeyword(cards, `ZVAL${i}`, fail);
  }
  if (algorithm === 'RICE_1') {
    if (blockSize < 1) fail(`invalid RICE_1 BLOCKSIZE = ${blockSize}`);
    if (![1, 2, 4].includes(bytePix)) fail(`RICE_1 with BYTEPIX = ${bytePix} is not supported (must be 1, 2 or 4)`);
  }

  // table layout
  const [rowBytes, rows] = hdu.naxis;
  if (hdu.naxis.length !== 2) fail(`a compressed image table must have NAXIS = 2, not ${hdu.naxis.length}`);
  if (rows !== tileCount) fail(`the table has ${rows} rows but the image has ${tileCount} tiles of ${tile.join(' x ')} pixels`);
  const columns = tableColumns(cards, rowBytes, fail);
  const data = columns.get('COMPRESSED_DATA');
  if (!data) fail('no COMPRESSED_DATA column');
  if (!data?.descriptor) fail('the COMPRESSED_DATA column is not a variable-length array');
  const optionalArray = (label: string) => {
    const column = columns.get(label);
    if (column && !column.descriptor) fail(`the ${label} column is not a variable-length array`);
    return column;
  };
  const optionalScalar = (label: string) => {
    const column = columns.get(label);
    if (column && (column.descriptor || !'BIJKED'.includes(column.type))) fail(`the ${label} column is not numeric`);
    return column;
  };

  const tableBytes = rowBytes * rows;
  const theap = headerValue(cards, 'THEAP') === undefined ? tableBytes : integerKeyword(cards, 'THEAP', fail);
  if (theap < tableBytes || theap > hdu.dataSize) {
    fail(`invalid THEAP = ${theap} (the table takes ${tableBytes} bytes, the data ${hdu.dataSize})`);
  }

  // quantisation and null values
  const zscaleColumn = optionalScalar('ZSCALE');
  const zzeroColumn = optionalScalar('ZZERO');
  const zscale = optionalNumberKeyword(cards, 'ZSCALE', fail);
  const zzero = optionalNumberKeyword(cards, 'ZZERO', fail);
  const quantized = bitpix < 0 && (zscaleColumn !== undefined || zscale !== undefined);
  let quantize: QuantizeMethod = 'NO_DITHER';
  let zdither0 = 1;
  if (quantized) {
    const method = headerValue(cards, 'ZQUANTIZ');
    const methodName = typeof method === 'string' ? method.trim().toUpperCase() : method === undefined ? 'NO_DITHER' : String(method);
    if (methodName === 'NONE' || methodName === 'NO_DITHER') quantize = 'NO_DITHER';
    else if ((QUANTIZE_METHODS as readonly string[]).includes(methodName)) quantize = methodName as QuantizeMethod;
    else fail(`ZQUANTIZ = '${methodName}' is not supported (supported: ${QUANTIZE_METHODS.join(', ')})`);
    if (quantize !== 'NO_DITHER' && headerValue(cards, 'ZDITHER0') !== undefined) {
      zdither0 = integerKeyword(cards, 'ZDITHER0', fail);
      if (zdither0 < 1 || zdither0 > 10000) fail(`invalid ZDITHER0 = ${zdither0} (must be 1 to 10000)`);
    }
    if (zzeroColumn === undefined && zzero === undefined) fail('quantised image without ZZERO column or keyword');
  }
  const zblankKeyword = optionalNumberKeyword(cards, 'ZBLANK', fail);
  const blankKeyword = bitpix > 0 ? optionalNumberKeyword(cards, 'BLANK', fail) : undefined;
  const bscale = optionalNumberKeyword(cards, 'BSCALE', fail) ?? 1;
  const bzero = optionalNumberKeyword(cards, 'BZERO', fail) ?? 0;

  return {
    fileName,
    hduIndex: hdu.index,
    bitpix,
    shape,
    width,
    height,
    tile,
    grid,
    planeTiles,
    maxTilePixels,
    algorithm,
    blockSize,
    bytePix,
    quantized,
    quantize,
    zdither0,
    rowBytes,
    rows,
    heapOffset: theap,
    heapSize: hdu.dataSize - theap,
    columns: {
      data: data as Column,
      gzipData: optionalArray('GZIP_COMPRESSED_DATA'),
      uncompressed: optionalArray('UNCOMPRESSED_DATA'),
      zscale: zscaleColumn,
      zzero: zzeroColumn,
      zblank: optionalScalar('ZBLANK'),
    },
    zscale,
    zzero,
    blank: zblankKeyword ?? blankKeyword,
    bscale,
    bzero,
  };
}

/** Column positions from TFIELDS / TTYPEn / TFORMn; checks that they add up to the row width. */
function tableColumns(cards: FitsCard[], rowBytes: number, fail: Fail): Map<string, Column> {
  const fields = integerKeyword(cards, 'TFIELDS', fail);
  if (fields < 0 || fields > MAX_AXES) fail(`invalid TFIELDS = ${fields}`);
  const columns = new Map<string, Column>();
  let offset = 0;
  for (let n = 1; n <= fields; n++) {
    const form = headerValue(cards, `TFORM${n}`);
    if (typeof form !== 'string') fail(`missing TFORM${n} keyword`);
    const match = /^\s*(\d*)([LXBIJKAEDCMPQ])(.*)$/i.exec(form as string);
    if (!match) fail(`invalid TFORM${n} = '${form}'`);
    const [, repeatText, letter, rest] = match as RegExpExecArray;
    const repeat = repeatText === '' ? 1 : Number(repeatText);
    const code = letter.toUpperCase();
    let width: number;
    let column: Column | undefined;
    const label = headerValue(cards, `TTYPE${n}`);
    const name = typeof label === 'string' ? label.trim().toUpperCase() : '';
    if (code === 'P' || code === 'Q') {
      const element = rest.trim().charAt(0).toUpperCase();
      if (!TYPE_SIZES[element]) fail(`invalid TFORM${n} = '${form}'`);
      if (repeat > 1) fail(`invalid TFORM${n} = '${form}' (a descriptor repeat count must be 0 or 1)`);
      width = repeat * (code === 'P' ? 8 : 16);
      if (repeat === 1) column = { name, offset, type: element, descriptor: code };
    } else if (code === 'X') {
      width = Math.ceil(repeat / 8);
    } else {
      width = repeat * TYPE_SIZES[code];
      if (repeat >= 1) column = { name, offset, type: code };
    }
    if (column && name && !columns.has(name)) columns.set(name, column);
    offset += width;
  }
  if (offset !== rowBytes) fail(`the columns take ${offset} bytes per row but NAXIS1 = ${rowBytes}`);
  return columns;
}

/** Where one tile's bytes lie and how to read them. */
export interface TileEntry {
  /** Zero-based tile (table row) index. */
  index: number;
  source: 'compressed' | 'gzip' | 'uncompressed';
  /** Byte range in the heap. */
  start: number;
  length: number;
  /** Element type of the array (for UNCOMPRESSED_DATA). */
  type: string;
  zscale?: number;
  zzero?: number;
  zblank?: number;
}

/**
 * Reads the table rows of the first plane's tiles: which array holds each tile and where it lies in the heap
 * (every range is checked to lie inside the heap), and the per-tile ZSCALE / ZZERO / ZBLANK. `start` and `end`
 * bound the heap bytes that need to be read.
 */
export function planTileReads(layout: CompressedLayout, table: Buffer): { tiles: TileEntry[]; start: number; end: number } {
  const fail = (reason: string): never => {
    throw new FitsError(reason, layout.fileName, layout.hduIndex);
  };
  const { columns, rowBytes, heapSize } = layout;
  const tiles: TileEntry[] = [];
  let start = Infinity;
  let end = 0;
  let pixels = 0;
  for (let index = 0; index < layout.planeTiles; index++) {
    const row = index * rowBytes;
    let source: TileEntry['source'] = 'compressed';
    let column = columns.data;
    let [count, offset] = readDescriptor(table, row, column);
    if (count === 0 && columns.gzipData) {
      source = 'gzip';
      column = columns.gzipData;
      [count, offset] = readDescriptor(table, row, column);
    }
    if (count === 0 && columns.uncompressed) {
      source = 'uncompressed';
      column = columns.uncompressed;
      [count, offset] = readDescriptor(table, row, column);
    }
    if (count === 0) fail(`tile ${index + 1} is empty: no data in ${[columns.data, columns.gzipData, columns.uncompressed].filter((c) => c).map((c) => c?.name).join(' or ')}`);
    const length = count * TYPE_SIZES[column.type];
    if (!Number.isSafeInteger(offset + length) || offset + length > heapSize) {
      fail(`tile ${index + 1}: heap descriptor of ${column.name} (${length} bytes at offset ${offset}) points outside the heap of ${heapSize} bytes`);
    }
    const entry: TileEntry = { index, source, start: offset, length, type: column.type };
    if (columns.zscale) entry.zscale = readScalar(table, row, columns.zscale);
    if (columns.zzero) entry.zzero = readScalar(table, row, columns.zzero);
    if (columns.zblank) entry.zblank = readScalar(table, row, columns.zblank);
    tiles.push(entry);
    if (length > 0) {
      start = Math.min(start, offset);
      end = Math.max(end, offset + length);
    }
    pixels += tilePixels(layout, index).total;
  }
  if (end === 0) start = 0;
  // Compressed tiles are never much bigger than raw pixels (at most 8 bytes each): refuse absurd descriptors
  // before reading (for gzip files, where the size is unknown, the read itself would otherwise be the check).
  if (end - start > pixels * 16 + 1024 * 1024) {
    fail(`the tiles' heap descriptors span ${end - start} bytes for ${pixels} pixels: corrupt table`);
  }
  return { tiles, start, end };
}

function readDescriptor(table: Buffer, row: number, column: Column): [number, number] {
  if (column.descriptor === 'P') return [table.readUInt32BE(row + column.offset), table.readUInt32BE(row + column.offset + 4)];
  const count = table.readBigInt64BE(row + column.offset);
  const offset = table.readBigInt64BE(row + column.offset + 8);
  const safe = (n: bigint) => (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n));
  return [safe(count), safe(offset)];
}

function readScalar(table: Buffer, row: number, column: Column): number {
  const at = row + column.offset;
  switch (column.type) {
    case 'B':
      return table.readUInt8(at);
    case 'I':
      return table.readInt16BE(at);
    case 'J':
      return table.readInt32BE(at);
    case 'K':
      return Number(table.readBigInt64BE(at));
    case 'E':
      return table.readFloatBE(at);
    default:
      return table.readDoubleBE(at);
  }
}

/** Extent of a tile: in x and y (its first plane) and all its pixels. */
function tilePixels(layout: CompressedLayout, index: number): { x0: number; y0: number; width: number; height: number; total: number } {
  const { tile, grid, shape } = layout;
  const gx = index % grid[0];
  const gy = Math.floor(index / grid[0]);
  const x0 = gx * tile[0];
  const y0 = shape.length > 1 ? gy * tile[1] : 0;
  const width = Math.min(tile[0], shape[0] - x0);
  const height = shape.length > 1 ? Math.min(tile[1], shape[1] - y0) : 1;
  let total = width * height;
  for (let n = 2; n < shape.length; n++) total *= Math.min(tile[n], shape[n]);
  return { x0, y0, width, height, total };
}

/** A Float32Array (`single`) or Float64Array of `count` values, in a SharedArrayBuffer when `shared`. */
export function allocateValues(single: boolean, count: number, shared: boolean): Float32Array | Float64Array {
  const size = single ? 4 : 8;
  if (!shared) return single ? new Float32Array(count) : new Float64Array(count);
  const buffer = new SharedArrayBuffer(count * size);
  return single ? new Float32Array(buffer) : new Float64Array(buffer);
}

/** Bytes of bookkeeping per tile while decoding (its TileEntry), a generous estimate. */
const TILE_ENTRY_BYTES = 128;

/**
 * Bytes per pixel of the biggest tile held while it is decoded, besides the tile scratch: the inflated bytes, a
 * copy in native order and (GZIP_2) the unshuffled bytes, at most 8 bytes per value each.
 */
const TILE_WORK_BYTES: Record<TileAlgorithm, number> = { RICE_1: 0, GZIP_1: 16, GZIP_2: 24, NOCOMPRESS: 8 };

/**
 * Bytes decoding the first plane holds before reading the compressed tiles, known from the header alone: the
 * pixels, the plane's rows of the table, a record per tile, and the biggest tile's scratch and working copies.
 */
export function layoutBytes(layout: CompressedLayout): number {
  const valueBytes = layout.bitpix === 8 || layout.bitpix === 16 || layout.bitpix === -32 ? 4 : 8;
  const pixels = layout.width * layout.height * valueBytes;
  const table = layout.planeTiles * (layout.rowBytes + TILE_ENTRY_BYTES);
  const tile = layout.maxTilePixels * (4 + valueBytes + TILE_WORK_BYTES[layout.algorithm]);
  return pixels + table + tile;
}

/**
 * Decodes the first plane of the image from the planned tiles and the heap bytes `heap` (which start at heap
 * offset `heapStart`) into physical values: BLANK/ZBLANK -> NaN, BSCALE/BZERO applied. Float32Array for ZBITPIX
 * 8, 16 and -32, Float64Array for 32, 64 and -64; row-major, first axis fastest. `shared`: in a SharedArrayBuffer.
 */
export function decodeTiles(layout: CompressedLayout, tiles: TileEntry[], heap: Buffer, heapStart: number, shared = false): Float32Array | Float64Array {
  const { width, height, bitpix } = layout;
  const single = bitpix === 8 || bitpix === 16 || bitpix === -32;
  const out = allocateValues(single, width * height, shared);
  const ints = new Int32Array(layout.maxTilePixels);
  const scratch = single ? new Float32Array(layout.maxTilePixels) : new Float64Array(layout.maxTilePixels);

  for (const entry of tiles) {
    const fail = (reason: string): never => {
      throw new FitsError(`tile ${entry.index + 1}: ${reason}`, layout.fileName, layout.hduIndex);
    };
    const extent = tilePixels(layout, entry.index);
    const planePixels = extent.width * extent.height;
    // Whole-width tiles are contiguous in the image: decode straight into it.
    const direct = extent.width === width;
    const target = direct ? out.subarray(extent.y0 * width, extent.y0 * width + planePixels) : scratch;

    const bytes = heap.subarray(entry.start - heapStart, entry.start - heapStart + entry.length);
    const tileData = tileValues(layout, entry, bytes, extent.total, ints, fail);
    if (tileData.kind === 'integer') {
      const values = tileData.values;
      if (layout.quantized && entry.source === 'compressed') {
        const scale = entry.zscale ?? layout.zscale;
        const zero = entry.zzero ?? layout.zzero;
        if (scale === undefined || zero === undefined) fail('no ZSCALE / ZZERO for a quantised tile');
        unquantize(values, planePixels, target, {
          scale: scale as number,
          zero: zero as number,
          method: layout.quantize,
          ditherRow: entry.index + layout.zdither0,
          blank: entry.zblank ?? layout.blank ?? NULL_VALUE,
        });
      } else if (bitpix < 0) {
        fail(`holds integers but the image is floating-point (ZBITPIX = ${bitpix}) and not quantised`);
      } else {
        const blank = entry.zblank ?? layout.blank;
        if (blank === undefined) {
          for (let k = 0; k < planePixels; k++) target[k] = values[k];
        } else {
          for (let k = 0; k < planePixels; k++) {
            const v = values[k];
            target[k] = v === blank ? NaN : v;
          }
        }
      }
    } else {
      if (tileData.kind === 'float' && bitpix > 0) fail(`holds floating-point values but the image is integer (ZBITPIX = ${bitpix})`);
      if (tileData.kind === 'integer64' && bitpix < 0) fail(`holds integers but the image is floating-point (ZBITPIX = ${bitpix}) and not quantised`);
      target.set(tileData.values.subarray(0, planePixels));
    }

    if (!direct) {
      for (let row = 0; row < extent.height; row++) {
        out.set(scratch.subarray(row * extent.width, (row + 1) * extent.width), (extent.y0 + row) * width + extent.x0);
      }
    }
  }

  if (layout.bscale !== 1 || layout.bzero !== 0) {
    const { bscale, bzero } = layout;
    for (let k = 0; k < out.length; k++) out[k] = out[k] * bscale + bzero;
  }
  return out;
}

/**
 * The values of one decompressed tile: integers of 8, 16 or 32 bits (in the shared `ints` buffer), raw floats, or
 * 64-bit integers as doubles (blanks already NaN).
 */
type TileData =
  | { kind: 'integer'; values: Int32Array }
  | { kind: 'float'; values: Float32Array | Float64Array }
  | { kind: 'integer64'; values: Float64Array };

function tileValues(
  layout: CompressedLayout,
  entry: TileEntry,
  bytes: Buffer,
  count: number,
  ints: Int32Array,
  fail: Fail,
): TileData {
  if (entry.source === 'uncompressed') {
    const size = TYPE_SIZES[entry.type];
    if (bytes.length !== count * size) fail(`UNCOMPRESSED_DATA holds ${bytes.length / size} values for ${count} pixels`);
    return rawValues(layout, entry, bytes, size, 'EDC'.includes(entry.type) ? 'float' : 'integer', ints, count, fail);
  }
  if (entry.source === 'gzip') return rawValues(layout, entry, gunzip(bytes, count, fail), 0, 'auto', ints, count, fail);
  // quantised tiles hold integers whatever their size; otherwise 4- and 8-byte values of float images are floats
  const kind = layout.quantized ? 'integer' : 'auto';
  switch (layout.algorithm) {
    case 'RICE_1':
      try {
        riceDecompress(bytes, count, layout.blockSize, layout.bytePix, ints);
      } catch (error) {
        if (error instanceof RiceError) fail(error.message);
        throw error;
      }
      return { kind: 'integer', values: ints };
    case 'GZIP_1':
      return rawValues(layout, entry, gunzip(bytes, count, fail), 0, kind, ints, count, fail);
    case 'GZIP_2': {
      const shuffled = gunzip(bytes, count, fail);
      const size = itemSize(shuffled.length, count, fail);
      return rawValues(layout, entry, unshuffle(shuffled, size, count), size, kind, ints, count, fail);
    }
    case 'NOCOMPRESS':
      return rawValues(layout, entry, bytes, 0, kind, ints, count, fail);
  }
}

/**
 * Big-endian values of 1, 2, 4 or 8 bytes (`size` 0: worked out from the byte count) as integers or floats;
 * 'auto' takes 4- and 8-byte values for floats when the image is floating-point.
 */
function rawValues(
  layout: CompressedLayout,
  entry: TileEntry,
  bytes: Uint8Array,
  size: number,
  kind: 'integer' | 'float' | 'auto',
  ints: Int32Array,
  count: number,
  fail: Fail,
): TileData {
  const itemsize = size || itemSize(bytes.length, count, fail);
  if (bytes.length !== itemsize * count) fail(`${bytes.length} bytes of data for ${count} pixels of ${itemsize} bytes`);
  const float = kind === 'float' || (kind === 'auto' && layout.bitpix < 0 && itemsize >= 4);
  if (itemsize === 1) {
    ints.set(bytes.subarray(0, count));
    return { kind: 'integer', values: ints };
  }
  // copy to an aligned buffer of our own and swap to native (little-endian) order
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  if (itemsize === 2) {
    ints.set(new Int16Array(copy.swap16().buffer, 0, count));
    return { kind: 'integer', values: ints };
  }
  if (itemsize === 4) {
    copy.swap32();
    if (float) return { kind: 'float', values: new Float32Array(copy.buffer, 0, count) };
    ints.set(new Int32Array(copy.buffer, 0, count));
    return { kind: 'integer', values: ints };
  }
  copy.swap64();
  if (float) return { kind: 'float', values: new Float64Array(copy.buffer, 0, count) };
  if (layout.quantized && entry.source === 'compressed') fail('8-byte integers in a quantised tile');
  const high = new Int32Array(copy.buffer, 0, count * 2);
  const low = new Uint32Array(copy.buffer, 0, count * 2);
  const values = new Float64Array(count);
  const blank = entry.zblank ?? layout.blank;
  for (let k = 0; k < count; k++) {
    const v = high[2 * k + 1] * 4294967296 + low[2 * k];
    values[k] = v === blank ? NaN : v;
  }
  return { kind: 'integer64', values };
}

function itemSize(byteCount: number, count: number, fail: Fail): number {
  const size = byteCount / count;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) fail(`${byteCount} bytes of data do not make ${count} pixels`);
  return size;
}

/** GZIP_2 stores the most significant bytes of all values first, then the next ones... */
function unshuffle(bytes: Uint8Array, size: number, count: number): Uint8Array {
  if (size === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let b = 0; b < size; b++) {
    const from = b * count;
    for (let k = 0; k < count; k++) out[k * size + b] = bytes[from + k];
  }
  return out;
}

/** Decompresses gzip (or zlib) tile data, refusing output beyond 8 bytes per pixel. */
function gunzip(bytes: Uint8Array, count: number, fail: Fail): Buffer {
  try {
    return zlib.unzipSync(bytes, { maxOutputLength: Math.max(count * 8, 1) });
  } catch (error) {
    // ERR_BUFFER_TOO_LARGE (a RangeError, from another realm under test runners): past maxOutputLength.
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return fail(`gzip data decompresses to more than ${count * 8} bytes for ${count} pixels`);
    return fail(`gzip data is corrupt (${(error as Error).message})`);
  }
}
