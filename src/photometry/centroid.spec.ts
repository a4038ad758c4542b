import { centroid } from './centroid';
import { flatImage, seededRandom, starField } from './synthetic';

describe('centroid', () => {
  it('recovers sub-pixel positions to 0.05 px on a noisy sky', () => {
    const random = seededRandom(21);
    for (let k = 0; k < 12; k++) {
      const x = 40 + random() * 20;
      const y = 30 + random() * 20;
      const image = starField(90, 80, 500, [{ x, y, flux: 60000, sigma: 2 }], {
        seed: 1000 + k,
        gain: 2,
        readNoise: 5,
        integer: true,
      });
      const c = centroid(image, Math.round(x), Math.round(y));
      expect(c).not.toBeNull();
      expect(Math.abs(c!.x - x)).toBeLessThan(0.05);
      expect(Math.abs(c!.y - y)).toBeLessThan(0.05);
      expect(Math.abs(c!.background - 500)).toBeLessThan(15); // the frame catches a little of the wings
    }
  });

  it('is unbiased on noiseless stars, though the default box cuts off their wings', () => {
    for (const [x, y, sigma] of [
      [30.43, 29.71, 2.5],
      [30.2, 30.9, 1.5],
      [30.05, 30.3, 3],
    ]) {
      const image = starField(60, 60, 100, [{ x, y, flux: 10000, sigma }], null);
      const c = centroid(image, 30, 30)!;
      expect(Math.abs(c.x - x)).toBeLessThan(0.005);
      expect(Math.abs(c.y - y)).toBeLessThan(0.005);
      const wide = centroid(image, 30, 30, { box: 15 })!;
      expect(Math.abs(wide.x - x)).toBeLessThan(0.005);
    }
  });

  it('finds the star from a starting point a few pixels off', () => {
    const image = starField(60, 60, 500, [{ x: 33.2, y: 27.6, flux: 20000, sigma: 1.5 }], { seed: 4, gain: 2 });
    const c = centroid(image, 30, 30)!;
    expect(c.x).toBeCloseTo(33.2, 1);
    expect(c.y).toBeCloseTo(27.6, 1);
  });

  it('returns null where there is no signal', () => {
    const noise = starField(60, 60, 500, [], { seed: 5, gain: 2, readNoise: 5 });
    expect(centroid(noise, 30, 30)).toBeNull();
    expect(centroid(flatImage(60, 60, 0), 30, 30)).toBeNull();
    expect(centroid(noise, -10, 30)).toBeNull();
  });

  it('works around blank pixels and near the border', () => {
    const image = starField(60, 60, 500, [{ x: 30.3, y: 30.6, flux: 20000, sigma: 2 }], { seed: 6, gain: 2 });
    image.data[(31 - 1) * 60 + (28 - 1)] = NaN; // (28, 31), the flank of the star
    const c = centroid(image, 30, 31)!;
    expect(c.x).toBeCloseTo(30.3, 0);
    expect(c.y).toBeCloseTo(30.6, 0);
    const edge = starField(60, 60, 500, [{ x: 4.5, y: 30.2, flux: 20000, sigma: 1.5 }], { seed: 7, gain: 2 });
    const e = centroid(edge, 5, 30)!;
    expect(e.x).toBeCloseTo(4.5, 1);
    expect(e.y).toBeCloseTo(30.2, 1);
  });
});
