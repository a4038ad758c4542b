import { readdirSync } from 'fs';
import { join } from 'path';
import { readFitsHeaders } from './hdu-reader';
import { FitsCard } from './types';
import { CelestialWcs, normalizeDegrees, parseWcs, Wcs } from './wcs';

const FIXTURES = join(__dirname, '../../test/fixtures');
const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** Header cards from keyword → value pairs (the raw card text is irrelevant here). */
function cards(values: Record<string, string | number | boolean>): FitsCard[] {
  return Object.entries(values).map(([keyword, value]) => ({ keyword, value, comment: '', raw: '' }));
}

function celestial(wcs: Wcs | null): CelestialWcs {
  if (!wcs) throw new Error('no WCS');
  if (!wcs.celestial) throw new Error(`not celestial: ${wcs.reason}`);
  return wcs;
}

/** Angular separation in degrees (haversine), for comparing sky positions across RA = 0 and near poles. */
function separation(a: { ra: number; dec: number }, b: { ra: number; dec: number }): number {
  const s = Math.sin(((b.dec - a.dec) * D2R) / 2) ** 2 + Math.cos(a.dec * D2R) * Math.cos(b.dec * D2R) * Math.sin(((b.ra - a.ra) * D2R) / 2) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(s))) * R2D;
}

/**
 * The textbook gnomonic (standard coordinates) formulas, written independently of the module: ξ, η in
 * radians from the CD matrix, then α = α0 + atan2(ξ, cos δ0 − η sin δ0),
 * δ = atan2(η cos δ0 + sin δ0, √(ξ² + (cos δ0 − η sin δ0)²)).
 */
function textbookTan(cd: number[][], crpix: number[], ra0: number, dec0: number, x: number, y: number) {
  const xi = (cd[0][0] * (x - crpix[0]) + cd[0][1] * (y - crpix[1])) * D2R;
  const eta = (cd[1][0] * (x - crpix[0]) + cd[1][1] * (y - crpix[1])) * D2R;
  const d0 = dec0 * D2R;
  const denominator = Math.cos(d0) - eta * Math.sin(d0);
  let ra = ra0 + Math.atan2(xi, denominator) * R2D;
  ra = ((ra % 360) + 360) % 360;
  const dec = Math.atan2(eta * Math.cos(d0) + Math.sin(d0), Math.sqrt(xi * xi + denominator * denominator)) * R2D;
  return { ra, dec };
}

/** A plain RA---TAN header; `extra` overrides or adds keywords. */
function tanHeader(extra: Record<string, string | number> = {}): FitsCard[] {
  return cards({
    NAXIS: 2,
    NAXIS1: 1000,
    NAXIS2: 800,
    CTYPE1: 'RA---TAN',
    CTYPE2: 'DEC--TAN',
    CRPIX1: 500.5,
    CRPIX2: 400.5,
    CRVAL1: 150,
    CRVAL2: 30,
    CD1_1: -2.5e-4,
    CD1_2: 3e-5,
    CD2_1: 2e-5,
    CD2_2: 2.6e-4,
    ...extra,
  });
}

/** Worst pixel → world → pixel error over a grid covering the image (and a margin beyond it). */
function worstRoundTrip(wcs: CelestialWcs, width: number, height: number, steps = 24): number {
  let worst = 0;
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const x = -20 + ((width + 40) * i) / steps;
      const y = -20 + ((height + 40) * j) / steps;
      const { ra, dec } = wcs.pixToWorld(x, y);
      const back = wcs.worldToPix(ra, dec);
      worst = Math.max(worst, Math.hypot(back.x - x, back.y - y));
    }
  }
  return worst;
}

