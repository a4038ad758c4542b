import { readFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { FitsError, FitsImage, headerValue, readFitsHeaders, readFitsImage } from './index';
import { NULL_VALUE, ZERO_VALUE } from './quantization';
import { bigEndian, compressedHdu, CompressedHduSpec, compressTile, emptyPrimary, kw, splitTiles, TempDir } from './testing/make-fits';

const FIXTURES = join(__dirname, '../../test/fixtures');
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

let tmp: TempDir;
beforeAll(() => {
  tmp = new TempDir();
});
afterAll(() => tmp.remove());

async function fitsError(promise: Promise<unknown>): Promise<FitsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FitsError);
  return error as FitsError;
}

const pixel = (image: FitsImage, x: number, y: number) => image.data[(y - 1) * image.width + (x - 1)];

/** Writes an empty primary HDU and one compressed HDU, and reads the image back. */
function writeCompressed(name: string, spec: CompressedHduSpec): string {
  return tmp.write(name, emptyPrimary(), compressedHdu(spec));
}

/** Rows of tiles for `values`, each compressed with `algorithm`. */
function tileRows(algorithm: string, bitpix: number, values: number[], shape: number[], tile: number[], bytePix?: 1 | 2 | 4) {
  return splitTiles(values, shape, tile).map((t) => ({ data: compressTile(algorithm, bitpix, t, { bytePix }) }));
}

interface Expected {
  hdu: number;
  shape: number[];
  stats: { min: number; max: number; mean: number; median: number };
  pixels_1based: Record<string, number>;
}

