import { differentialMagnitude } from './differential';

const m = (instrumentalMagnitude: number, magnitudeError = 0.01, catalogMagnitude?: number) => ({
  instrumentalMagnitude,
  magnitudeError,
  ...(catalogMagnitude === undefined ? {} : { catalogMagnitude }),
});

describe('differentialMagnitude', () => {
  it('is the difference from a single comparison, errors in quadrature', () => {
    const r = differentialMagnitude(m(12.5, 0.03), [m(10, 0.04)]);
    expect(r.magnitude).toBeCloseTo(2.5, 12);
    expect(r.error).toBeCloseTo(0.05, 12);
    expect(r.comparisons).toBe(1);
    expect(r.calibrated).toBe(false);
  });

  it('uses the magnitude of the comparisons’ mean flux', () => {
    // Fluxes 10 and 1 (relative to magnitude 0): mean 5.5; target flux 1.
    const r = differentialMagnitude(m(0), [m(-2.5), m(0)]);
    expect(r.comparisonMagnitude).toBeCloseTo(-2.5 * Math.log10(5.5), 12);
    expect(r.magnitude).toBeCloseTo(2.5 * Math.log10(5.5), 12);
    // Equal comparisons: the ensemble error shrinks as 1/√N.
    const four = differentialMagnitude(m(10, 0), [m(11, 0.02), m(11, 0.02), m(11, 0.02), m(11, 0.02)]);
    expect(four.magnitude).toBeCloseTo(-1, 12);
    expect(four.comparisonError).toBeCloseTo(0.01, 12);
    expect(four.error).toBeCloseTo(0.01, 12);
  });

  it('cancels a zero point common to the frame: same answer on a clear and a hazy night', () => {
    const clear = differentialMagnitude(m(14.2), [m(12.1), m(13.4), m(12.9)]);
    const hazy = differentialMagnitude(m(14.2 + 0.7), [m(12.1 + 0.7), m(13.4 + 0.7), m(12.9 + 0.7)]);
    expect(hazy.magnitude).toBeCloseTo(clear.magnitude, 12);
  });

  it('is calibrated when every comparison has a catalogue magnitude', () => {
    // Zero point 3.2: catalogue = instrumental − 3.2 for every star; the target is 11.0 − 3.2 = 7.8.
    const r = differentialMagnitude(m(11), [m(10, 0.01, 6.8), m(12, 0.01, 8.8), m(9.5, 0.01, 6.3)]);
    expect(r.calibrated).toBe(true);
    expect(r.magnitude).toBeCloseTo(7.8, 12);
    const partial = differentialMagnitude(m(11), [m(10, 0.01, 6.8), m(12)]);
    expect(partial.calibrated).toBe(false);
  });

  it('skips unusable comparisons and says when nothing is left', () => {
    const r = differentialMagnitude(m(12), [m(NaN), m(11, NaN), m(10, 0.02)]);
    expect(r.comparisons).toBe(1);
    expect(r.magnitude).toBeCloseTo(2, 12);
    const none = differentialMagnitude(m(12), [m(NaN)]);
    expect(none.magnitude).toBeNaN();
    expect(none.comparisons).toBe(0);
    expect(differentialMagnitude(m(NaN), [m(10)]).magnitude).toBeNaN();
  });
});
