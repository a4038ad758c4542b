import { frameShift } from './align';
import { flatImage, seededRandom, starField, type SyntheticStar } from './synthetic';
import { PhotometryError } from './types';

const random = seededRandom(3);
const STARS: SyntheticStar[] = Array.from({ length: 40 }, () => ({
  x: 40 + random() * 320,
  y: 40 + random() * 220,
  flux: 1000 + random() * 20000,
  sigma: 1.6,
}));

function frame(seed: number, dx: number, dy: number) {
  const stars = STARS.map((s) => ({ ...s, x: s.x + dx, y: s.y + dy }));
  return starField(400, 300, 500, stars, { seed, gain: 2, readNoise: 5, integer: true });
}

describe('frameShift', () => {
  it('recovers shifts, whole and fractional, to a few hundredths of a pixel', () => {
    const reference = frame(1, 0, 0);
    for (const [dx, dy] of [
      [7.3, -4.6],
      [-18.45, 11.8],
      [0.5, 0.25],
      [-41.2, -2.7],
    ]) {
      const shift = frameShift(reference, frame(2, dx, dy))!;
      expect(Math.abs(shift.dx - dx)).toBeLessThan(0.05);
      expect(Math.abs(shift.dy - dy)).toBeLessThan(0.05);
      expect(shift.correlation).toBeGreaterThan(0.9);
    }
  });

  it('is not held at zero by hot pixels that stay put while the stars move', () => {
    const reference = frame(3, 0, 0);
    const image = frame(4, 9.4, -6.2);
    const hot = seededRandom(5);
    for (let k = 0; k < 300; k++) {
      const at = Math.floor(hot() * 400 * 300);
      reference.data[at] += 3000;
      image.data[at] += 3000;
    }
    const shift = frameShift(reference, image)!;
    expect(shift.dx).toBeCloseTo(9.4, 1);
    expect(shift.dy).toBeCloseTo(-6.2, 1);
  });

  it('finds no real correlation between frames of noise', () => {
    const a = starField(200, 150, 500, [], { seed: 6, gain: 2, readNoise: 5 });
    const b = starField(200, 150, 500, [], { seed: 7, gain: 2, readNoise: 5 });
    const shift = frameShift(a, b);
    expect(shift === null || shift.correlation < 0.3).toBe(true);
  });

  it('refuses frames of different sizes', () => {
    expect(() => frameShift(flatImage(10, 10), flatImage(10, 11))).toThrow(PhotometryError);
  });
});
