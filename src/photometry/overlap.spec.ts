import { pixelCircleOverlap, pixelRange } from './overlap';

function totalArea(cx: number, cy: number, r: number): number {
  const [xlo, xhi] = pixelRange(cx, r);
  const [ylo, yhi] = pixelRange(cy, r);
  let sum = 0;
  for (let j = ylo; j <= yhi; j++) for (let i = xlo; i <= xhi; i++) sum += pixelCircleOverlap(i, j, cx, cy, r);
  return sum;
}

describe('pixelCircleOverlap', () => {
  it('sums to the area of the circle wherever the circle sits', () => {
    for (const [cx, cy, r] of [
      [10, 10, 3],
      [10.37, 9.81, 3],
      [50.5, 50.5, 7.25],
      [20.13, 30.77, 0.4],
      [20.5, 30.5, 0.5],
      [15.2, 15.9, 12.6],
    ]) {
      expect(totalArea(cx, cy, r)).toBeCloseTo(Math.PI * r * r, 9);
    }
  });

  it('gives whole pixels inside, none outside, and exact fractions on the edge', () => {
    expect(pixelCircleOverlap(10, 10, 10, 10, 3)).toBe(1);
    expect(pixelCircleOverlap(14, 10, 10, 10, 3)).toBe(0);
    // A circle of radius 0.5 centred on a pixel covers π/4 of it.
    expect(pixelCircleOverlap(5, 5, 5, 5, 0.5)).toBeCloseTo(Math.PI / 4, 12);
    // Centred on a pixel's corner, a circle of radius 1 puts a quarter disc (wholly inside) into the pixel.
    expect(pixelCircleOverlap(5, 5, 4.5, 4.5, 1)).toBeCloseTo(Math.PI / 4, 12);
    // A huge circle whose edge runs through the pixel's centre covers half of it, less the sliver its curvature
    // leaves out: ∫ y²/2r dy over the pixel = 1/(24 r).
    expect(pixelCircleOverlap(1000, 0, 0, 0, 1000)).toBeCloseTo(0.5 - 1 / 24000, 6);
  });

  it('agrees with fine subpixel sampling on edge pixels', () => {
    const cx = 3.3;
    const cy = 2.8;
    const r = 2.2;
    const n = 400;
    for (const [i, j] of [
      [5, 3],
      [4, 4],
      [2, 1],
      [1, 2],
    ]) {
      let inside = 0;
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          const px = i - 0.5 + (a + 0.5) / n;
          const py = j - 0.5 + (b + 0.5) / n;
          if ((px - cx) ** 2 + (py - cy) ** 2 <= r * r) inside++;
        }
      }
      expect(pixelCircleOverlap(i, j, cx, cy, r)).toBeCloseTo(inside / (n * n), 3);
    }
  });
});
