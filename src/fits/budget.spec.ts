import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { InflationLimitError, openByteSource } from './byte-source';
import { FitsError, FitsTooLargeError, imagePixels, readFitsHeaders, readFitsImage } from './index';
import { allBombs, BOMB_PIXELS, committedBombs, fzBomb, gzipZerosBomb } from './testing/bombs';
import { compressedHdu, compressTile, emptyPrimary, header, imageHdu, kw, TempDir } from './testing/make-fits';

const FIXTURES = join(__dirname, '../../test/fixtures');
const LIMIT = 50_000_000;

let tmp: TempDir;
beforeAll(() => {
  tmp = new TempDir();
});
afterAll(() => tmp.remove());

/** Runs `work`, expecting a FitsTooLargeError; returns it with the growth of array-buffer memory meanwhile. */
async function refusal(work: () => Promise<unknown>): Promise<{ error: FitsTooLargeError; grewBytes: number }> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const probe = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  clearInterval(probe);
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  expect(error).toBeInstanceOf(FitsTooLargeError);
  return { error: error as FitsTooLargeError, grewBytes: peak - before };
}

describe('pixel budget: every bomb is refused from its header, before allocating', () => {
  for (const bomb of allBombs()) {
    it(`${bomb.kind} (${bomb.name})`, async () => {
      const file = tmp.write(bomb.name, bomb.bytes);
      const headers = await readFitsHeaders(file, { maxHdus: 2 }).catch(() => null);
      if (headers) expect(imagePixels(headers[headers.length - 1])).toBe(bomb.pixels);
      const { error, grewBytes } = await refusal(() => readFitsImage(file, { maxPixels: LIMIT }));
      expect(error.unit).toBe('pixels');
      expect(error.amount).toBe(bomb.pixels);
      expect(error.file).toBe(bomb.name);
      expect(error.tooLargeTo('preview')).toBe(`too large to preview (${bomb.pixels.toLocaleString('en-US')} pixels, limit 50,000,000)`);
      expect(error.tooLargeTo('process')).toMatch(/^too large to process \(/);
      // The 800 MB of pixels were never allocated: only headers and a table row or two were read.
      expect(grewBytes).toBeLessThan(16 * 1024 * 1024);
    });
  }

  it('keeps the committed fixtures (test/fixtures/bombs) as the builders make them', async () => {
    const committed = committedBombs();
    expect(readdirSync(join(FIXTURES, 'bombs')).filter((name) => name !== 'README.md').sort()).toEqual(committed.map((b) => b.name).sort());
    for (const bomb of committed) {
      const bytes = readFileSync(join(FIXTURES, 'bombs', bomb.name));
      expect([bomb.name, bytes.equals(bomb.bytes), bytes.length < 32 * 1024]).toEqual([bomb.name, true, true]);
      const { error } = await refusal(() => readFitsImage(join(FIXTURES, 'bombs', bomb.name), { maxPixels: LIMIT }));
      expect(error.amount).toBe(bomb.pixels);
    }
  });

  it('keeps the numbers of the issue: 100,000,000 pixels of float64', () => {
    expect(BOMB_PIXELS).toBe(100_000_000);
    expect(fzBomb({ algorithm: 'GZIP_1' }).bytes.length).toBeLessThan(2_000_000);
    expect(gzipZerosBomb().bytes.length).toBeLessThan(1_000_000);
  });

  it('reads the same kinds of file when they fit the budget', async () => {
    const small = [gzipZerosBomb(300), fzBomb({ algorithm: 'GZIP_1', side: 300 }), fzBomb({ algorithm: 'GZIP_2', side: 300, tileRows: 10, shared: true }),
      fzBomb({ algorithm: 'RICE_1', side: 300, tileRows: 10, shared: true }), fzBomb({ algorithm: 'RICE_1', side: 300, tileRows: 10, shared: true, quantised: true })];
    for (const bomb of small) {
      const image = await readFitsImage(tmp.write(`small-${bomb.name}`, bomb.bytes), { maxPixels: 90_000 });
      expect([bomb.kind, image.width, image.height, image.data.length]).toEqual([bomb.kind, 300, 300, 90_000]);
      expect(image.data.every((value) => value === 0)).toBe(true);
    }
  });
});

describe('byte budget: the decoding work the header and the table announce', () => {
  it('refuses one huge GZIP_2 tile whose working copies would exceed the budget', async () => {
    const side = 1000;
    const rows = [{ data: compressTile('GZIP_2', -64, new Float64Array(side * side)) }];
    const file = tmp.write('one-tile.fits.fz', emptyPrimary(), compressedHdu({ zbitpix: -64, shape: [side, side], tile: [side, side], cmptype: 'GZIP_2', rows }));
    const { error, grewBytes } = await refusal(() => readFitsImage(file, { maxPixels: 1_100_000 }));
    expect(error.unit).toBe('bytes');
    expect(error.limit).toBe(17_600_000);
    // 8 bytes of output + 4 + 8 of scratch + 24 of inflated, native and unshuffled copies, per pixel
    expect(error.amount).toBe(side * side * 44 + 1 * (8 + 128));
    expect(error.tooLargeTo('process')).toBe('too large to process (44,000,136 bytes to decode, limit 17,600,000)');
    expect(grewBytes).toBeLessThan(8 * 1024 * 1024);
    // The same file within a bigger byte budget is read.
    const image = await readFitsImage(file, { maxPixels: 1_100_000, maxBytes: 50_000_000 });
    expect(image.data.length).toBe(side * side);
  });

  it('refuses tiles whose heap would take the budget, after reading only the table', async () => {
    const values = Array.from({ length: 64 * 64 }, (_, i) => i % 251);
    const rows = Array.from({ length: 64 }, (_, y) => ({ data: compressTile('NOCOMPRESS', 32, values.slice(y * 64, y * 64 + 64)) }));
    const file = tmp.write('heap.fits.fz', emptyPrimary(), compressedHdu({ zbitpix: 32, shape: [64, 64], cmptype: 'NOCOMPRESS', rows }));
    const { error } = await refusal(() => readFitsImage(file, { maxBytes: 64 * 64 * 8 + 64 * (8 + 128) + 64 * 20 + 100 }));
    expect(error.reason).toMatch(/^decoding would hold [\d,]+ bytes for its pixels, table of tiles and compressed tiles, over the limit of [\d,]+ bytes$/);
  });

  it('refuses a million one-pixel tiles for their bookkeeping, before reading the table', async () => {
    const cards = [
      "XTENSION= 'BINTABLE'", kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 8), kw('NAXIS2', 1_000_000), kw('PCOUNT', 0), kw('GCOUNT', 1),
      kw('TFIELDS', 1), kw('TTYPE1', 'COMPRESSED_DATA'), kw('TFORM1', '1PB'), 'ZIMAGE  =                    T', kw('ZBITPIX', 16), kw('ZNAXIS', 2),
      kw('ZNAXIS1', 1000), kw('ZNAXIS2', 1000), kw('ZTILE1', 1), kw('ZTILE2', 1), kw('ZCMPTYPE', 'GZIP_1'),
    ];
    // The table's 8 MB are cut short: only the header was written, so nothing past it may have been read.
    const file = tmp.write('tiny-tiles.fits.fz.gz', gzipSync(Buffer.concat([emptyPrimary(), header(...cards)])));
    const { error } = await refusal(() => readFitsImage(file, { maxPixels: 1_000_000 }));
    expect(error.reason).toBe('decoding would hold 140,000,024 bytes for its pixels, table of tiles and scratch, over the limit of 16,000,000 bytes');
  });

  it('refuses a tile that inflates to more than its pixels can hold', async () => {
    const rows = Array.from({ length: 4 }, () => ({ data: gzipSync(Buffer.alloc(64 * 1024 * 1024)) }));
    const file = tmp.write('fat-tile.fits.fz', emptyPrimary(), compressedHdu({ zbitpix: 16, shape: [8, 4], cmptype: 'GZIP_1', rows }));
    const error = await readFitsImage(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FitsError);
    // zlib stops at the cap (maxOutputLength) rather than inflating the 64 MiB and checking afterwards.
    expect((error as FitsError).reason).toBe('tile 1: gzip data decompresses to more than 64 bytes for 8 pixels');
  });
});