describe('parseWcs on the HorseHead DSS plate (CD matrix)', () => {
  let wcs: CelestialWcs;
  const cd = [
    [-0.0002802651, 0.0000003159],
    [0.0000002767, 0.0002798187],
  ];

  beforeAll(async () => {
    const [primary] = await readFitsHeaders(join(FIXTURES, 'HorseHead.fits'));
    wcs = celestial(parseWcs(primary.cards));
  });

  it('is an equatorial TAN WCS with the header values', () => {
    expect(wcs.ctype).toEqual(['RA---TAN', 'DEC--TAN']);
    expect(wcs.frame).toBe('equatorial');
    expect(wcs.projection).toBe('TAN');
    expect(wcs.sip).toBe(false);
    expect(wcs.radesys).toBe('ICRS');
    expect(wcs.equinox).toBe(2000);
    expect(wcs.crpix).toEqual([446, 447]);
    expect(wcs.crval).toEqual([85.27497, -2.458265]);
    expect(wcs.cd).toEqual(cd);
    expect(wcs.lonpole).toBe(180);
    expect(wcs.longitudeAxis).toBe(0);
  });

  it('maps CRPIX exactly to CRVAL and back', () => {
    const world = wcs.pixToWorld(446, 447);
    expect(world.ra).toBeCloseTo(85.27497, 12);
    expect(world.dec).toBeCloseTo(-2.458265, 12);
    const pixel = wcs.worldToPix(85.27497, -2.458265);
    expect(pixel.x).toBeCloseTo(446, 9);
    expect(pixel.y).toBeCloseTo(447, 9);
  });

  it('agrees with the textbook gnomonic formulas at the corners and elsewhere', () => {
    for (const [x, y] of [
      [1, 1],
      [891, 1],
      [1, 893],
      [891, 893],
      [100.25, 700.75],
      [600, 222],
    ]) {
      const expected = textbookTan(cd, [446, 447], 85.27497, -2.458265, x, y);
      const world = wcs.pixToWorld(x, y);
      expect(separation(world, expected) * 3600).toBeLessThan(1e-7);
      const pixel = wcs.worldToPix(expected.ra, expected.dec);
      expect(Math.hypot(pixel.x - x, pixel.y - y)).toBeLessThan(1e-7);
    }
  });

  it('gives about 1 arcsec pixels, north up and east to the left', () => {
    const centre = wcs.pixToWorld(446, 447);
    const right = wcs.pixToWorld(447, 447);
    const up = wcs.pixToWorld(446, 448);
    expect(separation(centre, right) * 3600).toBeCloseTo(1.009, 2);
    expect(right.ra).toBeLessThan(centre.ra);
    expect(up.dec).toBeGreaterThan(centre.dec);
  });

  it('has the Horsehead nebula (Barnard 33, RA 85.25°, Dec −2.46°) inside the image', () => {
    const { x, y } = wcs.worldToPix(85.25, -2.46);
    expect(x).toBeGreaterThan(0.5);
    expect(x).toBeLessThan(891.5);
    expect(y).toBeGreaterThan(0.5);
    expect(y).toBeLessThan(893.5);
    // Its RA is below the reference RA, and RA decreases to the right (CD1_1 < 0).
    expect(x).toBeGreaterThan(446);
  });

  it('round-trips pixel → world → pixel to better than 1e-6 pixel over the image', () => {
    expect(worstRoundTrip(wcs, 891, 893)).toBeLessThan(1e-6);
  });

  it('returns NaN for the far hemisphere', () => {
    const far = wcs.worldToPix(85.27497 + 180, 2.458265);
    expect(far.x).toBeNaN();
    expect(far.y).toBeNaN();
    // Exactly 90° away is not on the plane either; 89° away is (far outside the image).
    expect(wcs.worldToPix(85.27497, -2.458265 + 90).x).toBeNaN();
    expect(Number.isFinite(wcs.worldToPix(85.27497, -2.458265 + 89).x)).toBe(true);
  });
});

