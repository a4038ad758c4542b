/**
 * Decompression bombs: small files whose headers promise huge images, in every encoding the portal reads. Test
 * and bench code only. Each builder is quick and holds little memory: repeated content is compressed once and
 * laid out many times (gzip members may follow one another; heap descriptors may point anywhere in the heap).
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { BLOCK, compressedHdu, compressTile, emptyPrimary, header, kw, TileRow } from './make-fits';

/** The bomb: 10000 × 10000 float64 zeros, 100,000,000 pixels, 800 MB once decoded. */
export const BOMB_SIDE = 10_000;
export const BOMB_PIXELS = BOMB_SIDE * BOMB_SIDE;

export type BombKind = 'plain-truncated' | 'gzip' | 'fz-gzip1' | 'fz-gzip2' | 'fz-rice1' | 'fz-rice1-float';

export interface Bomb {
  kind: BombKind;
  /** The uploaded name: the file's suffix tells the portal what it is. */
  name: string;
  bytes: Buffer;
  /** Pixels the header promises for the image read. */
  pixels: number;
}

/**
 * A plain FITS header for 100000 × 100000 float64 pixels (80 GB) followed by one block of data: the file is cut
 * short, but only reading it would tell.
 */
export function plainTruncatedBomb(): Bomb {
  const side = 100_000;
  const bytes = Buffer.concat([
    header('SIMPLE  =                    T', kw('BITPIX', -64), kw('NAXIS', 2), kw('NAXIS1', side), kw('NAXIS2', side)),
    Buffer.alloc(BLOCK),
  ]);
  return { kind: 'plain-truncated', name: 'huge-truncated.fits', bytes, pixels: side * side };
}

/**
 * A complete gzip-compressed FITS file of `side` × `side` float64 zeros: a gzip member for the header, then the
 * same member of 8 MiB of zeros as often as needed, then the padding. About 1/1000 of the decoded size.
 */
export function gzipZerosBomb(side = BOMB_SIDE): Bomb {
  const head = header('SIMPLE  =                    T', kw('BITPIX', -64), kw('NAXIS', 2), kw('NAXIS1', side), kw('NAXIS2', side));
  const dataBytes = side * side * 8;
  const chunk = 8 * 1024 * 1024;
  const zeros = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const parts: Buffer[] = [gzipSync(head)];
  let left = dataBytes;
  while (left >= chunk) {
    parts.push(zeros);
    left -= chunk;
  }
  const padding = (BLOCK - (dataBytes % BLOCK)) % BLOCK;
  if (left + padding > 0) parts.push(gzipSync(Buffer.alloc(left + padding)));
  return { kind: 'gzip', name: 'zeros.fits.gz', bytes: Buffer.concat(parts), pixels: side * side };
}

export interface FzBombOptions {
  algorithm: 'GZIP_1' | 'GZIP_2' | 'RICE_1';
  /** Image side (default 10000). */
  side?: number;
  /** Rows per tile (default 1, as fpack writes). */
  tileRows?: number;
  /**
   * Every table row points at one compressed tile in the heap (a tiny file); otherwise each tile gets its own
   * copy, as a real compressor would write it (the 783 KB file).
   */
  shared?: boolean;
  /** RICE_1 of quantised floats (ZBITPIX -32 with ZSCALE / ZZERO), as fpack writes float images. */
  quantised?: boolean;
}

/**
 * A tile-compressed image of zeros, in an IMAGE-less primary plus one compressed HDU, as fpack writes it. GZIP
 * bombs hold float64 (ZBITPIX -64), RICE_1 bombs 32-bit integers (or quantised float32).
 */
export function fzBomb(options: FzBombOptions): Bomb {
  const side = options.side ?? BOMB_SIDE;
  const tileRows = options.tileRows ?? 1;
  const rice = options.algorithm === 'RICE_1';
  const zbitpix = rice ? (options.quantised ? -32 : 32) : -64;
  const tilePixels = side * tileRows;
  const stored = rice ? 32 : -64;
  const tile = compressTile(options.algorithm, stored, new Float64Array(tilePixels));
  const tiles = Math.ceil(side / tileRows);
  const rows: TileRow[] = Array.from({ length: options.shared ? 1 : tiles }, () => ({ data: tile, zscale: 1, zzero: 0 }));
  const cards = [kw('ZNAME1', 'BLOCKSIZE'), kw('ZVAL1', 32), kw('ZNAME2', 'BYTEPIX'), kw('ZVAL2', 4)];
  if (options.quantised) cards.push(kw('ZQUANTIZ', 'NO_DITHER'));
  let hdu = compressedHdu({
    zbitpix,
    shape: [side, side],
    tile: [side, tileRows],
    cmptype: options.algorithm,
    rows,
    columns: options.quantised ? { zscale: true } : {},
    cards: rice ? cards : [],
  });
  if (options.shared) hdu = shareOneTile(hdu, tiles);
  const suffix = { GZIP_1: 'gzip1', GZIP_2: 'gzip2', RICE_1: options.quantised ? 'rice1-float' : 'rice1' }[options.algorithm];
  return {
    kind: `fz-${suffix}` as BombKind,
    name: `zeros-${suffix}.fits.fz`,
    bytes: Buffer.concat([emptyPrimary(), hdu]),
    pixels: side * side,
  };
}

