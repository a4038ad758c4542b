import { sampleMedian, clippedSampleStats } from './sample-statistics';
import { normalRandom, seededRandom } from './synthetic';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values, ignoring NaN', () => {
    expect(sampleMedian([3, 1, 2])).toBe(2);
    expect(sampleMedian([4, 1, 3, 2])).toBe(2.5);
    expect(sampleMedian([NaN, 5, NaN, 1, 3])).toBe(3);
    expect(sampleMedian([])).toBeNaN();
    expect(sampleMedian([NaN])).toBeNaN();
  });
});

describe('clippedSampleStats', () => {
  const normal = normalRandom(seededRandom(7));

  it('recovers the level and spread of Gaussian noise with outliers clipped', () => {
    const values = Array.from({ length: 5000 }, () => 100.3 + 4 * normal());
    for (let i = 0; i < 100; i++) values.push(5000 + i); // stars and cosmic rays
    values.push(NaN, NaN);
    const stats = clippedSampleStats(values);
    expect(stats.total).toBe(5100);
    expect(stats.count).toBeLessThan(5001);
    expect(stats.count).toBeGreaterThan(4900);
    expect(stats.median).toBeCloseTo(100.3, 0);
    expect(Math.abs(stats.mean - 100.3)).toBeLessThan(0.2);
    expect(stats.stdDev).toBeGreaterThan(3.8);
    expect(stats.stdDev).toBeLessThan(4.1);
  });

  it('interpolates the median of integer counts within its bin, so it follows the sky smoothly', () => {
    const raw = Array.from({ length: 20000 }, () => 500.3 + 5 * normal());
    const counts = raw.map(Math.round);
    const stats = clippedSampleStats(counts);
    // A plain median is stuck on a whole count (500); the interpolated one lands near the true 500.3.
    expect(sampleMedian(counts)).toBe(500);
    expect(Math.abs(stats.median - 500.3)).toBeLessThan(0.12);
  });

  it('copes with empty, constant and single-valued samples', () => {
    expect(clippedSampleStats([]).count).toBe(0);
    expect(clippedSampleStats([]).median).toBeNaN();
    const constant = clippedSampleStats([2.5, 2.5, 2.5]);
    expect(constant).toMatchObject({ median: 2.5, mean: 2.5, stdDev: 0, count: 3 });
    expect(clippedSampleStats([7]).median).toBe(7);
  });
});
