import { detectSources, findBrightestSource } from './detect';
import { addGaussianStar, addNoise, flatImage, seededRandom, starField, type SyntheticStar } from './synthetic';
import type { PixelImage } from './types';

const SKY = 500;

function set(image: PixelImage, x: number, y: number, value: number): void {
  image.data[(y - 1) * image.width + (x - 1)] += value;
}

/** Cosmic rays and hot pixels of the kinds seen on the M13 frames, added after the noise. */
function addCosmics(image: PixelImage): { x: number; y: number }[] {
  set(image, 30, 200, 3000); // hot pixel
  set(image, 250, 40, 900);
  set(image, 120, 60, 1500); // two-pixel hit
  set(image, 121, 60, 1200);
  for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) set(image, 200 + dx, 200 + dy, 800); // 2×2 blob
  // A diagonal four-pixel track, as at (1326, 181) on M13_blue_0004.
  set(image, 60, 120, 820);
  set(image, 61, 120, 940);
  set(image, 61, 121, 570);
  set(image, 62, 121, 750);
  set(image, 63, 122, 130);
  return [
    { x: 30, y: 200 },
    { x: 250, y: 40 },
    { x: 120.5, y: 60 },
    { x: 200.5, y: 200.5 },
    { x: 61, y: 120.5 },
  ];
}

const STARS: SyntheticStar[] = [
  { x: 50.3, y: 40.7, flux: 30000, sigma: 1.5 },
  { x: 150.8, y: 120.2, flux: 20000, sigma: 1.5 },
  { x: 220.4, y: 150.6, flux: 12000, sigma: 1.5 },
  { x: 90.6, y: 180.1, flux: 8000, sigma: 1.5 },
  { x: 260.2, y: 210.9, flux: 5000, sigma: 1.5 },
  { x: 180.5, y: 60.5, flux: 3500, sigma: 1.5 },
];

function field(seed: number, stars = STARS): PixelImage {
  return starField(300, 250, SKY, stars, { seed, gain: 2, readNoise: 5, integer: true });
}

function nearest(list: { x: number; y: number }[], p: { x: number; y: number }): number {
  return Math.min(...list.map((q) => Math.hypot(q.x - p.x, q.y - p.y)));
}