describe('parseWcs on other fixtures', () => {
  it('reports the AIA image as helioprojective, not celestial', async () => {
    const [primary] = await readFitsHeaders(join(FIXTURES, 'aia_171_level1.fits'));
    const wcs = parseWcs(primary.cards);
    expect(wcs).not.toBeNull();
    expect(wcs!.celestial).toBe(false);
    expect(wcs!.ctype).toEqual(['HPLN-TAN', 'HPLT-TAN']);
    expect(wcs!.reason).toBe('helioprojective (HPLN/HPLT) coordinates, not RA/Dec');
    expect(() => wcs!.pixToWorld(64.5, 64.5)).toThrow(/no RA\/Dec.*helioprojective/);
    expect(() => wcs!.worldToPix(0, 0)).toThrow(Error);
  });

  it('reports the EIT frames (Solar-X/Solar-Y) as not celestial', async () => {
    const dir = join(FIXTURES, 'eit-195-2004-03-01');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.fits'))) {
      const [primary] = await readFitsHeaders(join(dir, name));
      const wcs = parseWcs(primary.cards);
      expect(wcs?.celestial).toBe(false);
      expect(wcs?.ctype).toEqual(['Solar-X', 'Solar-Y']);
      expect(wcs?.reason).toMatch(/Solar-X\/Solar-Y.*not RA\/Dec/);
    }
  });

  it('finds no WCS in the M13 amateur frames (no CTYPE at all)', async () => {
    const dir = join(FIXTURES, 'm13-blue-2013-05-05');
    const names = readdirSync(dir).filter((n) => n.endsWith('.fits.gz'));
    expect(names).toHaveLength(5);
    for (const name of names) {
      const [primary] = await readFitsHeaders(join(dir, name));
      expect(parseWcs(primary.cards)).toBeNull();
    }
  });
});

describe('parseWcs: linear part', () => {
  it('reads PCi_j × CDELTi like the equivalent CD matrix (missing PC terms from the identity)', () => {
    const viaCd = celestial(parseWcs(tanHeader({ CD1_1: -2e-4, CD1_2: 0, CD2_1: 1e-5, CD2_2: 3e-4 })));
    const viaPc = celestial(
      parseWcs(
        cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 500.5, CRPIX2: 400.5, CRVAL1: 150, CRVAL2: 30, CDELT1: -2e-4, CDELT2: 3e-4, PC2_1: 1e-5 / 3e-4 }),
      ),
    );
    expect(viaPc.cd[0][0]).toBeCloseTo(-2e-4, 15);
    expect(viaPc.cd[0][1]).toBe(0);
    expect(viaPc.cd[1][0]).toBeCloseTo(1e-5, 15);
    expect(viaPc.cd[1][1]).toBeCloseTo(3e-4, 15);
    for (const [x, y] of [
      [1, 1],
      [1000, 800],
      [250, 700],
    ]) {
      expect(separation(viaPc.pixToWorld(x, y), viaCd.pixToWorld(x, y)) * 3600).toBeLessThan(1e-8);
    }
  });

  it('reads CDELTi + CROTA2 like the CD matrix of paper II (CDELT1 cos ρ, −CDELT2 sin ρ; CDELT1 sin ρ, CDELT2 cos ρ)', () => {
    const rho = 23.5;
    const [c1, c2] = [-3e-4, 2.8e-4];
    const c = Math.cos(rho * D2R);
    const s = Math.sin(rho * D2R);
    const base = { CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 10, CRPIX2: 20, CRVAL1: 201.5, CRVAL2: -43.2 };
    const viaCrota = celestial(parseWcs(cards({ ...base, CDELT1: c1, CDELT2: c2, CROTA2: rho })));
    const viaCd = celestial(parseWcs(cards({ ...base, CD1_1: c1 * c, CD1_2: -c2 * s, CD2_1: c1 * s, CD2_2: c2 * c })));
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(viaCrota.cd[i][j]).toBeCloseTo(viaCd.cd[i][j], 15);
    for (const [x, y] of [
      [1, 1],
      [512, 3],
      [-40, 900],
    ]) {
      expect(separation(viaCrota.pixToWorld(x, y), viaCd.pixToWorld(x, y)) * 3600).toBeLessThan(1e-8);
    }
    // A positive rotation turns north (+Dec) from +y towards −x: counter-clockwise as displayed.
    const north = viaCrota.worldToPix(201.5, -43.2 + 0.01);
    expect(north.x).toBeLessThan(10);
    expect(north.y).toBeGreaterThan(20);
  });

  it('uses CDELT alone when there is no rotation, and CD terms win over PC/CDELT', () => {
    const plain = celestial(parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CDELT1: -1e-3, CDELT2: 1e-3, CRVAL1: 10, CRVAL2: 10 })));
    expect(plain.cd).toEqual([
      [-1e-3, 0],
      [0, 1e-3],
    ]);
    expect(plain.crpix).toEqual([0, 0]);
    const both = celestial(parseWcs(tanHeader({ CDELT1: 5, CDELT2: 5, PC1_1: 2 })));
    expect(both.cd).toEqual([
      [-2.5e-4, 3e-5],
      [2e-5, 2.6e-4],
    ]);
    const partialCd = celestial(parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CD1_1: -1e-3, CD2_2: 1e-3 })));
    expect(partialCd.cd).toEqual([
      [-1e-3, 0],
      [0, 1e-3],
    ]);
  });

  it('converts CUNIT arcsec to degrees', () => {
    const deg = celestial(parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 30, CRVAL2: 60, CDELT1: -1 / 3600, CDELT2: 1 / 3600 })));
    const arcsec = celestial(
      parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CUNIT1: 'arcsec', CUNIT2: 'arcsec', CRVAL1: 30 * 3600, CRVAL2: 60 * 3600, CDELT1: -1, CDELT2: 1 })),
    );
    expect(arcsec.notes.join(' ')).toMatch(/arcsec/);
    expect(separation(arcsec.pixToWorld(100, -50), deg.pixToWorld(100, -50)) * 3600).toBeLessThan(1e-8);
  });

  it('refuses a singular matrix', () => {
    const wcs = parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CDELT1: 0, CDELT2: 1e-3 }));
    expect(wcs?.celestial).toBe(false);
    expect(wcs?.reason).toMatch(/singular/);
  });
});

