/**
 * Photometry on images in memory: centroids, source detection, aperture photometry with a sky annulus, seeing
 * (FWHM), differential magnitudes against comparison stars, saturated pixels, and the shift between two frames
 * (to measure the same sky positions in every frame without a WCS). Plain TypeScript, no framework
 * imports, and no FITS reading here: images arrive as { width, height, data } in FITS pixel order.
 *
 * Conventions: FITS 1-based pixel coordinates (pixel centres at integers; pixel (1, 1) spans 0.5..1.5 and is
 * data[0]); NaN marks blank pixels; fluxes are in electrons when a gain (e⁻/ADU) is given, otherwise in ADU.
 */
export type { PixelImage, PixelPosition } from './types';
export { PhotometryError } from './types';
export { centroid, type Centroid, type CentroidOptions } from './centroid';
export {
  detectSources,
  findBrightestSource,
  type DetectSourcesOptions,
  type FindBrightestOptions,
  type Source,
  type SourceFindingOptions,
} from './detect';
export {
  aperturePhotometry,
  MAGNITUDE_ERROR_FACTOR,
  type AperturePhotometryOptions,
  type AperturePhotometryResult,
  type PhotometryFlag,
  type SkyEstimator,
} from './aperture';
export { estimateFwhm, starFwhm, FWHM_PER_SIGMA, type FwhmOptions, type FwhmResult } from './fwhm';
export {
  differentialMagnitude,
  type ComparisonStar,
  type DifferentialMagnitude,
  type MagnitudeMeasurement,
} from './differential';
export { countSaturated, estimateSaturationLevel } from './saturation';
export { frameShift, type FrameShift, type FrameShiftOptions } from './align';
export { backgroundMap, type BackgroundMap, type BackgroundOptions, type PixelRect } from './background';
export { sampleMedian, clippedSampleStats, type ClippedSampleStats, type SampleClipOptions } from './sample-statistics';
export { pixelCircleOverlap } from './overlap';
