/**
 * Differential photometry against an ensemble of comparison stars measured on the same frame, with the same
 * aperture: the target's magnitude minus the ensemble's. The ensemble magnitude is that of the comparisons' mean
 * flux, m_ens = −2.5·log10(mean 10^(−0.4·m_i)) (as AstroImageJ divides the target by the comparisons' total flux),
 * so bright comparisons, which have the smallest errors, weigh most, and a zero point or extinction common to the
 * frame cancels. Errors add in quadrature: σ² = σ_t² + σ_ens², where σ_ens is the error of the mean flux from the
 * comparisons' own errors.
 *
 * When every comparison carries a catalogue magnitude, the result is calibrated: m_t − m_ens + M_ens, with M_ens the
 * catalogue magnitude of the same flux-mean (exact when all comparisons share one zero point).
 */
import { MAGNITUDE_ERROR_FACTOR } from './aperture';

export interface MagnitudeMeasurement {
  instrumentalMagnitude: number;
  magnitudeError: number;
}

export interface ComparisonStar extends MagnitudeMeasurement {
  /** Catalogue (standard) magnitude of the comparison, if known. */
  catalogMagnitude?: number;
}

export interface DifferentialMagnitude {
  /** Target minus ensemble (or the calibrated magnitude, see `calibrated`); NaN without usable stars. */
  magnitude: number;
  error: number;
  /** Instrumental magnitude of the ensemble (its mean flux) and its error. */
  comparisonMagnitude: number;
  comparisonError: number;
  /** Comparisons used (finite magnitudes and errors). */
  comparisons: number;
  /** True when the comparisons' catalogue magnitudes put the result on the standard scale. */
  calibrated: boolean;
}

/** Magnitude of the mean flux of the given magnitudes, and its error. */
function ensemble(mags: number[], errors: number[]): { magnitude: number; error: number } {
  const reference = Math.min(...mags); // relative fluxes ≤ 1: no overflow
  let sum = 0;
  let variance = 0;
  for (let k = 0; k < mags.length; k++) {
    const f = 10 ** (-0.4 * (mags[k] - reference));
    sum += f;
    variance += ((f * errors[k]) / MAGNITUDE_ERROR_FACTOR) ** 2;
  }
  const mean = sum / mags.length;
  return {
    magnitude: reference - 2.5 * Math.log10(mean),
    error: (MAGNITUDE_ERROR_FACTOR * Math.sqrt(variance)) / sum,
  };
}

export function differentialMagnitude(
  target: MagnitudeMeasurement,
  comparisons: ComparisonStar[],
): DifferentialMagnitude {
  const usable = comparisons.filter(
    (c) => Number.isFinite(c.instrumentalMagnitude) && Number.isFinite(c.magnitudeError) && c.magnitudeError >= 0,
  );
  if (!usable.length || !Number.isFinite(target.instrumentalMagnitude)) {
    return {
      magnitude: NaN,
      error: NaN,
      comparisonMagnitude: NaN,
      comparisonError: NaN,
      comparisons: usable.length,
      calibrated: false,
    };
  }
  const ens = ensemble(
    usable.map((c) => c.instrumentalMagnitude),
    usable.map((c) => c.magnitudeError),
  );
  let magnitude = target.instrumentalMagnitude - ens.magnitude;
  const calibrated = usable.every((c) => Number.isFinite(c.catalogMagnitude));
  if (calibrated) {
    magnitude += ensemble(
      usable.map((c) => c.catalogMagnitude as number),
      usable.map(() => 0),
    ).magnitude;
  }
  const targetError = Number.isFinite(target.magnitudeError) ? target.magnitudeError : NaN;
  return {
    magnitude,
    error: Math.hypot(targetError, ens.error),
    comparisonMagnitude: ens.magnitude,
    comparisonError: ens.error,
    comparisons: usable.length,
    calibrated,
  };
}