describe('parseWcs: axis order, frames and LONPOLE', () => {
  it('handles DEC on the first axis: the same sky as RA-first with the pixel axes swapped', () => {
    const raFirst = celestial(parseWcs(tanHeader()));
    const decFirst = celestial(
      parseWcs(
        cards({
          CTYPE1: 'DEC--TAN',
          CTYPE2: 'RA---TAN',
          CRPIX1: 400.5,
          CRPIX2: 500.5,
          CRVAL1: 30,
          CRVAL2: 150,
          CD1_1: 2.6e-4,
          CD1_2: 2e-5,
          CD2_1: 3e-5,
          CD2_2: -2.5e-4,
        }),
      ),
    );
    expect(decFirst.longitudeAxis).toBe(1);
    expect(decFirst.crval).toEqual([150, 30]);
    for (const [x, y] of [
      [1, 1],
      [1000, 800],
      [333.3, 123.4],
    ]) {
      const a = raFirst.pixToWorld(x, y);
      const b = decFirst.pixToWorld(y, x);
      expect(separation(a, b) * 3600).toBeLessThan(1e-8);
      const back = decFirst.worldToPix(a.ra, a.dec);
      expect(back.x).toBeCloseTo(y, 7);
      expect(back.y).toBeCloseTo(x, 7);
    }
  });

  it('applies the CROTA of the latitude axis when DEC comes first (as the RA-first header with pixel axes swapped)', () => {
    const rho = -12;
    const c = Math.cos(rho * D2R);
    const s = Math.sin(rho * D2R);
    // Equivalent RA-first header, pixel axes swapped.
    const raFirst = celestial(
      parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 80, CRVAL2: 5, CD1_1: -1e-3 * c, CD1_2: -1e-3 * s, CD2_1: -1e-3 * s, CD2_2: 1e-3 * c })),
    );
    const decFirst = celestial(parseWcs(cards({ CTYPE1: 'DEC--TAN', CTYPE2: 'RA---TAN', CRVAL1: 5, CRVAL2: 80, CDELT1: 1e-3, CDELT2: -1e-3, CROTA1: rho })));
    for (const [x, y] of [
      [10, 0],
      [0, 10],
      [-7, 13],
    ]) {
      expect(separation(raFirst.pixToWorld(x, y), decFirst.pixToWorld(y, x)) * 3600).toBeLessThan(1e-8);
    }
  });

  it('reports galactic, ecliptic and supergalactic frames', () => {
    const galactic = celestial(parseWcs(cards({ CTYPE1: 'GLON-TAN', CTYPE2: 'GLAT-TAN', CRVAL1: 0, CRVAL2: 0, CDELT1: -0.01, CDELT2: 0.01 })));
    expect(galactic.frame).toBe('galactic');
    const l = galactic.pixToWorld(100, 0);
    expect(l.ra).toBeGreaterThan(358);
    expect(l.ra).toBeLessThan(360);
    expect(celestial(parseWcs(cards({ CTYPE1: 'ELON-TAN', CTYPE2: 'ELAT-TAN' }))).frame).toBe('ecliptic');
    expect(celestial(parseWcs(cards({ CTYPE1: 'SLAT-TAN', CTYPE2: 'SLON-TAN' }))).frame).toBe('supergalactic');
  });

  it('honours LONPOLE: 0 instead of the default 180 turns the image by 180°', () => {
    const normal = celestial(parseWcs(tanHeader()));
    const turned = celestial(parseWcs(tanHeader({ LONPOLE: 0 })));
    expect(turned.lonpole).toBe(0);
    // φ − φp is unchanged when both the native longitude and LONPOLE change by 180°.
    const a = normal.pixToWorld(500.5 + 120, 400.5 - 35);
    const b = turned.pixToWorld(500.5 - 120, 400.5 + 35);
    expect(separation(a, b) * 3600).toBeLessThan(1e-8);
    expect(worstRoundTrip(turned, 1000, 800)).toBeLessThan(1e-6);
  });

  it('defaults LONPOLE to 0 when the reference point is the north celestial pole (δ0 ≥ θ0 = 90°)', () => {
    expect(celestial(parseWcs(tanHeader({ CRVAL2: 90 }))).lonpole).toBe(0);
    expect(celestial(parseWcs(tanHeader({ CRVAL2: 89.999 }))).lonpole).toBe(180);
    expect(celestial(parseWcs(tanHeader({ CRVAL2: -90 }))).lonpole).toBe(180);
  });

  it('notes that LATPOLE plays no role for TAN', () => {
    const wcs = celestial(parseWcs(tanHeader({ LATPOLE: 45 })));
    expect(wcs.notes.join(' ')).toMatch(/LATPOLE ignored/);
  });
});