describe('gzip inflation is capped', () => {
  /** A primary HDU of `megabytes` MiB of zeros (one gzip member, repeated), then a small image extension. */
  function bigPrimaryThenImage(megabytes: number): Buffer {
    const zeros = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    return Buffer.concat([
      gzipSync(header('SIMPLE  =                    T', kw('BITPIX', 8), kw('NAXIS', 1), kw('NAXIS1', megabytes * 1024 * 1024), 'EXTEND  =                    T')),
      ...Array.from({ length: megabytes }, () => zeros),
      gzipSync(Buffer.alloc(2880 - ((megabytes * 1024 * 1024) % 2880))),
      gzipSync(imageHdu({ bitpix: 16, naxis: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8], primary: false })),
    ]);
  }

  it('refuses, from the header, data it would have to inflate past the limit to skip', async () => {
    const file = tmp.write('deep.fits.gz', bigPrimaryThenImage(64));
    const headers = await refusal(() => readFitsHeaders(file, { maxInflatedBytes: 32 * 1024 * 1024 }));
    expect(headers.error.reason).toBe('the data of this HDU ends 67,111,744 bytes into the decompressed file, beyond the limit of 33,554,432 bytes');
    expect(headers.error.hdu).toBe(0);
    // readFitsImage caps inflation at its byte budget.
    const image = await refusal(() => readFitsImage(file, { maxPixels: 1_000_000 }));
    expect(image.error.tooLargeTo('preview')).toBe('too large to preview (67,111,744 bytes to decode, limit 16,000,000)');
    // Within the limits the image behind it is read.
    const ok = await readFitsImage(file, { maxPixels: 1_000_000, maxBytes: 100 * 1024 * 1024 });
    expect([ok.hduIndex, Array.from(ok.data)]).toEqual([1, [1, 2, 3, 4, 5, 6, 7, 8]]);
  });

  it('never inflates what follows the image it reads', async () => {
    // A 100x100 image, then 256 MiB of zeros: read under a 1 MiB budget, so inflating any of the zeros would fail.
    const image = imageHdu({ bitpix: 8, naxis: [100, 100], values: Array.from({ length: 10_000 }, (_, i) => i % 256) });
    const zeros = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const file = tmp.write('trailing.fits.gz', Buffer.concat([gzipSync(image), ...Array.from({ length: 256 }, () => zeros)]));
    const read = await readFitsImage(file, { maxPixels: 1_000_000, maxBytes: 1024 * 1024 });
    expect([read.width, read.height, read.data[0], read.data[257]]).toEqual([100, 100, 0, 1]);
  });

  it('stops a stream that inflates past the limit, whatever the headers said', async () => {
    const file = tmp.write('stream.gz', gzipSync(Buffer.alloc(16 * 1024 * 1024)));
    const source = await openByteSource(file, { maxInflatedBytes: 4 * 1024 * 1024 });
    try {
      expect(source.inflationLimit).toBe(4 * 1024 * 1024);
      const error = await source.skip(16 * 1024 * 1024).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InflationLimitError);
      expect((error as InflationLimitError).inflated).toBeGreaterThan(4 * 1024 * 1024);
    } finally {
      await source.close();
    }
  });
});

describe('sharedMemory', () => {
  it('puts the pixels of every kind of file in a SharedArrayBuffer, with the same values', async () => {
    const files = [
      join(FIXTURES, 'HorseHead.fits'),
      join(FIXTURES, 'M13_blue_0001.fits.fz'),
      join(FIXTURES, 'compressed', 'horsehead_float_gzip2.fits.fz'),
      join(FIXTURES, 'eit-195-2004-03-01', 'efz20040301.000010_s.fits'),
      tmp.write('float.fits.gz', gzipSync(imageHdu({ bitpix: -32, naxis: [3, 2], values: [1.5, 2, -3, 4, 5, 6] }))),
    ];
    for (const file of files) {
      const plain = await readFitsImage(file);
      const shared = await readFitsImage(file, { sharedMemory: true });
      expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared.data.constructor).toBe(plain.data.constructor);
      expect(Buffer.from(shared.data.buffer, shared.data.byteOffset, shared.data.byteLength).equals(Buffer.from(plain.data.buffer, plain.data.byteOffset, plain.data.byteLength))).toBe(true);
    }
  });
});
