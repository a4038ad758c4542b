/**
 * Builders of small FITS files for the specs: headers from card texts, image HDUs from values, tile-compressed
 * HDUs (with a simple Rice encoder), and a temporary directory to write them to. Test code only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';

export const BLOCK = 2880;

/** A value card: keyword, '= ', the value right-aligned to column 30. */
export const kw = (name: string, value: string | number | boolean) =>
  `${name.padEnd(8)}= ${typeof value === 'string' ? `'${value}'`.padEnd(20) : typeof value === 'boolean' ? (value ? 'T' : 'F').padStart(20) : String(value).padStart(20)}`;

/** A header from card texts, END appended, padded with blanks to whole blocks. */
export function header(...texts: string[]): Buffer {
  const tooLong = texts.find((t) => t.length > 80);
  if (tooLong) throw new Error(`card longer than 80 characters: ${tooLong}`);
  const body = [...texts, 'END'].map((t) => t.padEnd(80, ' ')).join('');
  return Buffer.from(body.padEnd(Math.ceil(body.length / BLOCK) * BLOCK, ' '), 'latin1');
}

/** Data bytes zero-padded to whole blocks. */
export function padded(data: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

/** Values as big-endian bytes of a BITPIX type (8: unsigned byte, 64: from numbers or bigints). */
export function bigEndian(bitpix: number, values: ArrayLike<number | bigint>): Buffer {
  const numbers = () => Array.from(values, Number);
  switch (bitpix) {
    case 8:
      return Buffer.from(Uint8Array.from(numbers()).buffer);
    case 16:
      return Buffer.from(Int16Array.from(numbers()).buffer).swap16();
    case 32:
      return Buffer.from(Int32Array.from(numbers()).buffer).swap32();
    case 64:
      return Buffer.from(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer).swap64();
    case -32:
      return Buffer.from(Float32Array.from(numbers()).buffer).swap32();
    case -64:
      return Buffer.from(Float64Array.from(numbers()).buffer).swap64();
    default:
      throw new Error(`bad BITPIX ${bitpix}`);
  }
}

export interface ImageHduSpec {
  bitpix: number;
  naxis: number[];
  /** Stored values (before BZERO/BSCALE), first axis fastest. */
  values: ArrayLike<number | bigint>;
  /** A primary HDU (default) or an IMAGE extension. */
  primary?: boolean;
  /** Extra cards after the mandatory ones. */
  cards?: string[];
}

/** An image HDU: header and padded data. */
export function imageHdu(spec: ImageHduSpec): Buffer {
  const first = spec.primary === false ? ["XTENSION= 'IMAGE   '"] : ['SIMPLE  =                    T'];
  const counts = spec.primary === false ? [kw('PCOUNT', 0), kw('GCOUNT', 1)] : [];
  const axes = spec.naxis.map((n, i) => kw(`NAXIS${i + 1}`, n));
  return Buffer.concat([
    header(...first, kw('BITPIX', spec.bitpix), kw('NAXIS', spec.naxis.length), ...axes, ...counts, ...(spec.cards ?? [])),
    padded(bigEndian(spec.bitpix, spec.values)),
  ]);
}

/** A primary HDU without data. */
export function emptyPrimary(...cards: string[]): Buffer {
  return header('SIMPLE  =                    T', kw('BITPIX', 8), kw('NAXIS', 0), 'EXTEND  =                    T', ...cards);
}

/** Splits an image (first axis fastest) into tiles in table-row order; each tile's values first axis fastest. */
export function splitTiles<T>(values: ArrayLike<T>, shape: number[], tile: number[]): T[][] {
  const grid = shape.map((n, i) => Math.ceil(n / tile[i]));
  const tiles: T[][] = [];
  const count = grid.reduce((a, b) => a * b, 1);
  for (let t = 0; t < count; t++) {
    const origin: number[] = [];
    const extent: number[] = [];
    let rest = t;
    for (let i = 0; i < shape.length; i++) {
      const g = rest % grid[i];
      rest = Math.floor(rest / grid[i]);
      origin.push(g * tile[i]);
      extent.push(Math.min(tile[i], shape[i] - g * tile[i]));
    }
    const out: T[] = [];
    const total = extent.reduce((a, b) => a * b, 1);
    for (let k = 0; k < total; k++) {
      let index = 0;
      let stride = 1;
      let r = k;
      for (let i = 0; i < shape.length; i++) {
        const c = r % extent[i];
        r = Math.floor(r / extent[i]);
        index += (origin[i] + c) * stride;
        stride *= shape[i];
      }
      out.push(values[index]);
    }
    tiles.push(out);
  }
  return tiles;
}

/** GZIP_2 byte shuffle: the first byte of every value, then the second... */
export function shuffle(bytes: Uint8Array, size: number): Buffer {
  const count = bytes.length / size;
  const out = Buffer.alloc(bytes.length);
  for (let k = 0; k < count; k++) for (let b = 0; b < size; b++) out[b * count + k] = bytes[k * size + b];
  return out;
}

const RICE = { 1: { fsBits: 3, fsMax: 6, bits: 8 }, 2: { fsBits: 4, fsMax: 14, bits: 16 }, 4: { fsBits: 5, fsMax: 25, bits: 32 } } as const;

/**
 * A straightforward Rice encoder (RICE_1 stream layout): the first value raw, then per block the cheapest of
 * all-zero, raw (`force: 'raw'` always) or Rice coding with the best FS.
 */
export function riceCompress(values: ArrayLike<number>, blockSize: number, bytePix: 1 | 2 | 4, force?: 'raw'): Buffer {
  const { fsBits, fsMax, bits } = RICE[bytePix];
  const modulus = 2 ** bits;
  const out: number[] = [];
  let acc = 0;
  let accBits = 0;
  const put = (value: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) {
      acc = acc * 2 + (Math.floor(value / 2 ** i) % 2);
      accBits++;
      if (accBits === 8) {
        out.push(acc);
        acc = 0;
        accBits = 0;
      }
    }
  };
  const unsigned = (v: number) => ((v % modulus) + modulus) % modulus;
  let last = unsigned(values[0] ?? 0);
  for (let i = bytePix - 1; i >= 0; i--) out.push(Math.floor(last / 256 ** i) % 256);

  for (let start = 0; start < values.length; start += blockSize) {
    const folded: number[] = [];
    for (let i = start; i < Math.min(values.length, start + blockSize); i++) {
      const v = unsigned(values[i]);
      let d = unsigned(v - last);
      if (d >= modulus / 2) d -= modulus; // signed difference
      folded.push(d >= 0 ? 2 * d : -2 * d - 1);
      last = v;
    }
    const rawCost = bits * folded.length;
    if (force !== 'raw' && folded.every((f) => f === 0)) {
      put(0, fsBits);
      continue;
    }
    let best = -1;
    let bestCost = rawCost;
    if (force !== 'raw') {
      for (let fs = 0; fs < fsMax; fs++) {
        const cost = folded.reduce((sum, f) => sum + Math.floor(f / 2 ** fs) + 1 + fs, 0);
        if (cost < bestCost) [best, bestCost] = [fs, cost];
      }
    }
    if (best < 0) {
      put(fsMax + 1, fsBits);
      for (const f of folded) put(f, bits);
    } else {
      put(best + 1, fsBits);
      for (const f of folded) {
        const high = Math.floor(f / 2 ** best);
        for (let z = 0; z < high; z++) put(0, 1);
        put(1, 1);
        put(f % 2 ** best, best);
      }
    }
  }
  if (accBits > 0) put(0, 8 - accBits);
  return Buffer.from(out);
}