describe('parseWcs: round trips', () => {
  it.each([
    ['mid-latitude', 150, 30],
    ['RA = 0 crossing', 0.01, 12],
    ['RA = 0 crossing from below', 359.995, -5],
    ['near the north pole', 123, 89.9],
    ['at the north pole', 40, 90],
    ['near the south pole', 300, -89.95],
    ['at the south pole', 0, -90],
  ])('is better than 1e-6 pixel over the image %s', (_name, ra0, dec0) => {
    const wcs = celestial(parseWcs(tanHeader({ CRVAL1: ra0, CRVAL2: dec0, CD1_1: -1e-3, CD1_2: 1e-4, CD2_1: 1.2e-4, CD2_2: 1e-3 })));
    expect(worstRoundTrip(wcs, 1000, 800)).toBeLessThan(1e-6);
    const ref = wcs.pixToWorld(500.5, 400.5);
    expect(separation(ref, { ra: ra0, dec: dec0 })).toBeLessThan(1e-10);
  });

  it('keeps RA in [0, 360) across RA = 0 and agrees with the textbook formulas there', () => {
    const cd = [
      [-1e-3, 0],
      [0, 1e-3],
    ];
    const wcs = celestial(parseWcs(cards({ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 500, CRPIX2: 500, CRVAL1: 0.2, CRVAL2: 0, CD1_1: -1e-3, CD2_2: 1e-3 })));
    let sawLow = false;
    let sawHigh = false;
    for (let x = 1; x <= 1000; x += 37) {
      const { ra, dec } = wcs.pixToWorld(x, 250);
      expect(ra).toBeGreaterThanOrEqual(0);
      expect(ra).toBeLessThan(360);
      if (ra < 1) sawLow = true;
      if (ra > 359) sawHigh = true;
      const expected = textbookTan(cd, [500, 500], 0.2, 0, x, 250);
      expect(separation({ ra, dec }, expected) * 3600).toBeLessThan(1e-8);
    }
    expect(sawLow && sawHigh).toBe(true);
    // RA given as negative or above 360 is the same point.
    const p = wcs.worldToPix(-0.1, 0.05);
    const q = wcs.worldToPix(359.9, 0.05);
    expect(p.x).toBeCloseTo(q.x, 9);
    expect(p.y).toBeCloseTo(q.y, 9);
  });

  it('returns NaN for invalid input', () => {
    const wcs = celestial(parseWcs(tanHeader()));
    expect(wcs.pixToWorld(NaN, 1).ra).toBeNaN();
    expect(wcs.worldToPix(10, 91).x).toBeNaN();
    expect(wcs.worldToPix(Infinity, 0).y).toBeNaN();
  });
});

