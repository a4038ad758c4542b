/**
 * The library on real data: the five shallow 5 s M13 frames (1392×1040, about 12 s apart) in
 * test/fixtures/m13-blue-2013-05-05. Their brightest pixels are cosmic rays and hot pixels, and the telescope drifts
 * about 11 px per frame in x (DESIGN.md, "Photometry").
 */
import * as path from 'node:path';
import { readFitsImage } from '../fits';
import {
  aperturePhotometry,
  countSaturated,
  detectSources,
  estimateSaturationLevel,
  frameShift,
  type FrameShift,
  type PixelImage,
} from './index';

const DIR = path.join(__dirname, '..', '..', 'test', 'fixtures', 'm13-blue-2013-05-05');

describe('M13 frames', () => {
  let frames: PixelImage[];
  /** Each frame's shift against the first (zero for the first). */
  let shifts: FrameShift[];

  beforeAll(async () => {
    frames = await Promise.all([1, 2, 3, 4, 5].map((i) => readFitsImage(path.join(DIR, `M13_blue_000${i}.fits.gz`))));
    shifts = [{ dx: 0, dy: 0, correlation: 1 }, ...frames.slice(1).map((image) => frameShift(frames[0], image)!)];
  });

  it('detects no source at any frame’s brightest pixel, a cosmic ray or hot pixel each time', () => {
    for (const image of frames) {
      let brightest = 0;
      for (let k = 1; k < image.data.length; k++) if (image.data[k] > image.data[brightest]) brightest = k;
      const x = (brightest % image.width) + 1;
      const y = Math.floor(brightest / image.width) + 1;
      const sources = detectSources(image, { maxSources: 200 });
      expect(sources.length).toBeGreaterThan(0);
      for (const s of sources) expect(Math.hypot(s.x - x, s.y - y)).toBeGreaterThan(2);
    }
  });

  it('finds the drift between frames, and the shifts add up (to the few tenths of a pixel these faint frames allow)', () => {
    const xs = shifts.slice(1).map((s) => s.dx);
    // Drifting steadily towards smaller x, by about 11 px per frame.
    expect(xs[0]).toBeLessThan(-9);
    for (let k = 1; k < xs.length; k++) expect(xs[k] - xs[k - 1]).toBeLessThan(-8);
    for (const s of shifts) expect(s.correlation).toBeGreaterThan(0.6);
    const twoToThree = frameShift(frames[1], frames[2])!;
    expect(Math.abs(shifts[1].dx + twoToThree.dx - shifts[2].dx)).toBeLessThan(0.4);
    expect(Math.abs(shifts[1].dy + twoToThree.dy - shifts[2].dy)).toBeLessThan(0.4);
  });

  it('measures the cluster’s integrated light the same in every frame, once the drift is followed', () => {
    const results = frames.map((image, k) =>
      aperturePhotometry(image, { x: 640 + shifts[k].dx, y: 520 + shifts[k].dy, radius: 80, skyInner: 250, skyOuter: 300 }),
    );
    const mags = results.map((r) => r.instrumentalMagnitude);
    for (const r of results) {
      expect(r.flags).toEqual([]);
      expect(r.sky).toBeGreaterThan(505);
      expect(r.sky).toBeLessThan(516);
      expect(r.magnitudeError).toBeLessThan(0.02);
    }
    expect(Math.max(...mags) - Math.min(...mags)).toBeLessThan(0.15);
  });

  it('finds nothing saturated', () => {
    for (const image of frames) {
      expect(estimateSaturationLevel(image)).toBeNull();
      expect(countSaturated(image)).toBe(0);
      expect(countSaturated(image, 65535)).toBe(0);
    }
  });
});