describe('tile-compressed fixtures against the reference library (astropy / CFITSIO)', () => {
  const expected = JSON.parse(readFileSync(fixture('compressed', 'expected.json'), 'utf8')) as Record<string, Expected>;

  it.each(Object.keys(expected))('%s', async (name) => {
    const want = expected[name];
    const image = await readFitsImage(fixture('compressed', name));
    expect([image.hduIndex, image.shape, image.width, image.height]).toEqual([want.hdu, want.shape, 891, 893]);
    expect(image.data).toBeInstanceOf(Float32Array);
    for (const [position, value] of Object.entries(want.pixels_1based)) {
      const [x, y] = position.split(',').map(Number);
      expect([position, pixel(image, x, y)]).toEqual([position, value]);
    }
    const finite = Float64Array.from(image.data.filter(Number.isFinite)).sort();
    let sum = 0;
    for (const v of finite) sum += v;
    const n = finite.length;
    const median = n % 2 ? finite[(n - 1) / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
    expect([finite[0], finite[n - 1], median]).toEqual([want.stats.min, want.stats.max, want.stats.median]);
    expect(Math.abs(sum / n - want.stats.mean) / want.stats.mean).toBeLessThan(1e-9);
  });

  it('the header of the decoded image is the image header', async () => {
    const image = await readFitsImage(fixture('compressed', 'horsehead_float_rice_dither2.fits.fz'));
    expect(image.header.type).toBe('COMPRESSED_IMAGE');
    expect([image.header.bitpix, image.header.naxis, image.bitpix]).toEqual([-32, [891, 893], -32]);
    const value = (keyword: string) => headerValue(image.header.cards, keyword);
    expect([value('BITPIX'), value('NAXIS'), value('NAXIS1'), value('NAXIS2'), value('TTYPE1'), value('ZQUANTIZ'), value('CTYPE1'), value('CTYPE2')]).toEqual([
      -32,
      2,
      891,
      893,
      undefined,
      'SUBTRACTIVE_DITHER_2',
      'RA---TAN',
      'DEC--TAN',
    ]);
  });

  it('M13_blue_0001.fits.fz (RICE_1, 16-bit, BZERO 32768) decodes to the pixels of the .fits.gz original', async () => {
    const fz = await readFitsImage(fixture('M13_blue_0001.fits.fz'));
    const gz = await readFitsImage(fixture('m13-blue-2013-05-05', 'M13_blue_0001.fits.gz'));
    expect([fz.hduIndex, fz.bitpix, fz.width, fz.height]).toEqual([1, 16, 1392, 1040]);
    expect(fz.data).toBeInstanceOf(Float32Array);
    expect(fz.data).toHaveLength(gz.data.length);
    expect(fz.data.findIndex((v, i) => v !== gz.data[i])).toBe(-1);
    expect(headerValue(fz.header.cards, 'NAXIS1')).toBe(1392);
    expect(headerValue(fz.header.cards, 'DATE-OBS')).toBe(headerValue(gz.header.cards, 'DATE-OBS'));
  });
});

describe('tile-compressed images generated here', () => {
  const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

  it('GZIP_1 with 5x4 tiles over a 13x9 image: edge tiles, BZERO, BLANK -> NaN', async () => {
    const shape = [13, 9];
    const tile = [5, 4];
    const values = ramp(13 * 9, (i) => (i * 97) % 4000 - 2000);
    values[20] = -32768;
    const file = writeCompressed('gzip1-tiles.fits', {
      zbitpix: 16,
      shape,
      tile,
      cmptype: 'GZIP_1',
      rows: tileRows('GZIP_1', 16, values, shape, tile),
      cards: [kw('BZERO', 32768), kw('BLANK', -32768)],
    });
    const image = await readFitsImage(file);
    expect([image.width, image.height, image.bitpix]).toEqual([13, 9, 16]);
    expect(Array.from(image.data)).toEqual(values.map((v) => (v === -32768 ? NaN : v + 32768)));
  });

  it('RICE_1 with BYTEPIX 1, 2 and 4, BLOCKSIZE 16, and the alias RICE_ONE', async () => {
    const shape = [50, 7];
    const cases: Array<[number, 1 | 2 | 4, (i: number) => number]> = [
      [8, 1, (i) => (i * 13) % 256],
      [16, 2, (i) => Math.round(3000 * Math.sin(i / 9)) - (i % 5)],
      [32, 4, (i) => (i % 17 === 0 ? 2147483647 - i : i % 23 === 0 ? -2147483648 + i : i * 1000)],
    ];
    for (const [bitpix, bytePix, f] of cases) {
      for (const cmptype of ['RICE_1', 'RICE_ONE']) {
        const values = ramp(50 * 7, f);
        const file = writeCompressed(`rice${bitpix}.fits`, {
          zbitpix: bitpix,
          shape,
          cmptype,
          rows: splitTiles(values, shape, [50, 1]).map((t) => ({ data: compressTile('RICE_1', bitpix, t, { blockSize: 16, bytePix }) })),
          cards: [kw('ZNAME1', 'BLOCKSIZE'), kw('ZVAL1', 16), kw('ZNAME2', 'BYTEPIX'), kw('ZVAL2', bytePix)],
        });
        const image = await readFitsImage(file);
        expect(image.data).toBeInstanceOf(bitpix === 32 ? Float64Array : Float32Array);
        expect([bitpix, cmptype, Array.from(image.data)]).toEqual([bitpix, cmptype, values]);
      }
    }
  });

  it('GZIP_2 (byte-shuffled): 32-bit integers and lossless 32- and 64-bit floats', async () => {
    const shape = [20, 6];
    const ints = ramp(120, (i) => i * 1234567 - 70000000);
    const image32 = await readFitsImage(writeCompressed('gzip2-int.fits', { zbitpix: 32, shape, cmptype: 'GZIP_2', rows: tileRows('GZIP_2', 32, ints, shape, [20, 1]) }));
    expect(Array.from(image32.data)).toEqual(ints);

    const floats = ramp(120, (i) => (i === 7 ? NaN : Math.fround(Math.sqrt(i) * 1.7 - 3)));
    const f32 = await readFitsImage(writeCompressed('gzip2-f32.fits', { zbitpix: -32, shape, tile: [8, 3], cmptype: 'GZIP_2', rows: tileRows('GZIP_2', -32, floats, shape, [8, 3]) }));
    expect(Array.from(f32.data)).toEqual(floats);

    const doubles = ramp(120, (i) => Math.sqrt(i) / 3);
    const f64 = await readFitsImage(writeCompressed('gzip2-f64.fits', { zbitpix: -64, shape, cmptype: 'GZIP_2', rows: tileRows('GZIP_2', -64, doubles, shape, [20, 1]) }));
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.data)).toEqual(doubles);
  });

  it('NOCOMPRESS of bytes; 64-bit integers with GZIP_1 and a BLANK', async () => {
    const shape = [9, 4];
    const bytes = ramp(36, (i) => (i * 7) % 256);
    const b8 = await readFitsImage(writeCompressed('nocompress.fits', { zbitpix: 8, shape, cmptype: 'NOCOMPRESS', rows: tileRows('NOCOMPRESS', 8, bytes, shape, [9, 1]) }));
    expect(Array.from(b8.data)).toEqual(bytes);

    const big = ramp(36, (i) => (i === 3 ? -1 : i * 2 ** 40));
    const b64 = await readFitsImage(writeCompressed('gzip-64.fits', { zbitpix: 64, shape, cmptype: 'GZIP_1', rows: tileRows('GZIP_1', 64, big, shape, [9, 1]), cards: [kw('BLANK', -1)] }));
    expect(b64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(b64.data)).toEqual(big.map((v) => (v === -1 ? NaN : v)));
  });

  it('64-bit descriptors (1QB) and a gap before the heap (THEAP)', async () => {
    const shape = [30, 5];
    const values = ramp(150, (i) => i - 75);
    const file = writeCompressed('q-theap.fits', { zbitpix: 16, shape, cmptype: 'GZIP_1', rows: tileRows('GZIP_1', 16, values, shape, [30, 1]), descriptor: 'Q', heapGap: 1000 });
    const [, hdu] = await readFitsHeaders(file);
    expect(headerValue(hdu.cards, 'TFORM1')).toBe('1QB');
    expect(headerValue(hdu.cards, 'THEAP')).toBe(80 + 1000);
    const image = await readFitsImage(file);
    expect(Array.from(image.data)).toEqual(values);
    // no ZSIMPLE: the image header is that of an IMAGE extension
    expect(image.header.cards.slice(0, 7).map((c) => c.raw.trimEnd())).toEqual([
      "XTENSION= 'IMAGE   '           / image extension",
      'BITPIX  =                   16',
      'NAXIS   =                    2',
      'NAXIS1  =                   30',
      'NAXIS2  =                    5',
      'PCOUNT  =                    0 / number of parameters',
      'GCOUNT  =                    1 / number of groups',
    ]);
    expect(image.header.cards.map((c) => c.keyword)).toEqual(['XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'ZIMAGE', 'ZCMPTYPE']);
  });

  it('the first plane of a compressed cube, with tiles two planes deep', async () => {
    const shape = [6, 4, 3];
    const tile = [6, 2, 2];
    const values = ramp(72, (i) => i);
    const image = await readFitsImage(writeCompressed('cube.fits', { zbitpix: 32, shape, tile, cmptype: 'GZIP_1', rows: tileRows('GZIP_1', 32, values, shape, tile) }));
    expect([image.shape, image.width, image.height]).toEqual([[6, 4, 3], 6, 4]);
    expect(Array.from(image.data)).toEqual(values.slice(0, 24));
  });

  describe('quantised floats', () => {
    const shape = [10, 3];
    // stored integers of three tiles (rows); tile 2 could not be quantised and holds raw floats
    const q = [ramp(10, (i) => i * 5 - 20), ramp(10, () => 0), ramp(10, (i) => 1000 + i)];
    q[0][3] = NULL_VALUE;
    q[2][4] = ZERO_VALUE;
    const raw = ramp(10, (i) => Math.fround(i / 7));

    it('ZSCALE / ZZERO columns, NO_DITHER, the reference null flag, GZIP_COMPRESSED_DATA and UNCOMPRESSED_DATA tiles', async () => {
      const rows = [
        { data: compressTile('RICE_1', 32, q[0]), zscale: 0.25, zzero: 100 },
        { data: new Uint8Array(0), gzipData: gzipSync(bigEndian(-32, raw)) },
        { data: compressTile('RICE_1', 32, q[2]), zscale: 2, zzero: -1 },
      ];
      const file = writeCompressed('quantised.fits', { zbitpix: -32, shape, cmptype: 'RICE_1', rows, columns: { gzip: true, zscale: true }, cards: [kw('ZQUANTIZ', 'NO_DITHER')] });
      const image = await readFitsImage(file);
      const expected = [...q[0].map((v) => (v === NULL_VALUE ? NaN : v * 0.25 + 100)), ...raw, ...q[2].map((v) => Math.fround(v * 2 - 1))];
      expect(Array.from(image.data)).toEqual(expected);

      // the same with the raw tile in UNCOMPRESSED_DATA (1PE)
      const uncompressed = writeCompressed('quantised-uncompressed.fits', {
        zbitpix: -32,
        shape,
        cmptype: 'RICE_1',
        rows: [rows[0], { data: new Uint8Array(0), uncompressed: raw }, rows[2]],
        columns: { uncompressed: 'E', zscale: true },
      });
      expect(Array.from((await readFitsImage(uncompressed)).data)).toEqual(expected);
    });

    it('ZSCALE / ZZERO keywords, a ZBLANK column, SUBTRACTIVE_DITHER_2 keeps exact zeros', async () => {
      const rows = [0, 2].map((t, i) => ({ data: compressTile('GZIP_1', 32, q[t]), zblank: i === 0 ? q[0][0] : -5 }));
      const file = writeCompressed('dither2.fits', {
        zbitpix: -64,
        shape: [10, 2],
        cmptype: 'GZIP_1',
        rows,
        columns: { zblank: true },
        cards: [kw('ZSCALE', 0.5), kw('ZZERO', 3), kw('ZQUANTIZ', 'SUBTRACTIVE_DITHER_2'), kw('ZDITHER0', 42)],
      });
      const image = await readFitsImage(file);
      expect(image.data).toBeInstanceOf(Float64Array);
      expect(image.data[0]).toBeNaN(); // its tile's ZBLANK
      expect(image.data[10 + 4]).toBe(0); // ZERO_VALUE
      // dithered values lie within half a step of i * scale + zero
      const offsets = Array.from(image.data, (v, k) => v - ((k < 10 ? q[0][k] : q[2][k - 10]) * 0.5 + 3));
      expect(offsets.filter((d, k) => k !== 0 && k !== 14).every((d) => Math.abs(d) <= 0.25)).toBe(true);
    });

    it('refuses an unknown ZQUANTIZ and a quantised image without ZZERO', async () => {
      const rows = [{ data: compressTile('GZIP_1', 32, q[0]) }];
      const odd = writeCompressed('odd-quantiz.fits', { zbitpix: -32, shape: [10, 1], cmptype: 'GZIP_1', rows, cards: [kw('ZSCALE', 1), kw('ZZERO', 0), kw('ZQUANTIZ', 'FANCY_DITHER')] });
      expect((await fitsError(readFitsImage(odd))).reason).toBe("ZQUANTIZ = 'FANCY_DITHER' is not supported (supported: NO_DITHER, SUBTRACTIVE_DITHER_1, SUBTRACTIVE_DITHER_2)");
      const noZero = writeCompressed('no-zzero.fits', { zbitpix: -32, shape: [10, 1], cmptype: 'GZIP_1', rows, cards: [kw('ZSCALE', 1)] });
      expect((await fitsError(readFitsImage(noZero))).reason).toBe('quantised image without ZZERO column or keyword');
    });
  });
});

describe('broken and unsupported compressed images', () => {
  const simple = (overrides: Partial<CompressedHduSpec> = {}): CompressedHduSpec => ({
    zbitpix: 16,
    shape: [8, 4],
    cmptype: 'GZIP_1',
    rows: tileRows('GZIP_1', 16, Array.from({ length: 32 }, (_, i) => i), [8, 4], [8, 1]),
    ...overrides,
  });

  it('names unsupported algorithms', async () => {
    for (const cmptype of ['HCOMPRESS_1', 'PLIO_1', 'BZIP2_1']) {
      const error = await fitsError(readFitsImage(writeCompressed(`${cmptype}.fits.fz`, simple({ cmptype }))));
      expect(error.message).toBe(`${cmptype}.fits.fz, HDU 1: ${cmptype} tile compression is not supported (supported: RICE_1, GZIP_1, GZIP_2, NOCOMPRESS)`);
    }
  });

  it('refuses a heap descriptor pointing outside the heap', async () => {
    const error = await fitsError(readFitsImage(writeCompressed('bad-descriptor.fits.fz', simple({ badDescriptor: [1, 40, 1000000] }))));
    expect(error.message).toMatch(/^bad-descriptor\.fits\.fz, HDU 1: tile 2: heap descriptor of COMPRESSED_DATA \(40 bytes at offset 1000000\) points outside the heap of \d+ bytes$/);
  });

  it('reports corrupt tile data with the tile number', async () => {
    const rows = simple().rows;
    rows[2] = { data: Buffer.from('this is not gzip data') };
    const gzip = await fitsError(readFitsImage(writeCompressed('corrupt-gzip.fits.fz', simple({ rows }))));
    expect(gzip.message).toMatch(/^corrupt-gzip\.fits\.fz, HDU 1: tile 3: gzip data is corrupt \(.+\)$/);

    const riceRows = tileRows('RICE_1', 16, Array.from({ length: 32 }, (_, i) => i * 1000), [8, 4], [8, 1], 2);
    riceRows[1] = { data: riceRows[1].data.subarray(0, 4) };
    const rice = await fitsError(readFitsImage(writeCompressed('corrupt-rice.fits.fz', simple({ cmptype: 'RICE_1', rows: riceRows, cards: [kw('ZNAME1', 'BYTEPIX'), kw('ZVAL1', 2)] }))));
    expect(rice.message).toBe('corrupt-rice.fits.fz, HDU 1: tile 2: RICE_1 stream ends early: 4 bytes hold fewer than 8 pixels');

    const emptyRows = simple().rows;
    emptyRows[3] = { data: new Uint8Array(0) };
    expect((await fitsError(readFitsImage(writeCompressed('empty-tile.fits.fz', simple({ rows: emptyRows }))))).reason).toBe('tile 4 is empty: no data in COMPRESSED_DATA');

    const wrongSize = simple().rows;
    wrongSize[0] = { data: gzipSync(Buffer.alloc(5)) };
    expect((await fitsError(readFitsImage(writeCompressed('wrong-size.fits.fz', simple({ rows: wrongSize }))))).reason).toBe('tile 1: 5 bytes of data do not make 8 pixels');
  });

  it('refuses a table whose rows do not match the tiles', async () => {
    const rows = simple().rows.slice(0, 3);
    const error = await fitsError(readFitsImage(writeCompressed('few-rows.fits.fz', simple({ rows }))));
    expect(error.reason).toBe('the table has 3 rows but the image has 4 tiles of 8 x 1 pixels');
  });

  it('refuses absurd image and tile sizes before allocating', async () => {
    const huge = await fitsError(readFitsImage(writeCompressed('huge.fits.fz', simple({ shape: [1000000, 1000000] }))));
    expect(huge.reason).toBe('image of 1000000 x 1000000 = 1,000,000,000,000 pixels is over the limit of 100,000,000 pixels');
    const deep = await fitsError(readFitsImage(writeCompressed('deep-tiles.fits.fz', simple({ shape: [100, 100, 1000], tile: [100, 100, 1000] })), { maxPixels: 1000000 }));
    expect(deep.reason).toBe('tiles of 100 x 100 x 1000 pixels are over the limit of 1,000,000 pixels');
    const many = await fitsError(readFitsImage(writeCompressed('many-tiles.fits.fz', simple({ shape: [5000, 5000, 1000000], tile: [1, 1, 1] }))));
    expect(many.reason).toMatch(/tiles: more than the limit of 100,000,000 pixels$/);
  });

  it('refuses the M13 file with a corrupted descriptor, and cut short', async () => {
    const bytes = readFileSync(fixture('M13_blue_0001.fits.fz'));
    const corrupt = Buffer.from(bytes);
    corrupt.writeUInt32BE(0x7fffffff, 8640 + 8 * 5); // tile 6: byte count
    const error = await fitsError(readFitsImage(tmp.write('M13-corrupt.fits.fz', corrupt)));
    expect(error.message).toMatch(/^M13-corrupt\.fits\.fz, HDU 1: tile 6: heap descriptor of COMPRESSED_DATA \(2147483647 bytes at offset \d+\) points outside the heap of 1363845 bytes$/);

    const cut = await fitsError(readFitsImage(tmp.write('M13-cut.fits.fz', bytes.subarray(0, 700000))));
    expect(cut.message).toMatch(/^M13-cut\.fits\.fz, HDU 1: data runs past end of file/);
    const cutGz = await fitsError(readFitsImage(tmp.write('M13-cut.fits.fz.gz', gzipSync(bytes.subarray(0, 700000)))));
    expect(cutGz.message).toMatch(/^M13-cut\.fits\.fz\.gz, HDU 1: data runs past end of file: the heap of compressed tiles needs/);
  });
});