describe('parseWcs: SIP distortion', () => {
  const sipTerms = {
    A_ORDER: 2,
    A_2_0: 2e-5,
    A_1_1: -1.5e-5,
    A_0_2: 8e-6,
    B_ORDER: 2,
    B_2_0: -6e-6,
    B_1_1: 1.1e-5,
    B_0_2: 2.5e-5,
  };

  it('applies the forward polynomials before the CD matrix', () => {
    const plain = celestial(parseWcs(tanHeader()));
    const sip = celestial(parseWcs(tanHeader({ CTYPE1: 'RA---TAN-SIP', CTYPE2: 'DEC--TAN-SIP', ...sipTerms })));
    expect(sip.sip).toBe(true);
    const [x, y] = [900, 50];
    const u = x - 500.5;
    const v = y - 400.5;
    const f = 2e-5 * u * u - 1.5e-5 * u * v + 8e-6 * v * v;
    const g = -6e-6 * u * u + 1.1e-5 * u * v + 2.5e-5 * v * v;
    expect(Math.abs(f)).toBeGreaterThan(1);
    expect(separation(sip.pixToWorld(x, y), plain.pixToWorld(x + f, y + g)) * 3600).toBeLessThan(1e-8);
  });

  it('inverts exactly (Newton) with or without AP/BP', () => {
    const without = celestial(parseWcs(tanHeader({ CTYPE1: 'RA---TAN-SIP', CTYPE2: 'DEC--TAN-SIP', ...sipTerms })));
    expect(without.notes.join(' ')).toMatch(/no AP\/BP/);
    expect(worstRoundTrip(without, 1000, 800)).toBeLessThan(1e-6);
    // A rough first-order inverse as AP/BP: only a starting point.
    const withInverse = celestial(
      parseWcs(
        tanHeader({
          CTYPE1: 'RA---TAN-SIP',
          CTYPE2: 'DEC--TAN-SIP',
          ...sipTerms,
          AP_ORDER: 2,
          AP_2_0: -2e-5,
          AP_1_1: 1.5e-5,
          AP_0_2: -8e-6,
          BP_ORDER: 2,
          BP_2_0: 6e-6,
          BP_1_1: -1.1e-5,
          BP_0_2: -2.5e-5,
        }),
      ),
    );
    expect(withInverse.notes.join(' ')).toMatch(/AP\/BP and is refined/);
    expect(worstRoundTrip(withInverse, 1000, 800)).toBeLessThan(1e-6);
  });

  it('treats TAN-SIP without coefficients as TAN and says so; ignores SIP terms without the -SIP suffix', () => {
    const noTerms = celestial(parseWcs(tanHeader({ CTYPE1: 'RA---TAN-SIP', CTYPE2: 'DEC--TAN-SIP' })));
    expect(noTerms.sip).toBe(false);
    expect(noTerms.notes.join(' ')).toMatch(/no A_p_q\/B_p_q/);
    const noSuffix = celestial(parseWcs(tanHeader({ ...sipTerms })));
    expect(noSuffix.sip).toBe(false);
    expect(noSuffix.notes.join(' ')).toMatch(/ignored/);
    const plain = celestial(parseWcs(tanHeader()));
    expect(noSuffix.pixToWorld(900, 50)).toEqual(plain.pixToWorld(900, 50));
  });
});