describe('detectSources', () => {
  it('finds the injected stars, brightest first, and neither noise nor cosmic rays', () => {
    for (const seed of [1, 2, 3]) {
      const image = field(seed);
      const cosmics = addCosmics(image);
      const sources = detectSources(image);
      for (const star of STARS) expect(nearest(sources, star)).toBeLessThan(0.5);
      for (const hit of cosmics) expect(nearest(sources, hit)).toBeGreaterThan(3);
      expect(sources).toHaveLength(STARS.length);
      const fluxes = sources.map((s) => s.flux);
      expect(fluxes).toEqual([...fluxes].sort((a, b) => b - a));
      // Ranked as injected; the ranking flux (radius 4 = 2.7 sigma) holds ~97 % of each star.
      sources.forEach((s, i) => {
        expect(nearest([STARS[i]], s)).toBeLessThan(0.5);
        expect(s.flux / STARS[i].flux).toBeGreaterThan(0.85);
        expect(s.flux / STARS[i].flux).toBeLessThan(1.1);
        expect(Math.abs(s.background - SKY)).toBeLessThan(5);
        expect(s.peak).toBeGreaterThan(SKY);
        expect(s.significance).toBeGreaterThan(5);
      });
    }
  });

  it('reports the raw peak pixel, background included, for comparison with a saturation level', () => {
    const image = starField(100, 100, SKY, [{ x: 50, y: 50, flux: 20000, sigma: 1.5 }], null);
    const [source] = detectSources(image);
    expect(source.peak).toBeCloseTo(image.data[49 * 100 + 49], 6);
    expect(source.x).toBeCloseTo(50, 1);
  });

  it('finds nothing in pure noise', () => {
    for (const seed of [11, 12, 13]) expect(detectSources(field(seed, []))).toEqual([]);
  });

  it('honours maxSources, border and minSeparation', () => {
    const image = field(4);
    expect(detectSources(image, { maxSources: 2 }).map((s) => Math.round(s.x))).toEqual([50, 151]);
    // A border of 45 px leaves out the stars at x = 260 and y = 40.
    const inner = detectSources(image, { border: 45 });
    expect(nearest(inner, STARS[0])).toBeGreaterThan(3);
    expect(nearest(inner, STARS[4])).toBeGreaterThan(3);
    expect(inner).toHaveLength(4);

    const pair = starField(
      100,
      100,
      SKY,
      [
        { x: 50, y: 50, flux: 20000, sigma: 1.5 },
        { x: 57, y: 50, flux: 10000, sigma: 1.5 },
      ],
      { seed: 5, gain: 2, readNoise: 5 },
    );
    expect(detectSources(pair)).toHaveLength(2);
    const merged = detectSources(pair, { minSeparation: 10 });
    expect(merged).toHaveLength(1);
    expect(merged[0].x).toBeCloseTo(50, 0);
  });

  it('searches only the region asked for, finding there what a whole-image search finds', () => {
    const image = field(4);
    const everywhere = detectSources(image);
    const region = { x0: 100, y0: 100, x1: 300, y1: 300 };
    const inside = detectSources(image, { region });
    const expected = everywhere.filter((s) => s.x >= region.x0 && s.x <= region.x1 && s.y >= region.y0 && s.y <= region.y1);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(everywhere.length);
    expect(inside.map((s) => [Math.round(s.x), Math.round(s.y)])).toEqual(expected.map((s) => [Math.round(s.x), Math.round(s.y)]));
  });

  it('is not fooled by a smooth glow the mesh background cannot follow, such as a cluster core', () => {
    const image = flatImage(300, 250, SKY);
    // A core of unresolved light, 80 counts high and 25 px wide, with a few resolved stars on and off it.
    for (let y = 1; y <= 250; y++) {
      for (let x = 1; x <= 300; x++) image.data[(y - 1) * 300 + (x - 1)] += 80 * Math.exp(-((x - 150) ** 2 + (y - 125) ** 2) / (2 * 25 * 25));
    }
    const stars = [
      { x: 150.3, y: 125.6, flux: 15000, sigma: 1.5 },
      { x: 170.2, y: 110.4, flux: 10000, sigma: 1.5 },
      { x: 60.7, y: 200.2, flux: 10000, sigma: 1.5 },
    ];
    for (const star of stars) addGaussianStar(image, star);
    addNoise(image, { seed: 6, gain: 2, readNoise: 5, integer: true });
    const sources = detectSources(image);
    for (const star of stars) expect(nearest(sources, star)).toBeLessThan(0.5);
    expect(sources).toHaveLength(3);
  });

  it('skips blank pixels', () => {
    const image = field(7);
    for (let y = 100; y <= 250; y++) for (let x = 1; x <= 120; x++) image.data[(y - 1) * 300 + (x - 1)] = NaN;
    const sources = detectSources(image);
    expect(nearest(sources, STARS[1])).toBeLessThan(0.5);
    expect(nearest(sources, STARS[3])).toBeGreaterThan(3); // (90.6, 180.1) lies in the blank area
    for (const s of sources) expect(Number.isFinite(s.flux)).toBe(true);
  });

  it('takes well under a second for a 1392×1040 frame', () => {
    // A 348×260 tile of stars and noise, repeated 4×4 (generating noise for the whole frame is slow under Jest).
    const random = seededRandom(8);
    const stars = Array.from({ length: 15 }, () => ({
      x: 15 + random() * 318,
      y: 15 + random() * 230,
      flux: 2000 + random() * 50000,
      sigma: 1.2 + random(),
    }));
    const tile = starField(348, 260, 513, stars, { seed: 9, gain: 1.5, readNoise: 8, integer: true });
    const image = { width: 1392, height: 1040, data: new Float32Array(1392 * 1040) };
    for (let y = 0; y < 1040; y++) {
      const from = (y % 260) * 348;
      for (let tx = 0; tx < 4; tx++) image.data.set(tile.data.subarray(from, from + 348), y * 1392 + tx * 348);
    }
    let best = Infinity;
    let found = 0;
    for (let run = 0; run < 3; run++) {
      const start = process.hrtime.bigint();
      found = detectSources(image, { maxSources: 500 }).length;
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
    }
    expect(found).toBeGreaterThan(150);
    // About 50 ms in plain Node on an idle machine; Jest's sandbox makes Math and typed arrays slower, and tests
    // share the machine, hence the generous bound.
    expect(best).toBeLessThan(1000);
  });
});

describe('findBrightestSource', () => {
  it('finds the brightest star near the centre and ignores brighter ones outside the radius', () => {
    const image = starField(
      200,
      160,
      SKY,
      [
        { x: 105.4, y: 83.2, flux: 8000, sigma: 1.6 },
        { x: 90.2, y: 70.7, flux: 4000, sigma: 1.6 },
        { x: 15, y: 15, flux: 50000, sigma: 1.6 },
      ],
      { seed: 10, gain: 2, readNoise: 5, integer: true },
    );
    const found = findBrightestSource(image)!; // centre (100.5, 80.5), radius 40
    expect(found.x).toBeCloseTo(105.4, 0);
    expect(found.y).toBeCloseTo(83.2, 0);
    const anywhere = findBrightestSource(image, { radius: 200 })!;
    expect(anywhere.x).toBeCloseTo(15, 0);
    const there = findBrightestSource(image, { x: 88, y: 72, radius: 6 })!;
    expect(there.x).toBeCloseTo(90.2, 0);
  });

  it('prefers a star to a brighter cosmic ray', () => {
    const image = starField(200, 160, SKY, [{ x: 110.6, y: 75.3, flux: 6000, sigma: 1.6 }], {
      seed: 12,
      gain: 2,
      readNoise: 5,
      integer: true,
    });
    set(image, 100, 80, 5000);
    set(image, 101, 81, 4000);
    const found = findBrightestSource(image)!;
    expect(found.x).toBeCloseTo(110.6, 0);
    expect(found.y).toBeCloseTo(75.3, 0);
  });

  it('returns null when nothing is there', () => {
    const image = starField(200, 160, SKY, [], { seed: 13, gain: 2, readNoise: 5, integer: true });
    addCosmics(image);
    expect(findBrightestSource(image)).toBeNull();
    expect(findBrightestSource(image, { x: -500, y: -500, radius: 10 })).toBeNull();
  });
});
