import { estimateFwhm, FWHM_PER_SIGMA, starFwhm } from './fwhm';
import { flatImage, starField } from './synthetic';

describe('estimateFwhm', () => {
  it('measures a Gaussian of sigma 2 as FWHM 4.71 px within 5 %', () => {
    const stars = [
      { x: 30.3, y: 30.8, flux: 20000, sigma: 2 },
      { x: 80.6, y: 40.1, flux: 15000, sigma: 2 },
      { x: 50.5, y: 80.5, flux: 30000, sigma: 2 },
    ];
    const image = starField(110, 110, 500, stars, { seed: 1, gain: 2, readNoise: 5, integer: true });
    const result = estimateFwhm(image, stars)!;
    expect(result.measured).toBe(3);
    expect(result.values).toHaveLength(3);
    expect(Math.abs(result.fwhm / (2 * FWHM_PER_SIGMA) - 1)).toBeLessThan(0.05);
    expect(FWHM_PER_SIGMA * 2).toBeCloseTo(4.71, 2);
  });

  it('follows the seeing from sharp to soft stars, exactly for noiseless Gaussians (plus the pixel)', () => {
    for (const sigma of [1, 1.5, 2.5, 3.5]) {
      const image = starField(80, 80, 100, [{ x: 40.37, y: 39.72, flux: 50000, sigma }], null);
      const fwhm = starFwhm(image, 40, 40, { box: Math.max(15, Math.ceil(8 * sigma)) })!;
      // Pixel integration adds 1/12 px² to sigma².
      expect(fwhm).toBeCloseTo(FWHM_PER_SIGMA * Math.sqrt(sigma * sigma + 1 / 12), 1);
    }
  });

  it('starts from rough positions and takes the median over stars, skipping empty places', () => {
    const stars = [
      { x: 30, y: 30, flux: 20000, sigma: 1.5 },
      { x: 70, y: 30, flux: 20000, sigma: 1.5 },
      { x: 50, y: 70, flux: 20000, sigma: 3 }, // an outlier (a galaxy, a blend)
    ];
    const image = starField(100, 100, 500, stars, { seed: 2, gain: 2, readNoise: 5 });
    const result = estimateFwhm(image, [
      { x: 31, y: 29 },
      { x: 69, y: 31 },
      { x: 50, y: 70 },
      { x: 85, y: 85 }, // nothing there
      { x: NaN, y: 3 },
    ])!;
    expect(result.measured).toBe(3);
    expect(result.fwhm).toBeCloseTo(1.5 * FWHM_PER_SIGMA, 0);
    expect(Math.abs(result.fwhm / (1.5 * FWHM_PER_SIGMA) - 1)).toBeLessThan(0.08);
  });

  it('returns null when no star can be measured', () => {
    expect(estimateFwhm(flatImage(50, 50, 10), [{ x: 25, y: 25 }])).toBeNull();
    expect(estimateFwhm(flatImage(50, 50, 10), [])).toBeNull();
  });
});
