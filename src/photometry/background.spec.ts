import { backgroundMap } from './background';
import { addGaussianStar, addNoise, flatImage } from './synthetic';

describe('backgroundMap', () => {
  it('follows a sky gradient under stars, to the corners, and gives the noise', () => {
    const image = flatImage(256, 192, 0);
    for (let y = 1; y <= 192; y++) for (let x = 1; x <= 256; x++) image.data[(y - 1) * 256 + (x - 1)] = 400 + 0.1 * x + 0.05 * y;
    for (let k = 0; k < 30; k++) addGaussianStar(image, { x: 10 + ((k * 37) % 236), y: 10 + ((k * 53) % 172), flux: 30000, sigma: 1.5 });
    addNoise(image, { seed: 1, gain: 2, readNoise: 5 });
    const map = backgroundMap(image);
    for (const [x, y] of [
      [64, 48],
      [128, 96],
      [190, 150],
      [100, 40],
      [1, 1],
      [256, 192],
      [256, 1],
    ]) {
      expect(Math.abs(map.levelAt(x, y) - (400 + 0.1 * x + 0.05 * y))).toBeLessThan(2);
    }
    // Photon noise of ~420 counts at gain 2 plus read noise 5: √(210 + 25) ≈ 15.3 (the gradient adds a little).
    expect(map.stdDev).toBeGreaterThan(14.5);
    expect(map.stdDev).toBeLessThan(16.5);
    const row = new Float32Array(300);
    map.fillRow(100, -20, row); // reaches past both edges
    for (const i of [0, 20, 150, 276, 299]) expect(row[i]).toBeCloseTo(map.levelAt(Math.min(256, Math.max(1, i - 20)), 100), 3);
  });

  it('gives one level for a rectangle smaller than two meshes, and copes with blank pixels', () => {
    const image = flatImage(100, 100, 50);
    addNoise(image, { seed: 2, gain: 1e9, readNoise: 3 }); // read noise only
    for (let k = 0; k < 2000; k++) image.data[k] = NaN;
    const map = backgroundMap(image, { x0: 10, y0: 10, x1: 80, y1: 90 });
    expect(map.levelAt(10, 10)).toBe(map.levelAt(80, 90));
    expect(map.level).toBeCloseTo(50, 0);
    expect(map.stdDev).toBeCloseTo(3, 0);
  });
});
