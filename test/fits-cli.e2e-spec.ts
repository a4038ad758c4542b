import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { headerValue, readFitsHeaders } from '../src/fits';
import { builtEntry, ensureBuilt, ROOT } from './utils/built-dist';
import { FIXTURES } from './utils/test-app';

const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');

/** The built CLI: the fits: commands need no database or server. */
function cli(args: string[]) {
  const result = spawnSync(process.execPath, [builtEntry('cli'), ...args], {
    cwd: ROOT,
    env: { ...process.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** HorseHead's pixel values straight from the file's bytes (int16 big-endian, BZERO/BSCALE applied). */
async function horseHeadValues(): Promise<{ values: Float64Array; cards: Awaited<ReturnType<typeof readFitsHeaders>>[number]['cards'] }> {
  const [primary] = await readFitsHeaders(HORSEHEAD);
  const bytes = fs.readFileSync(HORSEHEAD);
  const count = primary.naxis[0] * primary.naxis[1];
  const bzero = Number(headerValue(primary.cards, 'BZERO') ?? 0);
  const bscale = Number(headerValue(primary.cards, 'BSCALE') ?? 1);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = bzero + bscale * bytes.readInt16BE(primary.dataOffset + 2 * i);
  return { values, cards: primary.cards };
}

/** Inverse gnomonic projection written out on its own: pixel → (RA, Dec) through CRPIX, CRVAL and the CD matrix. */
function tanPixelToSky(cards: Parameters<typeof headerValue>[0], x: number, y: number) {
  const n = (key: string) => Number(headerValue(cards, key) ?? 0);
  const dx = x - n('CRPIX1');
  const dy = y - n('CRPIX2');
  const xi = ((n('CD1_1') * dx + n('CD1_2') * dy) * Math.PI) / 180;
  const eta = ((n('CD2_1') * dx + n('CD2_2') * dy) * Math.PI) / 180;
  const ra0 = (n('CRVAL1') * Math.PI) / 180;
  const dec0 = (n('CRVAL2') * Math.PI) / 180;
  const denominator = Math.cos(dec0) - eta * Math.sin(dec0);
  const ra = ra0 + Math.atan2(xi, denominator);
  const dec = Math.atan2(Math.sin(dec0) + eta * Math.cos(dec0), Math.hypot(xi, denominator));
  return { ra: (((ra * 180) / Math.PI) % 360 + 360) % 360, dec: (dec * 180) / Math.PI };
}

describe('fits: commands of the CLI (e2e)', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('fits:info --json gives every HDU with shape, header, statistics and the WCS centre', async () => {
    const run = cli(['fits:info', HORSEHEAD, '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout);
    expect(info.map((hdu: any) => [hdu.index, hdu.type])).toEqual([
      [0, 'PRIMARY'],
      [1, 'TABLE'],
    ]);

    const { values, cards } = await horseHeadValues();
    const sorted = Float64Array.from(values).sort();
    const middle = sorted.length >> 1;
    const expectedMedian = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const primary = info[0];
    expect(primary).toMatchObject({ bitpix: 16, shape: [891, 893] });
    expect(primary.header.NAXIS1).toBe(891);
    expect(primary.header.CTYPE1).toBe(headerValue(cards, 'CTYPE1'));
    expect(primary.stats).toEqual({ min: sorted[0], max: sorted[sorted.length - 1], mean: expect.any(Number), median: expectedMedian });
    expect(primary.stats.mean).toBeCloseTo(mean, 6);
    const centre = tanPixelToSky(cards, (891 + 1) / 2, (893 + 1) / 2);
    expect(primary.wcs.celestial).toBe(true);
    expect(primary.wcs.ctype).toEqual(['RA---TAN', 'DEC--TAN']);
    expect(primary.wcs.center.ra).toBeCloseTo(centre.ra, 9);
    expect(primary.wcs.center.dec).toBeCloseTo(centre.dec, 9);
    // The Horsehead (Barnard 33) is near RA 85.25°, Dec -2.46°.
    expect(Math.abs(primary.wcs.center.ra - 85.25)).toBeLessThan(0.3);
    expect(Math.abs(primary.wcs.center.dec + 2.46)).toBeLessThan(0.3);
    expect(info[1]).toMatchObject({ stats: null, wcs: null });
  });

  it('reports a solar WCS as not celestial, and a tile-compressed image by the image it holds', () => {
    const aia = JSON.parse(cli(['fits:info', path.join(FIXTURES, 'aia_171_level1.fits'), '--json']).stdout);
    expect(aia[0].wcs).toMatchObject({ celestial: false, ctype: ['HPLN-TAN', 'HPLT-TAN'], center: null });

    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'compressed', 'expected.json'), 'utf8'));
    const name = 'horsehead_float_rice_dither1.fits.fz';
    const compressed = JSON.parse(cli(['fits:info', path.join(FIXTURES, 'compressed', name), '--json']).stdout);
    const hdu = compressed[expected[name].hdu];
    expect(hdu.type).toBe('COMPRESSED_IMAGE');
    expect(hdu.shape).toEqual(expected[name].shape);
    expect(hdu.bitpix).toBe(-32);
    expect(hdu.stats.min).toBe(expected[name].stats.min);
    expect(hdu.stats.max).toBe(expected[name].stats.max);
    expect(hdu.stats.median).toBe(expected[name].stats.median);
    expect(hdu.stats.mean).toBeCloseTo(expected[name].stats.mean, 4);
  });

  it('fits:pix2world and fits:world2pix convert with FITS 1-based pixels, negative Dec included', async () => {
    const [primary] = await readFitsHeaders(HORSEHEAD);
    const crpix = [Number(headerValue(primary.cards, 'CRPIX1')), Number(headerValue(primary.cards, 'CRPIX2'))];
    const crval = [Number(headerValue(primary.cards, 'CRVAL1')), Number(headerValue(primary.cards, 'CRVAL2'))];
    const atReference = JSON.parse(cli(['fits:pix2world', HORSEHEAD, String(crpix[0]), String(crpix[1]), '--json']).stdout);
    expect(atReference.ra).toBeCloseTo(crval[0], 9);
    expect(atReference.dec).toBeCloseTo(crval[1], 9);

    const sky = tanPixelToSky(primary.cards, 100, 700);
    const plain = cli(['fits:pix2world', HORSEHEAD, '100', '700']);
    const [ra, dec] = plain.stdout.trim().split(/\s+/).map(Number);
    expect(ra).toBeCloseTo(sky.ra, 7);
    expect(dec).toBeCloseTo(sky.dec, 7);
    expect(dec).toBeLessThan(0);

    const back = cli(['fits:world2pix', HORSEHEAD, sky.ra.toFixed(10), sky.dec.toFixed(10), '--json']);
    expect(back.status).toBe(0);
    const pixel = JSON.parse(back.stdout);
    expect(Math.abs(pixel.x - 100)).toBeLessThan(1e-4);
    expect(Math.abs(pixel.y - 700)).toBeLessThan(1e-4);
  });

  it('says clearly what is wrong: missing file, no RA/Dec, bad numbers, a file that is not FITS', () => {
    const missing = cli(['fits:info', path.join(FIXTURES, 'nope.fits')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('No such file');
    const solar = cli(['fits:pix2world', path.join(FIXTURES, 'aia_171_level1.fits'), '10', '10']);
    expect(solar.status).toBe(1);
    expect(solar.stderr).toMatch(/the WCS is not celestial \(helioprojective/);
    const noWcs = cli(['fits:world2pix', path.join(FIXTURES, 'm13-blue-2013-05-05', 'M13_blue_0001.fits.gz'), '250', '36']);
    expect(noWcs.stderr).toContain('no WCS in the header');
    const bad = cli(['fits:pix2world', HORSEHEAD, 'ten', '3']);
    expect(bad.stderr).toContain('X must be a number');
    const notFits = cli(['fits:info', path.join(FIXTURES, 'README.md')]);
    expect(notFits.status).toBe(1);
    expect(notFits.stderr).toContain('README.md: not a FITS file');
    for (const run of [missing, solar, noWcs, bad, notFits]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
