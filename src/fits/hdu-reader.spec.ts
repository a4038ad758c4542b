import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { FitsError, FitsHduHeader, headerValue, readFitsHeaders } from './index';

const FIXTURES = join(__dirname, '../../test/fixtures');
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fits-spec-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function writeTmp(name: string, ...parts: Buffer[]): string {
  const file = join(tmp, name);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** A header from card texts, END appended, padded with blanks to whole blocks. */
function header(...texts: string[]): Buffer {
  const tooLong = texts.find((t) => t.length > 80);
  if (tooLong) throw new Error(`card longer than 80 characters: ${tooLong}`);
  const body = [...texts, 'END'].map((t) => t.padEnd(80, ' ')).join('');
  return Buffer.from(body.padEnd(Math.ceil(body.length / 2880) * 2880, ' '), 'latin1');
}

/** `size` data bytes, zero-padded to whole blocks unless `pad` is false. */
function data(size: number, pad = true): Buffer {
  return Buffer.alloc(pad ? Math.ceil(size / 2880) * 2880 : size);
}

const kw = (name: string, value: string | number) => `${name.padEnd(8)}= ${String(value).padStart(20)}`;

/** Expects the promise to reject with a FitsError and returns it. */
async function fitsError(promise: Promise<unknown>): Promise<FitsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FitsError);
  return error as FitsError;
}

function summary(hdu: FitsHduHeader) {
  return {
    index: hdu.index,
    type: hdu.type,
    headerOffset: hdu.headerOffset,
    dataOffset: hdu.dataOffset,
    dataSize: hdu.dataSize,
    bitpix: hdu.bitpix,
    naxis: hdu.naxis,
  };
}