describe('parseWcs: what is not RA/Dec', () => {
  it('returns null without CTYPE1 and CTYPE2', () => {
    expect(parseWcs(cards({ NAXIS: 2, CRVAL1: 10, CDELT1: 1 }))).toBeNull();
    expect(parseWcs([])).toBeNull();
  });

  it.each([
    [{ CTYPE1: 'HPLN-TAN', CTYPE2: 'HPLT-TAN' }, 'helioprojective (HPLN/HPLT) coordinates, not RA/Dec'],
    [{ CTYPE1: 'SOLAR-X', CTYPE2: 'SOLAR-Y' }, /Solar-X\/Solar-Y/],
    [{ CTYPE1: 'HGLN-CAR', CTYPE2: 'HGLT-CAR' }, /heliographic Stonyhurst/],
    [{ CTYPE1: 'RA---SIN', CTYPE2: 'DEC--SIN' }, 'projection SIN is not supported (only TAN, the gnomonic projection)'],
    [{ CTYPE1: 'RA---TPV', CTYPE2: 'DEC--TPV' }, /projection TPV is not supported/],
    [{ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--SIN' }, /different projections/],
    [{ CTYPE1: 'RA', CTYPE2: 'DEC' }, /no projection code/],
    [{ CTYPE1: 'RA---TAN', CTYPE2: 'FREQ' }, /only one celestial axis/],
    [{ CTYPE1: 'RA---TAN' }, /only one celestial axis/],
    [{ CTYPE1: 'LINEAR', CTYPE2: 'LINEAR' }, "CTYPE1 'LINEAR' and CTYPE2 'LINEAR' are not celestial (RA/Dec) coordinates"],
    [{ CTYPE1: 'PIXEL', CTYPE2: '' }, /not celestial/],
    [{ CTYPE1: 'RA---TAN', CTYPE2: 'GLAT-TAN' }, /only one celestial axis/],
    [{ CTYPE1: 'RA---TAN-ZZZ', CTYPE2: 'DEC--TAN-ZZZ' }, /distortion convention ZZZ/],
    [{ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', PV1_2: 45 }, /fiducial point/],
    [{ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CUNIT1: 'm' }, /not an angle unit/],
    [{ CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL2: 95 }, /outside/],
  ])('%j → celestial false', (header, reason) => {
    const wcs = parseWcs(cards(header));
    expect(wcs).not.toBeNull();
    expect(wcs!.celestial).toBe(false);
    if (typeof reason === 'string') expect(wcs!.reason).toBe(reason);
    else expect(wcs!.reason).toMatch(reason);
    expect(() => wcs!.pixToWorld(1, 1)).toThrow(/no RA\/Dec/);
  });

  it('keeps the CTYPE values as written', () => {
    expect(parseWcs(cards({ CTYPE1: 'Solar-X ', CTYPE2: 'Solar-Y' }))?.ctype).toEqual(['Solar-X', 'Solar-Y']);
    expect(parseWcs(cards({ CTYPE2: 'DEC--TAN' }))?.ctype).toEqual(['', 'DEC--TAN']);
  });
});

describe('normalizeDegrees', () => {
  it('brings angles into [0, 360)', () => {
    expect(normalizeDegrees(0)).toBe(0);
    expect(normalizeDegrees(360)).toBe(0);
    expect(normalizeDegrees(-90)).toBe(270);
    expect(normalizeDegrees(725)).toBe(5);
    expect(normalizeDegrees(-1e-17)).toBeLessThan(360);
    expect(normalizeDegrees(-1e-17)).toBeGreaterThanOrEqual(0);
  });
});