/** One table row of a compressed HDU. */
export interface TileRow {
  /** COMPRESSED_DATA bytes (empty: the tile is in another column). */
  data: Uint8Array;
  gzipData?: Uint8Array;
  /** UNCOMPRESSED_DATA values (type from `uncompressedType`). */
  uncompressed?: number[];
  zscale?: number;
  zzero?: number;
  zblank?: number;
}

export interface CompressedHduSpec {
  zbitpix: number;
  shape: number[];
  /** ZTILEn cards (omitted: no ZTILE cards, the default of whole rows). */
  tile?: number[];
  cmptype: string;
  rows: TileRow[];
  /** 'Q' for 64-bit descriptors. */
  descriptor?: 'P' | 'Q';
  /** Columns to include besides COMPRESSED_DATA. */
  columns?: { gzip?: boolean; uncompressed?: 'E' | 'D' | 'I' | 'J'; zscale?: boolean; zblank?: boolean };
  /** Bytes between the table and the heap (written as THEAP). */
  heapGap?: number;
  cards?: string[];
  /** Override a descriptor: [row, count, offset] of COMPRESSED_DATA. */
  badDescriptor?: [number, number, number];
}

/** A BINTABLE with ZIMAGE = T holding the given tiles. */
export function compressedHdu(spec: CompressedHduSpec): Buffer {
  const q = spec.descriptor === 'Q';
  const descriptorForm = (type: string) => `1${q ? 'Q' : 'P'}${type}`;
  const descriptorSize = q ? 16 : 8;
  const columns: Array<{ name: string; form: string; size: number }> = [{ name: 'COMPRESSED_DATA', form: descriptorForm('B'), size: descriptorSize }];
  const c = spec.columns ?? {};
  if (c.gzip) columns.push({ name: 'GZIP_COMPRESSED_DATA', form: descriptorForm('B'), size: descriptorSize });
  if (c.uncompressed) columns.push({ name: 'UNCOMPRESSED_DATA', form: descriptorForm(c.uncompressed), size: descriptorSize });
  if (c.zscale) columns.push({ name: 'ZSCALE', form: '1D', size: 8 }, { name: 'ZZERO', form: '1D', size: 8 });
  if (c.zblank) columns.push({ name: 'ZBLANK', form: '1J', size: 4 });
  const rowBytes = columns.reduce((sum, col) => sum + col.size, 0);

  const heapParts: Buffer[] = [];
  let heapSize = 0;
  const addToHeap = (bytes: Uint8Array): [number, number] => {
    const at = heapSize;
    heapParts.push(Buffer.from(bytes));
    heapSize += bytes.length;
    return [bytes.length, at];
  };
  const table = Buffer.alloc(rowBytes * spec.rows.length);
  const writeDescriptor = (at: number, count: number, offset: number) => {
    if (q) {
      table.writeBigInt64BE(BigInt(count), at);
      table.writeBigInt64BE(BigInt(offset), at + 8);
    } else {
      table.writeUInt32BE(count, at);
      table.writeUInt32BE(offset, at + 4);
    }
  };
  spec.rows.forEach((row, r) => {
    let at = r * rowBytes;
    const [count, offset] = row.data.length ? addToHeap(row.data) : [0, 0];
    writeDescriptor(at, count, offset);
    at += descriptorSize;
    if (c.gzip) {
      const [n, o] = row.gzipData?.length ? addToHeap(row.gzipData) : [0, 0];
      writeDescriptor(at, n, o);
      at += descriptorSize;
    }
    if (c.uncompressed) {
      const type = c.uncompressed;
      const bitpix = { E: -32, D: -64, I: 16, J: 32 }[type];
      const [n, o] = row.uncompressed ? addToHeap(bigEndian(bitpix, row.uncompressed)) : [0, 0];
      writeDescriptor(at, n / (Math.abs(bitpix) / 8), o);
      at += descriptorSize;
    }
    if (c.zscale) {
      table.writeDoubleBE(row.zscale ?? 1, at);
      table.writeDoubleBE(row.zzero ?? 0, at + 8);
      at += 16;
    }
    if (c.zblank) table.writeInt32BE(row.zblank ?? -2147483648, at);
  });
  if (spec.badDescriptor) {
    const [r, count, offset] = spec.badDescriptor;
    writeDescriptor(r * rowBytes, count, offset);
  }

  const gap = spec.heapGap ?? 0;
  const cards = [
    "XTENSION= 'BINTABLE'",
    kw('BITPIX', 8),
    kw('NAXIS', 2),
    kw('NAXIS1', rowBytes),
    kw('NAXIS2', spec.rows.length),
    kw('PCOUNT', gap + heapSize),
    kw('GCOUNT', 1),
    kw('TFIELDS', columns.length),
    ...columns.flatMap((col, i) => [kw(`TTYPE${i + 1}`, col.name), kw(`TFORM${i + 1}`, col.form)]),
    ...(gap ? [kw('THEAP', table.length + gap)] : []),
    'ZIMAGE  =                    T',
    kw('ZBITPIX', spec.zbitpix),
    kw('ZNAXIS', spec.shape.length),
    ...spec.shape.map((n, i) => kw(`ZNAXIS${i + 1}`, n)),
    ...(spec.tile ?? []).map((n, i) => kw(`ZTILE${i + 1}`, n)),
    kw('ZCMPTYPE', spec.cmptype),
    ...(spec.cards ?? []),
  ];
  return Buffer.concat([header(...cards), padded(Buffer.concat([table, Buffer.alloc(gap), ...heapParts]))]);
}

/** Compresses the stored values of one tile with GZIP_1, GZIP_2, NOCOMPRESS or RICE_1. */
export function compressTile(algorithm: string, bitpix: number, values: ArrayLike<number | bigint>, options: { blockSize?: number; bytePix?: 1 | 2 | 4 } = {}): Buffer {
  const raw = bigEndian(bitpix, values);
  switch (algorithm) {
    case 'GZIP_1':
      return gzipSync(raw);
    case 'GZIP_2':
      return gzipSync(shuffle(raw, Math.abs(bitpix) / 8));
    case 'NOCOMPRESS':
      return raw;
    case 'RICE_1':
      return riceCompress(Array.from(values, Number), options.blockSize ?? 32, options.bytePix ?? (Math.abs(bitpix) / 8 as 1 | 2 | 4));
    default:
      throw new Error(`cannot compress with ${algorithm}`);
  }
}

/** A temporary directory for generated files, removed by `remove()`. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'fits-spec-'));

  write(name: string, ...parts: Uint8Array[]): string {
    const file = join(this.path, name);
    writeFileSync(file, Buffer.concat(parts));
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
