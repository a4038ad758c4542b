import { countSaturated, estimateSaturationLevel } from './saturation';
import { addGaussianStar, flatImage, starField } from './synthetic';

function clip(data: Float32Array | Float64Array, level: number): void {
  for (let k = 0; k < data.length; k++) data[k] = Math.min(data[k], level);
}

describe('countSaturated', () => {
  it('counts pixels at or above a given level, ignoring blanks', () => {
    const image = flatImage(10, 10, 100);
    image.data[5] = 60000;
    image.data[6] = 65000;
    image.data[7] = NaN;
    expect(countSaturated(image, 60000)).toBe(2);
    expect(countSaturated(image, 65001)).toBe(0);
  });

  it('guesses the level from integer data clipped at a converter ceiling', () => {
    const image = starField(60, 60, 500, [{ x: 30, y: 30, flux: 2e6, sigma: 1.5 }], { seed: 1, integer: true });
    clip(image.data, 65535);
    const expected = Array.from(image.data).filter((v) => v === 65535).length;
    expect(expected).toBeGreaterThan(5);
    expect(estimateSaturationLevel(image)).toBe(65535);
    expect(countSaturated(image)).toBe(expected);
  });

  it('guesses the level from a plateau of equal maxima in float data', () => {
    const image = starField(60, 60, 500, [{ x: 30, y: 30, flux: 1e6, sigma: 1.5 }], { seed: 2 });
    clip(image.data, 42000.5);
    expect(estimateSaturationLevel(image)).toBe(42000.5);
    expect(countSaturated(image)).toBeGreaterThanOrEqual(4);
  });

  it('finds nothing saturated in an ordinary frame or a blank one', () => {
    const image = starField(60, 60, 500, [{ x: 30, y: 30, flux: 20000, sigma: 1.5 }], { seed: 3, integer: true });
    expect(estimateSaturationLevel(image)).toBeNull();
    expect(countSaturated(image)).toBe(0);
    expect(countSaturated(flatImage(20, 20, 7))).toBe(0);
    const blank = flatImage(5, 5, NaN);
    expect(countSaturated(blank)).toBe(0);
    const single = flatImage(40, 40, 100);
    addGaussianStar(single, { x: 20, y: 20, flux: 5000, sigma: 1 });
    expect(countSaturated(single)).toBe(0);
  });
});
