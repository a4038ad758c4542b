import { readFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { findImageHdu, FitsError, FitsHduHeader, FitsImage, headerValue, imageHeaderOf, readFitsHeaders, readFitsImage } from './index';
import { compressedHdu, compressTile, emptyPrimary, header, imageHdu, kw, padded, TempDir } from './testing/make-fits';

const FIXTURES = join(__dirname, '../../test/fixtures');
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

let tmp: TempDir;
beforeAll(() => {
  tmp = new TempDir();
});
afterAll(() => tmp.remove());

/** Expects the promise to reject with a FitsError and returns it. */
async function fitsError(promise: Promise<unknown>): Promise<FitsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FitsError);
  return error as FitsError;
}

/** The pixel at FITS 1-based (x, y). */
const pixel = (image: FitsImage, x: number, y: number) => image.data[(y - 1) * image.width + (x - 1)];

describe('readFitsImage: every BITPIX', () => {
  it('BITPIX 8: unsigned bytes, BZERO/BSCALE, BLANK -> NaN, Float32Array', async () => {
    const file = tmp.write('b8.fits', imageHdu({ bitpix: 8, naxis: [3, 2], values: [0, 1, 127, 128, 255, 200], cards: [kw('BZERO', -128), kw('BLANK', 200)] }));
    const image = await readFitsImage(file);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(Array.from(image.data)).toEqual([-128, -127, -1, 0, 127, NaN]);
    expect([image.file, image.hduIndex, image.bitpix, image.width, image.height, image.shape]).toEqual(['b8.fits', 0, 8, 3, 2, [3, 2]]);
  });

  it('BITPIX 16: signed, BSCALE and BZERO, BLANK -> NaN', async () => {
    const file = tmp.write('b16.fits', imageHdu({ bitpix: 16, naxis: [2, 2], values: [-32768, -1, 32767, 7], cards: [kw('BSCALE', 0.5), kw('BZERO', 10), kw('BLANK', -32768)] }));
    const image = await readFitsImage(file);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(Array.from(image.data)).toEqual([NaN, 9.5, 16393.5, 13.5]);
  });

  it('BITPIX 16 with BZERO 32768: unsigned 16-bit values exactly', async () => {
    const stored = [-32768, -32767, -1, 0, 1, 32767];
    const file = tmp.write('u16.fits', imageHdu({ bitpix: 16, naxis: [6, 1], values: stored, cards: [kw('BSCALE', 1), kw('BZERO', 32768)] }));
    const image = await readFitsImage(file, { hdu: 0 });
    expect(Array.from(image.data)).toEqual([0, 1, 32767, 32768, 32769, 65535]);
  });

  it('BITPIX 32: Float64Array, exact for all 32-bit values, BZERO 2147483648 for unsigned', async () => {
    const stored = [-2147483648, -2147483647, -1, 0, 2147483647, 123456789];
    const signed = await readFitsImage(tmp.write('b32.fits', imageHdu({ bitpix: 32, naxis: [3, 2], values: stored, cards: [kw('BLANK', 123456789)] })));
    expect(signed.data).toBeInstanceOf(Float64Array);
    expect(Array.from(signed.data)).toEqual([-2147483648, -2147483647, -1, 0, 2147483647, NaN]);
    const unsigned = await readFitsImage(tmp.write('u32.fits', imageHdu({ bitpix: 32, naxis: [3, 2], values: stored, cards: [kw('BZERO', 2147483648)] })));
    expect(Array.from(unsigned.data)).toEqual([0, 1, 2147483647, 2147483648, 4294967295, 2147483648 + 123456789]);
  });

  it('BITPIX 64: Float64Array, values beyond 2^53 rounded like Number(BigInt), BLANK compared exactly', async () => {
    const stored = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 2n ** 53n + 1n, 2n ** 62n + 12345n, -(2n ** 63n) + 1n];
    const file = tmp.write('b64.fits', imageHdu({ bitpix: 64, naxis: [3, 2], values: stored, cards: [kw('BLANK', '-9223372036854775807'.padStart(20)).replace(/'/g, ' ')] }));
    const [hdu] = await readFitsHeaders(file);
    expect(hdu.cards.find((c) => c.keyword === 'BLANK')?.raw).toContain('-9223372036854775807');
    const image = await readFitsImage(file);
    expect(image.data).toBeInstanceOf(Float64Array);
    // the BLANK value -(2^63) + 1 is NaN; -(2^63), which is the same double, is not
    expect(Array.from(image.data)).toEqual([Number(stored[0]), Number(stored[1]), -1, Number(stored[3]), Number(stored[4]), NaN]);
  });

  it('BITPIX -32: NaN stays NaN, BLANK ignored, BSCALE/BZERO applied', async () => {
    const stored = [1.5, -2.25, NaN, 3.4028234663852886e38, -0, 1e-30];
    const plain = await readFitsImage(tmp.write('f32.fits', imageHdu({ bitpix: -32, naxis: [3, 2], values: stored, cards: [kw('BLANK', 0)] })));
    expect(plain.data).toBeInstanceOf(Float32Array);
    expect(Array.from(plain.data)).toEqual(stored.map(Math.fround));
    const scaled = await readFitsImage(tmp.write('f32-scaled.fits', imageHdu({ bitpix: -32, naxis: [3, 2], values: stored, cards: [kw('BSCALE', 2), kw('BZERO', 1)] })));
    expect(Array.from(scaled.data.subarray(0, 3))).toEqual([4, -3.5, NaN]);
  });

  it('BITPIX -64: Float64Array with full precision', async () => {
    const stored = [Math.PI, -Number.MAX_VALUE, NaN, 5e-324];
    const image = await readFitsImage(tmp.write('f64.fits', imageHdu({ bitpix: -64, naxis: [2, 2], values: stored })));
    expect(image.data).toBeInstanceOf(Float64Array);
    expect(Array.from(image.data)).toEqual(stored);
  });

  it('reads only the first plane of a cube, and a 1-D image as one row', async () => {
    const cube = await readFitsImage(tmp.write('cube.fits', imageHdu({ bitpix: 16, naxis: [2, 3, 4], values: Array.from({ length: 24 }, (_, i) => i) })));
    expect([cube.width, cube.height, cube.shape]).toEqual([2, 3, [2, 3, 4]]);
    expect(Array.from(cube.data)).toEqual([0, 1, 2, 3, 4, 5]);

    const line = tmp.write('line.fits', imageHdu({ bitpix: 32, naxis: [5], values: [5, 4, 3, 2, 1] }));
    expect((await fitsError(readFitsImage(line))).reason).toMatch(/^no image HDU/);
    const row = await readFitsImage(line, { hdu: 0 });
    expect([row.width, row.height, row.shape, Array.from(row.data)]).toEqual([5, 1, [5], [5, 4, 3, 2, 1]]);
  });

  it('converts images bigger than one read chunk (4 MiB) of every integer type', async () => {
    for (const bitpix of [8, 16, 32, 64]) {
      const width = 1024;
      const height = Math.ceil((4 * 1024 * 1024) / (bitpix / 8) / width) + 3; // a chunk and a bit
      const values = Int32Array.from({ length: width * height }, (_, i) => (bitpix === 8 ? i % 251 : (i % 60001) - 30000));
      const bytes = imageHdu({ bitpix, naxis: [width, height], values });
      for (const file of [tmp.write(`big${bitpix}.fits`, bytes), tmp.write(`big${bitpix}.fits.gz`, gzipSync(bytes, { level: 1 }))]) {
        const image = await readFitsImage(file);
        expect(image.data).toHaveLength(values.length);
        const mismatch = values.findIndex((v, i) => image.data[i] !== v);
        expect([bitpix, file.endsWith('.gz'), mismatch]).toEqual([bitpix, file.endsWith('.gz'), -1]);
      }
    }
  });
});

describe('readFitsImage on the sample files', () => {
  it('HorseHead.fits: 891x893 int16, pixels as a direct read of the bytes gives them', async () => {
    const image = await readFitsImage(fixture('HorseHead.fits'));
    expect([image.file, image.hduIndex, image.bitpix, image.width, image.height, image.shape]).toEqual(['HorseHead.fits', 0, 16, 891, 893, [891, 893]]);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(image.data).toHaveLength(891 * 893);
    expect(headerValue(image.header.cards, 'NAXIS1')).toBe(891);
    expect(image.header.type).toBe('PRIMARY');

    const raw = readFileSync(fixture('HorseHead.fits'));
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const at = (x: number, y: number) => view.getInt16(14400 + 2 * ((y - 1) * 891 + (x - 1)), false);
    for (const [x, y] of [[1, 1], [2, 1], [891, 1], [1, 2], [100, 200], [446, 447], [891, 893]]) {
      expect([x, y, pixel(image, x, y)]).toEqual([x, y, at(x, y)]);
    }
    expect(pixel(image, 1, 1)).toBe(7201);
    // DATAMIN / DATAMAX of the header
    let min = Infinity;
    let max = -Infinity;
    for (const v of image.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([3759, 22918]);
  });

  it('aia_171_level1.fits: 128x128 float64 (its BLANK card does not apply to floats)', async () => {
    const image = await readFitsImage(fixture('aia_171_level1.fits'));
    expect(image.data).toBeInstanceOf(Float64Array);
    const raw = readFileSync(fixture('aia_171_level1.fits'));
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (const [x, y] of [[1, 1], [64, 64], [128, 128], [17, 99]]) {
      expect(pixel(image, x, y)).toBe(view.getFloat64(17280 + 8 * ((y - 1) * 128 + (x - 1)), false));
    }
  });

  it('M13 .fits.gz: 1392x1040 unsigned 16-bit through BZERO 32768', async () => {
    const image = await readFitsImage(fixture('m13-blue-2013-05-05', 'M13_blue_0001.fits.gz'));
    expect([image.width, image.height, image.bitpix]).toEqual([1392, 1040, 16]);
    expect(image.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 65535)).toBe(true);
    // the same bytes ungzipped
    const raw = require('zlib').gunzipSync(readFileSync(fixture('m13-blue-2013-05-05', 'M13_blue_0001.fits.gz'))) as Buffer;
    expect(pixel(image, 700, 500)).toBe(raw.readInt16BE(2880 + 2 * (499 * 1392 + 699)) + 32768);
  });

  it('a gzipped copy of a file gives the same pixels', async () => {
    const plain = await readFitsImage(fixture('HorseHead.fits'));
    const gz = await readFitsImage(tmp.write('HorseHead.fits.gz', gzipSync(readFileSync(fixture('HorseHead.fits')))));
    expect(gz.data).toHaveLength(plain.data.length);
    expect(gz.data.findIndex((v, i) => v !== plain.data[i])).toBe(-1);
    expect(gz.file).toBe('HorseHead.fits.gz');
  });
});

describe('readFitsImage: choosing the HDU', () => {
  const mef = () =>
    tmp.write(
      'mef.fits',
      emptyPrimary(),
      header("XTENSION= 'BINTABLE'", kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 4), kw('NAXIS2', 2), kw('PCOUNT', 0), kw('GCOUNT', 1), kw('TFIELDS', 1), kw('TFORM1', '1J')),
      padded(Buffer.alloc(8)),
      imageHdu({ bitpix: 16, naxis: [4], values: [1, 2, 3, 4], primary: false }),
      imageHdu({ bitpix: 16, naxis: [2, 2], values: [5, 6, 7, 8], primary: false, cards: [kw('EXTNAME', 'SCI')] }),
      imageHdu({ bitpix: -32, naxis: [1, 2], values: [9, 10], primary: false }),
    );

  it('takes the first HDU with a 2-D image by default, any HDU by number', async () => {
    const file = mef();
    const first = await readFitsImage(file);
    expect([first.hduIndex, Array.from(first.data)]).toEqual([3, [5, 6, 7, 8]]);
    expect(headerValue(first.header.cards, 'EXTNAME')).toBe('SCI');
    expect(Array.from((await readFitsImage(file, { hdu: 4 })).data)).toEqual([9, 10]);
    expect(Array.from((await readFitsImage(file, { hdu: 2 })).data)).toEqual([1, 2, 3, 4]);
    const gz = await readFitsImage(tmp.write('mef.fits.gz', gzipSync(readFileSync(file))), { hdu: 4 });
    expect(Array.from(gz.data)).toEqual([9, 10]);
  });

  it('names the HDU that holds no image, and HDUs that do not exist', async () => {
    const file = mef();
    expect((await fitsError(readFitsImage(file, { hdu: 0 }))).message).toBe('mef.fits, HDU 0: no image data (NAXIS = 0)');
    expect((await fitsError(readFitsImage(file, { hdu: 1 }))).message).toBe('mef.fits, HDU 1: not an image: a BINTABLE extension');
    expect((await fitsError(readFitsImage(file, { hdu: 7 }))).message).toBe('mef.fits: there is no HDU 7 (the file has 5 HDUs)');
  });

  it('says "no image HDU" when there is none', async () => {
    const file = tmp.write('no-image.fits', emptyPrimary(), header("XTENSION= 'IMAGE   '", kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 0), kw('NAXIS2', 5), kw('PCOUNT', 0), kw('GCOUNT', 1)));
    const error = await fitsError(readFitsImage(file));
    expect(error.message).toBe('no-image.fits: no image HDU (the file has 2 HDUs: PRIMARY without data, IMAGE 0x5)');
    expect((await fitsError(readFitsImage(file, { hdu: 1 }))).reason).toBe('the image has no pixels (NAXIS1 = 0)');
  });

  it('rejects bad options', async () => {
    await expect(readFitsImage(fixture('HorseHead.fits'), { hdu: -1 })).rejects.toThrow(RangeError);
    await expect(readFitsImage(fixture('HorseHead.fits'), { hdu: 0.5 })).rejects.toThrow(RangeError);
    await expect(readFitsImage(fixture('HorseHead.fits'), { maxPixels: 0 })).rejects.toThrow(RangeError);
  });

  it('lets I/O errors through unchanged', async () => {
    await expect(readFitsImage(join(tmp.path, 'missing.fits'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('findImageHdu and imageHeaderOf', () => {
  const hdu = (index: number, type: FitsHduHeader['type'], naxis: number[], cards: FitsHduHeader['cards'] = []): FitsHduHeader => ({
    index,
    type,
    cards,
    headerOffset: 0,
    dataOffset: 0,
    dataSize: 0,
    bitpix: 16,
    naxis,
  });

  it('finds the first 2-D image or compressed image', () => {
    expect(findImageHdu([hdu(0, 'PRIMARY', []), hdu(1, 'BINTABLE', [8, 2]), hdu(2, 'IMAGE', [10]), hdu(3, 'IMAGE', [0, 4]), hdu(4, 'IMAGE', [3, 4, 2])])?.index).toBe(4);
    expect(findImageHdu([hdu(0, 'PRIMARY', [5, 5]), hdu(1, 'COMPRESSED_IMAGE', [8, 2])])?.index).toBe(0);
    expect(findImageHdu([hdu(0, 'PRIMARY', []), hdu(1, 'COMPRESSED_IMAGE', [8, 2])])?.index).toBe(1);
    expect(findImageHdu([hdu(0, 'PRIMARY', [0, 3, 4]), hdu(1, 'TABLE', [10, 10])])).toBeUndefined();
    expect(findImageHdu([])).toBeUndefined();
  });

  it('gives the HDU itself for uncompressed HDUs', async () => {
    const [primary, table] = await readFitsHeaders(fixture('HorseHead.fits'));
    expect(imageHeaderOf(primary)).toEqual({ bitpix: 16, shape: [891, 893], cards: primary.cards });
    expect(imageHeaderOf(table).shape).toEqual([24, 1600]);
  });

  it('rewrites a compressed HDU header as the image header', async () => {
    const hdus = await readFitsHeaders(fixture('M13_blue_0001.fits.fz'));
    const image = imageHeaderOf(hdus[1]);
    expect([image.bitpix, image.shape]).toEqual([16, [1392, 1040]]);
    expect(image.cards.slice(0, 5).map((c) => c.raw.slice(0, 30))).toEqual([
      'SIMPLE  =                    T', // from ZSIMPLE: the image was a primary array
      'BITPIX  =                   16',
      'NAXIS   =                    2',
      'NAXIS1  =                 1392',
      'NAXIS2  =                 1040',
    ]);
    const value = (keyword: string) => headerValue(image.cards, keyword);
    expect([value('PCOUNT'), value('GCOUNT'), value('TFIELDS'), value('TTYPE1'), value('TFORM1'), value('ZNAXIS1'), value('ZBITPIX')]).toEqual(Array(7).fill(undefined));
    expect([value('BZERO'), value('ZCMPTYPE'), value('ZIMAGE'), value('ZTILE1'), value('DATE-OBS'), value('EXTNAME')]).toEqual([32768, 'RICE_1', true, 1392, '2013-05-05T04:09:39', undefined]);
    expect(image.cards.every((c) => c.raw.length === 80 || c.raw.includes('\n'))).toBe(true);

    const horsehead = imageHeaderOf((await readFitsHeaders(fixture('compressed', 'horsehead_float_rice_dither1.fits.fz')))[1], 'x.fz');
    expect(horsehead.cards[0].raw).toBe('SIMPLE  =                    T / FITS: Compliance'.padEnd(80));
    const h = (keyword: string) => headerValue(horsehead.cards, keyword);
    expect([h('BITPIX'), h('NAXIS1'), h('NAXIS2'), h('PCOUNT'), h('EXTEND'), h('ZEXTEND'), h('ZSIMPLE')]).toEqual([-32, 891, 893, undefined, true, undefined, undefined]);
    expect([h('CTYPE1'), h('CRPIX2'), h('ZQUANTIZ'), h('ZDITHER0')]).toEqual(['RA---TAN', 447, 'SUBTRACTIVE_DITHER_1', 8503]);
  });

  it('throws a FitsError for a compressed header without ZBITPIX', () => {
    const broken = hdu(2, 'COMPRESSED_IMAGE', [8, 1], [{ keyword: 'ZNAXIS', value: 0, comment: '', raw: kw('ZNAXIS', 0).padEnd(80) }]);
    expect(() => imageHeaderOf(broken, 'broken.fz')).toThrow(new FitsError('missing ZBITPIX keyword', 'broken.fz', 2));
  });
});

describe('readFitsImage on broken and absurd files', () => {
  const horsehead = () => readFileSync(fixture('HorseHead.fits'));

  it('reports data cut short in a plain and in a gzip file', async () => {
    const plain = await fitsError(readFitsImage(tmp.write('hh-cut.fits', horsehead().subarray(0, 500000))));
    expect(plain.message).toMatch(/^hh-cut\.fits, HDU 0: data runs past end of file/);
    const gz = await fitsError(readFitsImage(tmp.write('hh-cut.fits.gz', gzipSync(horsehead().subarray(0, 500000)))));
    expect(gz.message).toBe('hh-cut.fits.gz, HDU 0: data runs past end of file: the image data needs 1591326 bytes from byte 0 of the data, the file has 485600');
  });

  it('reports a corrupt gzip stream inside the data', async () => {
    // a second gzip member whose first deflate block has the reserved type 3
    const broken = gzipSync(horsehead().subarray(500000));
    broken[10] = 0xff;
    const error = await fitsError(readFitsImage(tmp.write('hh-corrupt.fits.gz', gzipSync(horsehead().subarray(0, 500000)), broken)));
    expect(error.message).toMatch(/^hh-corrupt\.fits\.gz, HDU 0: gzip data is corrupt \(.+\)$/);
  });

  it('refuses an absurd NAXIS before allocating, as too large before cut short', async () => {
    const absurd = Buffer.concat([
      header('SIMPLE  =                    T', kw('BITPIX', -64), kw('NAXIS', 2), kw('NAXIS1', 1000000), kw('NAXIS2', 1000000)),
      Buffer.alloc(2000),
    ]);
    const plain = await fitsError(readFitsImage(tmp.write('absurd.fits', absurd)));
    expect(plain.message).toBe('absurd.fits, HDU 0: image of 1000000 x 1000000 = 1,000,000,000,000 pixels is over the limit of 100,000,000 pixels');
    const gz = await fitsError(readFitsImage(tmp.write('absurd.fits.gz', gzipSync(absurd))));
    expect(gz.message).toBe('absurd.fits.gz, HDU 0: image of 1000000 x 1000000 = 1,000,000,000,000 pixels is over the limit of 100,000,000 pixels');
    // Within the budget, the same header cut short is what it is.
    const small = Buffer.concat([header('SIMPLE  =                    T', kw('BITPIX', -64), kw('NAXIS', 2), kw('NAXIS1', 1000), kw('NAXIS2', 1000)), Buffer.alloc(2000)]);
    const cut = await fitsError(readFitsImage(tmp.write('cut.fits', small)));
    expect(cut.message).toMatch(/^cut\.fits, HDU 0: data runs past end of file: header says 8000000 bytes/);

    const limited = await fitsError(readFitsImage(fixture('HorseHead.fits'), { maxPixels: 1000 }));
    expect(limited.reason).toBe('image of 891 x 893 = 795,663 pixels is over the limit of 1,000 pixels');
  });

  it('refuses an invalid BSCALE', async () => {
    const file = tmp.write('bad-bscale.fits', imageHdu({ bitpix: 16, naxis: [2, 2], values: [1, 2, 3, 4], cards: ["BSCALE  = 'two'"] }));
    expect((await fitsError(readFitsImage(file))).reason).toBe("invalid BSCALE = 'two' (must be a number)");
  });

  it('reads a compressed HDU from a gzipped file and reports one cut short', async () => {
    const values = Array.from({ length: 40 * 30 }, (_, i) => (i * 37) % 1000);
    const rows = Array.from({ length: 30 }, (_, y) => ({ data: compressTile('GZIP_1', 16, values.slice(y * 40, y * 40 + 40)) }));
    const bytes = Buffer.concat([emptyPrimary(), compressedHdu({ zbitpix: 16, shape: [40, 30], cmptype: 'GZIP_1', rows })]);
    const image = await readFitsImage(tmp.write('c.fits.gz', gzipSync(bytes)));
    expect(Array.from(image.data)).toEqual(values);
    const cut = await fitsError(readFitsImage(tmp.write('c-cut.fits.gz', gzipSync(bytes.subarray(0, 2880 * 2 + 240 + 100)))));
    expect(cut.message).toMatch(/^c-cut\.fits\.gz, HDU 1: data runs past end of file: the heap of compressed tiles needs \d+ bytes/);
  });
});
