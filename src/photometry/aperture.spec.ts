import { aperturePhotometry } from './aperture';
import { addGaussianStar, flatImage, starField } from './synthetic';
import { PhotometryError } from './types';

const SKY = 500;
const GAIN = 2; // e-/ADU
const READ_NOISE = 5; // ADU

function field(seed: number, stars: { x: number; y: number; flux: number; sigma?: number }[], integer = false) {
  return starField(
    101,
    101,
    SKY,
    stars.map((s) => ({ sigma: 2, ...s })),
    { seed, gain: GAIN, readNoise: READ_NOISE, integer },
  );
}

describe('aperturePhotometry', () => {
  it('recovers the flux of a Gaussian star and the sky level, within its own error', () => {
    const image = field(1, [{ x: 50.3, y: 49.6, flux: 20000 }]);
    const r = aperturePhotometry(image, { x: 50.3, y: 49.6, radius: 12, skyInner: 16, skyOuter: 26, gain: GAIN });
    const expected = 20000 * GAIN; // electrons
    expect(r.flags).toEqual([]);
    expect(Math.abs(r.flux - expected) / expected).toBeLessThan(0.03);
    expect(Math.abs(r.flux - expected)).toBeLessThan(3 * r.fluxError);
    // Sky noise per pixel: √(500/2 + 5²) ≈ 16.6 ADU; the clipped median is good to ~ 16.6·1.25/√n.
    expect(Math.abs(r.sky - SKY)).toBeLessThan((3 * 1.25 * r.skyStdDev) / Math.sqrt(r.skyPixels));
    expect(r.skyStdDev).toBeGreaterThan(15.5);
    expect(r.skyStdDev).toBeLessThan(17.5);
    expect(r.apertureArea).toBeCloseTo(Math.PI * 144, 9);
    expect(r.skyPixels).toBeGreaterThan(0.97 * Math.PI * (26 * 26 - 16 * 16));
    expect(r.snr).toBeCloseTo(r.flux / r.fluxError, 12);
    expect(r.instrumentalMagnitude).toBeCloseTo(25 - 2.5 * Math.log10(r.flux), 12);
    expect(r.magnitudeError).toBeCloseTo((1.0857 * r.fluxError) / r.flux, 4);
    expect(r.saturated).toBe(false);
  });

  it('quotes an error that matches the scatter of repeated measurements (IRAF phot formula)', () => {
    const fluxes: number[] = [];
    const errors: number[] = [];
    for (let seed = 100; seed < 160; seed++) {
      const image = field(seed, [{ x: 50.5, y: 50.2, flux: 5000 }]);
      const r = aperturePhotometry(image, { x: 50.5, y: 50.2, radius: 6, skyInner: 12, skyOuter: 20, gain: GAIN });
      fluxes.push(r.flux);
      errors.push(r.fluxError);
    }
    const mean = fluxes.reduce((a, b) => a + b, 0) / fluxes.length;
    const sd = Math.sqrt(fluxes.reduce((a, b) => a + (b - mean) ** 2, 0) / (fluxes.length - 1));
    const quoted = errors.reduce((a, b) => a + b, 0) / errors.length;
    // Expected: √(10000·0.9889 + 113·(33.2)² + ...) ≈ 365 e-; 60 samples pin the scatter to about ±10 %.
    expect(sd / quoted).toBeGreaterThan(0.75);
    expect(sd / quoted).toBeLessThan(1.25);
    // Radius 6 = 3 sigma holds 98.89 % of a Gaussian's flux.
    expect(mean / (5000 * GAIN * 0.98889)).toBeCloseTo(1, 1);
  });

  it('gives a magnitude difference of 2.5 for a flux ratio of 10', () => {
    const image = starField(
      160,
      100,
      SKY,
      [
        { x: 40.2, y: 50.7, flux: 300000, sigma: 1.8 },
        { x: 120.6, y: 49.3, flux: 30000, sigma: 1.8 },
      ],
      { seed: 3, gain: GAIN, readNoise: READ_NOISE, integer: true },
    );
    const opts = { radius: 9, skyInner: 14, skyOuter: 22, gain: GAIN };
    const bright = aperturePhotometry(image, { x: 40.2, y: 50.7, ...opts });
    const faint = aperturePhotometry(image, { x: 120.6, y: 49.3, ...opts });
    const difference = faint.instrumentalMagnitude - bright.instrumentalMagnitude;
    const error = Math.hypot(faint.magnitudeError, bright.magnitudeError);
    expect(Math.abs(difference - 2.5)).toBeLessThan(Math.max(0.02, 3 * error));
    expect(error).toBeLessThan(0.02);
  });

  it('is stable to sub-pixel shifts of the star and aperture (exact pixel overlap)', () => {
    const exact: number[] = [];
    const centres: number[] = [];
    for (let k = 0; k <= 10; k++) {
      const x = 30 + k / 10;
      const y = 30 + ((k * 0.37) % 1);
      const image = flatImage(61, 61, 100);
      addGaussianStar(image, { x, y, flux: 10000, sigma: 1.5 });
      // Radius 4 = 2.7 sigma still cuts the profile where it falls steeply.
      exact.push(aperturePhotometry(image, { x, y, radius: 4, skyInner: 12, skyOuter: 20 }).flux);
      // The naive sum of whole pixels whose centres fall inside, for comparison.
      let sum = 0;
      for (let j = 20; j <= 40; j++) {
        for (let i = 20; i <= 40; i++) {
          if ((i - x) ** 2 + (j - y) ** 2 <= 16) sum += image.data[(j - 1) * 61 + (i - 1)] - 100;
        }
      }
      centres.push(sum);
    }
    const spread = (v: number[]) => (Math.max(...v) - Math.min(...v)) / Math.max(...v);
    expect(spread(exact)).toBeLessThan(0.003);
    expect(spread(centres)).toBeGreaterThan(5 * spread(exact));
  });

  it('measures the sky from integer counts without rounding it to a whole count', () => {
    const image = starField(101, 101, 500.4, [], { seed: 11, gain: 1, readNoise: 2, integer: true });
    const r = aperturePhotometry(image, { x: 51, y: 51, radius: 10, skyInner: 12, skyOuter: 45 });
    expect(Math.abs(r.sky - 500.4)).toBeLessThan(0.15);
  });

  it('offers the clipped mean and the DAOPHOT mode as sky estimators', () => {
    const image = field(5, [{ x: 50, y: 50, flux: 20000 }]);
    const base = { x: 50, y: 50, radius: 10, skyInner: 14, skyOuter: 30, gain: GAIN };
    const median = aperturePhotometry(image, base);
    const mean = aperturePhotometry(image, { ...base, skyEstimator: 'mean' });
    const mode = aperturePhotometry(image, { ...base, skyEstimator: 'mode' });
    for (const r of [median, mean, mode]) expect(Math.abs(r.sky - SKY)).toBeLessThan(1.5);
    expect(mode.sky).toBeCloseTo(3 * median.sky - 2 * mean.sky, 9);
  });

  it('skips blank pixels: in the annulus silently, in the aperture with a flag and less area', () => {
    const image = field(8, [{ x: 50, y: 50, flux: 20000 }]);
    const base = { x: 50, y: 50, radius: 8, skyInner: 12, skyOuter: 20, gain: GAIN };
    const clean = aperturePhotometry(image, base);
    image.data[(50 - 1) * 101 + (65 - 1)] = NaN; // (65, 50): in the annulus
    image.data[(60 - 1) * 101 + (50 - 1)] = NaN;
    const skyHoles = aperturePhotometry(image, base);
    expect(skyHoles.flags).toEqual([]);
    expect(skyHoles.skyPixels).toBeLessThanOrEqual(clean.skyPixels - 1);
    expect(skyHoles.flux).toBeCloseTo(clean.flux, -2);

    image.data[(53 - 1) * 101 + (50 - 1)] = NaN; // (50, 53): in the aperture, on the star's flank
    const hole = aperturePhotometry(image, base);
    expect(hole.flags).toContain('blank-pixels');
    expect(hole.blankPixels).toBe(1);
    expect(hole.apertureArea).toBeCloseTo(Math.PI * 64 - 1, 9);
    expect(hole.flux).toBeLessThan(clean.flux);
    expect(Number.isFinite(hole.flux)).toBe(true);
  });

  it('returns NaN flux with flag off-image when the aperture crosses the border, and measures a cut annulus', () => {
    const image = field(9, [
      { x: 4, y: 20, flux: 20000 },
      { x: 12, y: 60, flux: 20000 },
    ]);
    const off = aperturePhotometry(image, { x: 4, y: 20, radius: 5, skyInner: 8, skyOuter: 14 });
    expect(off.flags).toContain('off-image');
    expect(off.flux).toBeNaN();
    expect(off.instrumentalMagnitude).toBeNaN();
    expect(off.flags).not.toContain('negative-flux');

    const cut = aperturePhotometry(image, { x: 12, y: 60, radius: 8, skyInner: 10, skyOuter: 18, gain: GAIN });
    expect(cut.flags).toEqual(['annulus-off-image']);
    expect(cut.flux / (20000 * GAIN)).toBeCloseTo(1, 1);

    const outside = aperturePhotometry(image, { x: -50, y: -50, radius: 5 });
    expect(outside.flags).toEqual(expect.arrayContaining(['off-image', 'annulus-off-image', 'no-sky']));
    expect(outside.flux).toBeNaN();
  });

  it('flags zero or negative flux and leaves the magnitude NaN', () => {
    const image = flatImage(60, 60, 100);
    for (let j = 25; j <= 35; j++) for (let i = 25; i <= 35; i++) image.data[(j - 1) * 60 + (i - 1)] = 90;
    const r = aperturePhotometry(image, { x: 30, y: 30, radius: 4, skyInner: 10, skyOuter: 20 });
    expect(r.flux).toBeLessThan(0);
    expect(r.flags).toEqual(['negative-flux']);
    expect(r.instrumentalMagnitude).toBeNaN();
    expect(r.magnitudeError).toBeNaN();
  });

  it('reports saturation against a given level', () => {
    const image = flatImage(60, 60, 100);
    addGaussianStar(image, { x: 30, y: 30, flux: 400000, sigma: 1.5 });
    for (let k = 0; k < image.data.length; k++) image.data[k] = Math.min(image.data[k], 20000);
    const r = aperturePhotometry(image, { x: 30, y: 30, radius: 6, saturation: 20000 });
    expect(r.saturated).toBe(true);
    expect(r.flags).toContain('saturated');
    expect(aperturePhotometry(image, { x: 30, y: 30, radius: 6 }).saturated).toBe(false);
  });

  it('gives the magnitude per second when the exposure time is known', () => {
    const image = field(12, [{ x: 50, y: 50, flux: 20000 }]);
    const base = { x: 50, y: 50, radius: 10, gain: GAIN, zeroPoint: 20 };
    const total = aperturePhotometry(image, base);
    const perSecond = aperturePhotometry(image, { ...base, exposureTime: 10 });
    expect(total.instrumentalMagnitude - perSecond.instrumentalMagnitude).toBeCloseTo(-2.5, 12);
    expect(perSecond.magnitudeError).toBe(total.magnitudeError);
  });

  it('recentres on the star when asked, and says so when it cannot', () => {
    const image = field(13, [{ x: 50.4, y: 49.8, flux: 20000 }]);
    const r = aperturePhotometry(image, { x: 52, y: 48, radius: 8, gain: GAIN, recenter: true });
    expect(r.x).toBeCloseTo(50.4, 1);
    expect(r.y).toBeCloseTo(49.8, 1);
    expect(r.flux / (20000 * GAIN)).toBeCloseTo(1, 1);
    const blank = aperturePhotometry(flatImage(60, 60, 100), { x: 30, y: 30, radius: 5, recenter: { box: 9 } });
    expect(blank.flags).toContain('centroid-failed');
    expect(blank.x).toBe(30);
  });

  it('rejects impossible apertures', () => {
    const image = flatImage(20, 20, 0);
    expect(() => aperturePhotometry(image, { x: 10, y: 10, radius: 0 })).toThrow(PhotometryError);
    expect(() => aperturePhotometry(image, { x: 10, y: 10, radius: 3, skyInner: 6, skyOuter: 5 })).toThrow(
      PhotometryError,
    );
    expect(() => aperturePhotometry(image, { x: NaN, y: 10, radius: 3 })).toThrow(PhotometryError);
    expect(() => aperturePhotometry({ width: 20, height: 20, data: new Float32Array(10) }, { x: 1, y: 1, radius: 1 })).toThrow(
      /needs 400/,
    );
  });
});