describe('readFitsHeaders on the sample files', () => {
  it('HorseHead.fits: 16-bit 891x893 primary image and an ASCII table', async () => {
    const hdus = await readFitsHeaders(fixture('HorseHead.fits'));
    expect(hdus.map(summary)).toEqual([
      { index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 14400, dataSize: 1591326, bitpix: 16, naxis: [891, 893] },
      { index: 1, type: 'TABLE', headerOffset: 1607040, dataOffset: 1609920, dataSize: 38400, bitpix: 8, naxis: [24, 1600] },
    ]);
    const [primary, table] = hdus;
    expect(primary.cards).toHaveLength(161);
    expect(primary.cards[0].keyword).toBe('SIMPLE');
    expect(primary.cards[160].keyword).not.toBe('END');
    expect(headerValue(primary.cards, 'DATE-OBS')).toBe('1990-12-22T13:49:00');
    expect(headerValue(primary.cards, 'REFK2')).toBe(-102122.55);
    expect(headerValue(primary.cards, 'AMDX4')).toBe(-2.68934864702e-5);
    expect(headerValue(table.cards, 'XTENSION')).toBe('TABLE');
    expect(headerValue(table.cards, 'TFIELDS')).toBe(4);
    expect(headerValue(table.cards, 'EXTNAME')).toBe('er.mask');
    expect(headerValue(table.cards, 'TTYPE4')).toBe('ETA_CORR');
    expect(table.cards).toHaveLength(25);
  });

  it('aia_171_level1.fits: one 128x128 double-precision image', async () => {
    const hdus = await readFitsHeaders(fixture('aia_171_level1.fits'));
    expect(hdus.map(summary)).toEqual([
      { index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 17280, dataSize: 131072, bitpix: -64, naxis: [128, 128] },
    ]);
    expect(headerValue(hdus[0].cards, 'DATE-OBS')).toBe('2011-02-15T00:00:00.34');
    const comments = hdus[0].cards.filter((c) => c.keyword === 'COMMENT').map((c) => c.comment);
    expect(comments).toEqual([
      "FITS (Flexible Image Transport System) format is defined in 'Astronomy",
      "and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H",
    ]);
  });

  it('M13_blue_0001.fits.fz: empty primary and a tile-compressed image', async () => {
    const hdus = await readFitsHeaders(fixture('M13_blue_0001.fits.fz'));
    expect(hdus.map(summary)).toEqual([
      { index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 2880, dataSize: 0, bitpix: 8, naxis: [] },
      // 8 * 1040 table bytes + 1363845 heap bytes
      { index: 1, type: 'COMPRESSED_IMAGE', headerOffset: 2880, dataOffset: 8640, dataSize: 1372165, bitpix: 8, naxis: [8, 1040] },
    ]);
    const image = hdus[1].cards;
    expect(headerValue(image, 'ZIMAGE')).toBe(true);
    expect(headerValue(image, 'ZBITPIX')).toBe(16);
    expect(headerValue(image, 'ZNAXIS1')).toBe(1392);
    expect(headerValue(image, 'ZNAXIS2')).toBe(1040);
    expect(headerValue(image, 'ZCMPTYPE')).toBe('RICE_1');
    expect(headerValue(image, 'BZERO')).toBe(32768);
    expect(headerValue(image, 'PCOUNT')).toBe(1363845);
    expect(headerValue(image, 'DATE-OBS')).toBe('2013-05-05T04:09:39');
    expect(image[image.length - 1]).toMatchObject({ keyword: 'HISTORY', value: null, comment: ' Process Calibrate' });
  });

  it('m13-blue-2013-05-05/*.fits.gz: gzip files, one 1392x1040 16-bit image each', async () => {
    const expectedDates = ['2013-05-05T04:09:39', '2013-05-05T04:09:51', '2013-05-05T04:10:02', '2013-05-05T04:10:14', '2013-05-05T04:10:26'];
    const files = readdirSync(fixture('m13-blue-2013-05-05')).sort();
    expect(files).toHaveLength(5);
    for (const [i, name] of files.entries()) {
      const hdus = await readFitsHeaders(fixture('m13-blue-2013-05-05', name));
      expect(hdus.map(summary)).toEqual([
        { index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 2880, dataSize: 2895360, bitpix: 16, naxis: [1392, 1040] },
      ]);
      const cards = hdus[0].cards;
      expect(headerValue(cards, 'BZERO')).toBe(32768);
      expect(headerValue(cards, 'BSCALE')).toBe(1);
      expect(headerValue(cards, 'EXPTIME')).toBe(5);
      expect(headerValue(cards, 'INSTRUME')).toBe('Orion SSDSI');
      expect(headerValue(cards, 'DATE-OBS')).toBe(expectedDates[i]);
    }
  });

  it('eit-195-2004-03-01/*.fits: 13 hourly 128x128 images with DATE-OBS matching the file name', async () => {
    const files = readdirSync(fixture('eit-195-2004-03-01')).sort();
    expect(files).toHaveLength(13);
    for (const name of files) {
      const hdus = await readFitsHeaders(fixture('eit-195-2004-03-01', name));
      expect(hdus.map(summary)).toEqual([
        { index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 8640, dataSize: 131072, bitpix: -64, naxis: [128, 128] },
      ]);
      // efz20040301.HHMMSS_s.fits
      const time = name.slice(12, 18).replace(/(\d\d)(\d\d)(\d\d)/, '$1:$2:$3');
      expect(headerValue(hdus[0].cards, 'DATE-OBS')).toMatch(new RegExp(`^2004-03-01T${time}\\.\\d{3}$`));
    }
    const first = (await readFitsHeaders(fixture('eit-195-2004-03-01', 'efz20040301.000010_s.fits')))[0].cards;
    expect(headerValue(first, 'DATE-OBS')).toBe('2004-03-01T00:00:10.515');
    expect(headerValue(first, 'DATE_OBS')).toBe('2004-03-01T00:00:10.515Z');
    expect(headerValue(first, 'WAVELNTH')).toBe(195);
    expect(headerValue(first, 'TELESCOP')).toBe('SOHO');
    expect(headerValue(first, 'HEC_X')).toBe(-139130208);
    // the WAVELNTH comment goes on in a blank-keyword card
    const wavelength = first.findIndex((c) => c.keyword === 'WAVELNTH');
    expect(first[wavelength].comment).toBe('171 = Fe IX/X, 195 = Fe XII,');
    expect(first[wavelength + 1]).toMatchObject({ keyword: '', value: null });
    expect(first[wavelength + 1].comment.trim()).toBe('/ 284 = Fe XV, 304 = He II');
  });

  it('compressed/*.fits.fz: tile-compressed horsehead images', async () => {
    const expected: Record<string, { zbitpix: number; zcmptype: string; dataOffset: number; dataSize: number; naxis1: number }> = {
      'horsehead_float_gzip2.fits.fz': { zbitpix: -32, zcmptype: 'GZIP_2', dataOffset: 17280, dataSize: 1580746, naxis1: 8 },
      'horsehead_float_rice_dither1.fits.fz': { zbitpix: -32, zcmptype: 'RICE_1', dataOffset: 20160, dataSize: 667440, naxis1: 32 },
      'horsehead_float_rice_dither2.fits.fz': { zbitpix: -32, zcmptype: 'RICE_1', dataOffset: 20160, dataSize: 667445, naxis1: 32 },
      'horsehead_float_rice_nodither.fits.fz': { zbitpix: -32, zcmptype: 'RICE_1', dataOffset: 20160, dataSize: 667429, naxis1: 32 },
      'horsehead_int16_gzip1.fits.fz': { zbitpix: 16, zcmptype: 'GZIP_1', dataOffset: 17280, dataSize: 1402190, naxis1: 8 },
    };
    const files = readdirSync(fixture('compressed')).filter((f) => f.endsWith('.fz')).sort();
    expect(files).toEqual(Object.keys(expected).sort());
    for (const name of files) {
      const want = expected[name];
      const hdus = await readFitsHeaders(fixture('compressed', name));
      expect(hdus.map((h) => h.type)).toEqual(['PRIMARY', 'COMPRESSED_IMAGE']);
      expect(summary(hdus[1])).toEqual({
        index: 1,
        type: 'COMPRESSED_IMAGE',
        headerOffset: 2880,
        dataOffset: want.dataOffset,
        dataSize: want.dataSize,
        bitpix: 8,
        naxis: [want.naxis1, 893],
      });
      const cards = hdus[1].cards;
      expect(headerValue(cards, 'ZBITPIX')).toBe(want.zbitpix);
      expect(headerValue(cards, 'ZCMPTYPE')).toBe(want.zcmptype);
      expect(headerValue(cards, 'ZNAXIS1')).toBe(891);
      expect(headerValue(cards, 'ZNAXIS2')).toBe(893);
      expect(headerValue(cards, 'DATE-OBS')).toBe('1990-12-22T13:49:00');
    }
  });

  it('stops after maxHdus headers', async () => {
    const hdus = await readFitsHeaders(fixture('HorseHead.fits'), { maxHdus: 1 });
    expect(hdus.map((h) => h.type)).toEqual(['PRIMARY']);
    const gz = await readFitsHeaders(fixture('m13-blue-2013-05-05', 'M13_blue_0003.fits.gz'), { maxHdus: 1 });
    expect(headerValue(gz[0].cards, 'DATE-OBS')).toBe('2013-05-05T04:10:02');
  });

  it('rejects a maxHdus that is not a positive integer', async () => {
    await expect(readFitsHeaders(fixture('HorseHead.fits'), { maxHdus: 0 })).rejects.toThrow(RangeError);
    await expect(readFitsHeaders(fixture('HorseHead.fits'), { maxHdus: 1.5 })).rejects.toThrow(RangeError);
  });

  it('lets I/O errors through unchanged', async () => {
    await expect(readFitsHeaders(join(tmp, 'does-not-exist.fits'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readFitsHeaders on gzip files', () => {
  const horsehead = () => readFileSync(fixture('HorseHead.fits'));

  it('detects gzip by its magic bytes, not by the name, and walks every HDU of the stream', async () => {
    const file = writeTmp('horsehead-gzipped-without-gz-suffix.fits', gzipSync(horsehead()));
    const hdus = await readFitsHeaders(file);
    const plain = await readFitsHeaders(fixture('HorseHead.fits'));
    expect(hdus.map(summary)).toEqual(plain.map(summary));
    expect(hdus[1].cards).toEqual(plain[1].cards);
  });

  it('reads a stream made of several gzip members', async () => {
    const bytes = horsehead();
    const file = writeTmp('horsehead-two-members.fits.gz', gzipSync(bytes.subarray(0, 100000)), gzipSync(bytes.subarray(100000)));
    expect((await readFitsHeaders(file)).map((h) => h.type)).toEqual(['PRIMARY', 'TABLE']);
  });

  it('reports a header truncated inside a gzip file', async () => {
    const file = writeTmp('horsehead-head.fits.gz', gzipSync(horsehead().subarray(0, 5000)));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toMatch(/^horsehead-head\.fits\.gz, HDU 0: truncated header/);
    expect(error.hdu).toBe(0);
  });

  it('reports data cut short inside a gzip file', async () => {
    const file = writeTmp('horsehead-cut.fits.gz', gzipSync(horsehead().subarray(0, 1000000)));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toContain('horsehead-cut.fits.gz, HDU 0: data runs past end of file: header says 1591326 bytes, file has 985600');
  });

  it('treats a gzip stream that stops early as the end of the file', async () => {
    const compressed = gzipSync(horsehead());
    const file = writeTmp('horsehead-stream-cut.fits.gz', compressed.subarray(0, Math.floor(compressed.length / 2)));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.reason).toMatch(/^data runs past end of file: header says 1591326 bytes, file has \d+/);
    expect(error.hdu).toBe(0);
  });

  it('reports corrupt gzip data as a FitsError', async () => {
    const compressed = gzipSync(horsehead());
    compressed[10] = 0xff; // first deflate block: final, with the reserved block type 3
    const file = writeTmp('horsehead-corrupt.fits.gz', compressed);
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toMatch(/^horsehead-corrupt\.fits\.gz, HDU 0: gzip data is corrupt \(.+\)$/);
  });

  it('says "not a FITS file" for gzip-compressed text', async () => {
    const file = writeTmp('notes.txt.gz', gzipSync(Buffer.from('just some notes\n'.repeat(500))));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toBe('notes.txt.gz: not a FITS file (the first card is not SIMPLE = T)');
  });
});

describe('readFitsHeaders on broken files', () => {
  const horsehead = () => readFileSync(fixture('HorseHead.fits'));

  it('says "not a FITS file" for other content, empty files and SIMPLE = F', async () => {
    const text = await fitsError(readFitsHeaders(writeTmp('readme.txt', Buffer.from('Hello, this is not FITS.\n'))));
    expect(text.message).toBe('readme.txt: not a FITS file (the first card is not SIMPLE = T)');
    expect(text.file).toBe('readme.txt');
    expect(text.hdu).toBeUndefined();

    const empty = await fitsError(readFitsHeaders(writeTmp('empty.fits', Buffer.alloc(0))));
    expect(empty.reason).toContain('not a FITS file');

    const simpleF = await fitsError(readFitsHeaders(writeTmp('simple-f.fits', header('SIMPLE  =                    F', kw('BITPIX', 8), kw('NAXIS', 0)))));
    expect(simpleF.reason).toContain('not a FITS file');

    const png = await fitsError(readFitsHeaders(writeTmp('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))));
    expect(png.reason).toContain('not a FITS file');
  });

  it('names file, HDU and "truncated header" when the primary header is cut short', async () => {
    const file = writeTmp('HorseHead-first-5000.fits', horsehead().subarray(0, 5000));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toBe(
      'HorseHead-first-5000.fits, HDU 0: truncated header: the file ends 5000 bytes into the header (at byte 5000) before the END card',
    );
    expect(error.file).toBe('HorseHead-first-5000.fits');
    expect(error.hdu).toBe(0);
    expect(error.message).not.toContain(tmp);
  });

  it('names HDU 1 when the extension header is cut short', async () => {
    const file = writeTmp('HorseHead-cut-in-table-header.fits', horsehead().subarray(0, 1607040 + 1000));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toMatch(/^HorseHead-cut-in-table-header\.fits, HDU 1: truncated header/);
    expect(error.hdu).toBe(1);
  });

  it('reports data that runs past the end of a plain file', async () => {
    const inPrimary = await fitsError(readFitsHeaders(writeTmp('HorseHead-1MB.fits', horsehead().subarray(0, 1000000))));
    expect(inPrimary.message).toBe(
      'HorseHead-1MB.fits, HDU 0: data runs past end of file: header says 1591326 bytes, file has 985600 (data starts at byte 14400 of 1000000)',
    );
    expect(inPrimary.hdu).toBe(0);

    const inTable = await fitsError(readFitsHeaders(writeTmp('HorseHead-table-cut.fits', horsehead().subarray(0, 1609920 + 100))));
    expect(inTable.reason).toBe('data runs past end of file: header says 38400 bytes, file has 100 (data starts at byte 1609920 of 1610020)');
    expect(inTable.hdu).toBe(1);

    // also when only the first HDU is asked for
    await expect(readFitsHeaders(writeTmp('HorseHead-1MB-again.fits', horsehead().subarray(0, 1000000)), { maxHdus: 1 })).rejects.toThrow(
      'data runs past end of file',
    );
  });

  it('accepts a file that ends right after the primary data, and a last HDU without padding', async () => {
    const primaryOnly = await readFitsHeaders(writeTmp('HorseHead-primary-only.fits', horsehead().subarray(0, 1607040)));
    expect(primaryOnly.map((h) => h.type)).toEqual(['PRIMARY']);

    const unpadded = await readFitsHeaders(writeTmp('HorseHead-unpadded.fits', horsehead().subarray(0, 1609920 + 38400)));
    expect(unpadded.map((h) => [h.type, h.dataSize])).toEqual([
      ['PRIMARY', 1591326],
      ['TABLE', 38400],
    ]);
  });

  it('rejects absurd axis lengths and bad mandatory keywords', async () => {
    const cases: Array<[string, string[], string]> = [
      ['negative NAXIS1', [kw('NAXIS', 2), kw('NAXIS1', -5), kw('NAXIS2', 10)], 'invalid NAXIS1 = -5 (must not be negative)'],
      ['fractional NAXIS2', [kw('NAXIS', 2), kw('NAXIS1', 10), kw('NAXIS2', 1.5)], 'invalid NAXIS2 = 1.5 (must be an integer)'],
      ['string NAXIS2', [kw('NAXIS', 2), kw('NAXIS1', 10), "NAXIS2  = '10'"], "invalid NAXIS2 = '10' (must be an integer)"],
      ['missing NAXIS2', [kw('NAXIS', 2), kw('NAXIS1', 10)], 'missing NAXIS2 keyword'],
      ['NAXIS too big', [kw('NAXIS', 1000)], 'invalid NAXIS = 1000 (must be 0 to 999)'],
      ['negative NAXIS', [kw('NAXIS', -1)], 'invalid NAXIS = -1 (must be 0 to 999)'],
    ];
    for (const [name, cards, reason] of cases) {
      const file = writeTmp(`${name.replace(/ /g, '-')}.fits`, header('SIMPLE  =                    T', kw('BITPIX', 16), ...cards), data(2880));
      const error = await fitsError(readFitsHeaders(file));
      expect([name, error.reason, error.hdu]).toEqual([name, reason, 0]);
    }

    const badBitpix = await fitsError(readFitsHeaders(writeTmp('bitpix12.fits', header('SIMPLE  =                    T', kw('BITPIX', 12), kw('NAXIS', 0)))));
    expect(badBitpix.reason).toBe('invalid BITPIX = 12 (must be 8, 16, 32, 64, -32 or -64)');

    const badPcount = await fitsError(
      readFitsHeaders(
        writeTmp(
          'bad-pcount.fits',
          header('SIMPLE  =                    T', kw('BITPIX', 8), kw('NAXIS', 0)),
          header("XTENSION= 'BINTABLE'", kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 4), kw('NAXIS2', 1), kw('PCOUNT', -3), kw('GCOUNT', 1)),
          data(4),
        ),
      ),
    );
    expect([badPcount.hdu, badPcount.reason]).toEqual([1, 'invalid PCOUNT = -3 (must not be negative)']);
  });

  it('computes data sizes beyond 2^53 with BigInt and refuses them', async () => {
    const file = writeTmp(
      'huge.fits',
      header('SIMPLE  =                    T', kw('BITPIX', -64), kw('NAXIS', 3), kw('NAXIS1', 2 ** 30), kw('NAXIS2', 2 ** 30), kw('NAXIS3', 2 ** 30)),
    );
    const error = await fitsError(readFitsHeaders(file));
    expect(error.reason).toBe(`data size of ${8n * 2n ** 90n} bytes is too large`);
  });

  it('gives up on a header with no END card in 1000 blocks', async () => {
    const block = header('SIMPLE  =                    T', kw('BITPIX', 8), kw('NAXIS', 0)).subarray(0, 2880);
    block.write('COMMENT no end'.padEnd(80), 3 * 80, 'latin1'); // overwrite the END card
    const filler = Buffer.from('COMMENT still no end'.padEnd(80).repeat(36), 'latin1');
    const file = writeTmp('endless.fits', block, ...Array.from({ length: 1005 }, () => filler));
    const error = await fitsError(readFitsHeaders(file));
    expect(error.message).toBe('endless.fits, HDU 0: no END card in the first 1000 header blocks (2880000 bytes)');
  });
});

describe('readFitsHeaders on synthetic multi-extension files', () => {
  it('types IMAGE, BINTABLE, compressed BINTABLE and unknown extensions, and joins long strings', async () => {
    // 8 mandatory cards + 27 comments: OBJECT is the last card of the first block, its CONTINUEs in the second
    const longComment = Array.from({ length: 27 }, (_, i) => `COMMENT filler ${i}`);
    const file = writeTmp(
      'mef.fits',
      header('SIMPLE  =                    T', kw('BITPIX', 8), kw('NAXIS', 0), 'EXTEND  =                    T'),
      header(
        "XTENSION= 'IMAGE   '",
        kw('BITPIX', -32),
        kw('NAXIS', 3),
        kw('NAXIS1', 10),
        kw('NAXIS2', 20),
        kw('NAXIS3', 3),
        kw('PCOUNT', 0),
        kw('GCOUNT', 1),
        ...longComment,
        "OBJECT  = 'a long object name that does not fit on one card, so it is contin&'",
        "CONTINUE  'ued on the next card, which is in the second header block&'",
        "CONTINUE  '.' / the end",
        "HIERARCH ESO DET CHIP NAME = 'CCD-44'",
        "OBSERVER= 'D''Arcy'",
        'GAIN    =               2.5D+0',
      ),
      data(10 * 20 * 3 * 4),
      header("XTENSION= 'BINTABLE'", kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 12), kw('NAXIS2', 5), kw('PCOUNT', 100), kw('GCOUNT', 1), kw('TFIELDS', 1)),
      data(12 * 5 + 100),
      header("XTENSION= 'BINTABLE'", kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 8), kw('NAXIS2', 2), kw('PCOUNT', 7), kw('GCOUNT', 1), 'ZIMAGE  =                    T'),
      data(8 * 2 + 7),
      header("XTENSION= 'FOREIGN '", kw('BITPIX', 8), kw('NAXIS', 1), kw('NAXIS1', 3000), kw('PCOUNT', 0), kw('GCOUNT', 1)),
      data(3000),
      header("XTENSION= 'IMAGE'", kw('BITPIX', 32), kw('NAXIS', 0), kw('PCOUNT', 0), kw('GCOUNT', 1)),
      Buffer.alloc(2880), // trailing zeros after the last HDU are ignored
    );
    const hdus = await readFitsHeaders(file);
    expect(hdus.map(summary)).toEqual([
      { index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 2880, dataSize: 0, bitpix: 8, naxis: [] },
      { index: 1, type: 'IMAGE', headerOffset: 2880, dataOffset: 8640, dataSize: 2400, bitpix: -32, naxis: [10, 20, 3] },
      { index: 2, type: 'BINTABLE', headerOffset: 11520, dataOffset: 14400, dataSize: 160, bitpix: 8, naxis: [12, 5] },
      { index: 3, type: 'COMPRESSED_IMAGE', headerOffset: 17280, dataOffset: 20160, dataSize: 23, bitpix: 8, naxis: [8, 2] },
      { index: 4, type: 'UNKNOWN', headerOffset: 23040, dataOffset: 25920, dataSize: 3000, bitpix: 8, naxis: [3000] },
      { index: 5, type: 'IMAGE', headerOffset: 31680, dataOffset: 34560, dataSize: 0, bitpix: 32, naxis: [] },
    ]);
    const image = hdus[1].cards;
    const object = image.find((c) => c.keyword === 'OBJECT');
    expect(object?.value).toBe(
      'a long object name that does not fit on one card, so it is continued on the next card, which is in the second header block.',
    );
    expect(object?.comment).toBe('the end');
    expect(object?.raw.split('\n')).toHaveLength(3);
    expect(image.some((c) => c.keyword === 'CONTINUE')).toBe(false);
    expect(headerValue(image, 'ESO DET CHIP NAME')).toBe('CCD-44');
    expect(headerValue(image, 'OBSERVER')).toBe("D'Arcy");
    expect(headerValue(image, 'GAIN')).toBe(2.5);

    const firstTwo = await readFitsHeaders(file, { maxHdus: 2 });
    expect(firstTwo.map((h) => h.type)).toEqual(['PRIMARY', 'IMAGE']);

    const gzipped = await readFitsHeaders(writeTmp('mef.fits.gz', gzipSync(readFileSync(file))));
    expect(gzipped.map(summary)).toEqual(hdus.map(summary));
  });

  it('sizes random-groups primary data without NAXIS1', async () => {
    const file = writeTmp(
      'groups.fits',
      header(
        'SIMPLE  =                    T',
        kw('BITPIX', -32),
        kw('NAXIS', 3),
        kw('NAXIS1', 0),
        kw('NAXIS2', 3),
        kw('NAXIS3', 4),
        'GROUPS  =                    T',
        kw('PCOUNT', 2),
        kw('GCOUNT', 5),
      ),
      data(4 * 5 * (2 + 12)),
    );
    const [hdu] = await readFitsHeaders(file);
    expect(summary(hdu)).toEqual({ index: 0, type: 'PRIMARY', headerOffset: 0, dataOffset: 2880, dataSize: 280, bitpix: -32, naxis: [0, 3, 4] });
  });

  it('ignores PCOUNT/GCOUNT in an ordinary primary header', async () => {
    const file = writeTmp(
      'primary-with-counts.fits',
      header('SIMPLE  =                    T', kw('BITPIX', 16), kw('NAXIS', 1), kw('NAXIS1', 100), kw('PCOUNT', 50), kw('GCOUNT', 3)),
      data(200),
    );
    const [hdu] = await readFitsHeaders(file);
    expect(hdu.dataSize).toBe(200);
  });

  it('does not take trailing non-FITS bytes for an extension', async () => {
    const file = writeTmp(
      'trailing-junk.fits',
      header('SIMPLE  =                    T', kw('BITPIX', 8), kw('NAXIS', 1), kw('NAXIS1', 10)),
      data(10),
      Buffer.from('some trailing junk that is not an XTENSION header'),
    );
    expect((await readFitsHeaders(file)).map((h) => h.type)).toEqual(['PRIMARY']);
  });
});

describe('FitsError', () => {
  it('prefixes the message with file and HDU and keeps the bare reason', () => {
    const error = new FitsError('truncated header', 'a.fits', 2);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('FitsError');
    expect(error.message).toBe('a.fits, HDU 2: truncated header');
    expect(error.reason).toBe('truncated header');
    expect([error.file, error.hdu]).toEqual(['a.fits', 2]);
    expect(new FitsError('bad', 'b.fits').message).toBe('b.fits: bad');
    expect(new FitsError('bad').message).toBe('bad');
  });
});