/** Rewrites a one-row compressed HDU into `rows` rows that all point at its single tile. */
function shareOneTile(hdu: Buffer, rows: number): Buffer {
  const text = hdu.toString('latin1');
  const endCard = findEnd(text);
  const headerBytes = Math.ceil((endCard + 80) / BLOCK) * BLOCK;
  const cards = text.slice(0, endCard).match(/.{80}/g) ?? [];
  const value = (keyword: string) => Number(cards.find((c) => c.startsWith(keyword.padEnd(8)))?.slice(10, 30));
  const rowBytes = value('NAXIS1');
  const heapSize = value('PCOUNT');
  const data = hdu.subarray(headerBytes);
  const row = data.subarray(0, rowBytes);
  const heap = data.subarray(rowBytes, rowBytes + heapSize);
  const table = Buffer.alloc(rowBytes * rows);
  for (let r = 0; r < rows; r++) row.copy(table, r * rowBytes);
  const rewritten = cards
    .map((card) => (card.startsWith('NAXIS2  ') ? kw('NAXIS2', rows) : card))
    .map((card) => card.trimEnd());
  const body = Buffer.concat([table, heap]);
  const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
  return Buffer.concat([header(...rewritten), body, Buffer.alloc(pad)]);
}

function findEnd(text: string): number {
  for (let at = 0; at + 80 <= text.length; at += 80) if (text.slice(at, at + 80).trimEnd() === 'END') return at;
  throw new Error('no END card');
}

/**
 * The bombs kept in test/fixtures/bombs/: the small kinds (every table row pointing at one shared tile), under 32 KB
 * each. The .gz bomb (780 KB) and the issue's .fz with a tile per row (1.2 MB) are made by the tests instead.
 */
export function committedBombs(): Bomb[] {
  return [
    plainTruncatedBomb(),
    fzBomb({ algorithm: 'GZIP_1', tileRows: 100, shared: true }),
    fzBomb({ algorithm: 'GZIP_2', tileRows: 100, shared: true }),
    fzBomb({ algorithm: 'RICE_1', tileRows: 100, shared: true }),
    fzBomb({ algorithm: 'RICE_1', tileRows: 100, shared: true, quantised: true }),
  ];
}

/** Every bomb: the small committed kinds (shared tiles) and the issue's own file (a tile per row). */
export function allBombs(): Bomb[] {
  return [
    plainTruncatedBomb(),
    gzipZerosBomb(),
    { ...fzBomb({ algorithm: 'GZIP_1' }), name: 'zeros-gzip1-rows.fits.fz' },
    fzBomb({ algorithm: 'GZIP_2', tileRows: 100, shared: true }),
    fzBomb({ algorithm: 'RICE_1', tileRows: 100, shared: true }),
    fzBomb({ algorithm: 'RICE_1', tileRows: 100, shared: true, quantised: true }),
  ];
}

/**
 * An ordinary frame to set beside the bombs: `side` × `side` unsigned 16-bit pixels (BITPIX 16, BZERO 32768, as
 * amateur cameras write), a sloping sky with noise and a few hundred stars, DATE-OBS set. Plain FITS, 2 bytes a
 * pixel: 32 MiB for the bench's 4096².
 */
export function starField(side: number, options: { seed?: number; date?: string } = {}): Buffer {
  let seed = options.seed ?? 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const values = new Float64Array(side * side);
  for (let i = 0; i < values.length; i++) values[i] = 1000 + (i % side) * (200 / side) + (random() - 0.5) * 40;
  for (let s = 0; s < 300; s++) {
    const cx = Math.floor(random() * side);
    const cy = Math.floor(random() * side);
    for (let dy = -6; dy <= 6; dy++) {
      for (let dx = -6; dx <= 6; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x >= 0 && y >= 0 && x < side && y < side) values[y * side + x] += 20000 * Math.exp(-(dx * dx + dy * dy) / 8);
      }
    }
  }
  const data = Buffer.alloc(Math.ceil((values.length * 2) / BLOCK) * BLOCK);
  for (let i = 0; i < values.length; i++) data.writeInt16BE(Math.max(0, Math.min(65535, Math.round(values[i]))) - 32768, i * 2);
  const head = header(
    'SIMPLE  =                    T',
    kw('BITPIX', 16),
    kw('NAXIS', 2),
    kw('NAXIS1', side),
    kw('NAXIS2', side),
    kw('BZERO', 32768),
    kw('BSCALE', 1),
    kw('DATE-OBS', options.date ?? '2024-03-01T21:00:00'),
    kw('EXPTIME', 30),
  );
  return Buffer.concat([head, data]);
}

// `node -r ts-node/register/transpile-only src/fits/testing/bombs.ts <dir>` writes the committed bombs to <dir>.
if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: bombs.ts <directory>');
  mkdirSync(dir, { recursive: true });
  for (const bomb of committedBombs()) writeFileSync(join(dir, bomb.name), bomb.bytes);
}
