/**
 * Our own FITS library: the header of every HDU (cards, type, BITPIX, NAXISn, where the data lies), from plain
 * and gzip-compressed files; the pixels of an image HDU as physical values (`readFitsImage`: BITPIX 8, 16, 32,
 * 64, -32, -64 with BZERO/BSCALE and BLANK, the first plane of a cube), including tile-compressed images
 * (RICE_1, GZIP_1, GZIP_2, NOCOMPRESS; quantised floats with NO_DITHER / SUBTRACTIVE_DITHER_1 / _2), and the
 * image header of a compressed HDU without decoding it (`imageHeaderOf`). Every read works under a budget known
 * from the header before anything is allocated: pixels of the plane, bytes of decoding work, bytes a gzip file may
 * inflate to (`FitsTooLargeError` beyond it).
 * Also world coordinates (`parseWcs`: celestial TAN and TAN-SIP pixel ↔ sky in either axis order; solar, linear
 * and other systems described with the reason they give no RA/Dec), pixel statistics (`imageStatistics`,
 * percentiles, robust and sigma-clipped estimates) and display stretches (`zscale`, `percentileLimits`,
 * `stretchToUint8` with linear/sqrt/log/asinh, `boxDownsample`).
 * Plain Node (fs, zlib): no framework imports here.
 */
export type { FitsCard, FitsHduHeader, FitsHduType, FitsImage, ReadFitsHeadersOptions, ReadFitsImageOptions } from './types';
export { FitsError, FitsTooLargeError, formatCount } from './fits-error';
export { readFitsHeaders } from './hdu-reader';
export { DEFAULT_MAX_INFLATED_BYTES } from './byte-source';
export type { ImageBudget } from './image-reader';
export { checkImageBudget, DEFAULT_BYTES_PER_PIXEL, DEFAULT_MAX_PIXELS, findImageHdu, imageBudget, imageHeaderOf, imagePixels, readFitsImage, readImageHeader } from './image-reader';
export type { ImageDescription } from './tile-compression';
export { headerValue, parseHeaderBlock } from './header';
export { isFitsFileName } from './file-names';
export { BLOCK_SIZE, CARD_SIZE, DEFAULT_MAX_HDUS, MAX_HEADER_BLOCKS } from './constants';
export type { CelestialFrame, CelestialWcs, NonCelestialWcs, PixelPosition, SkyPosition, Wcs } from './wcs';
export { parseWcs } from './wcs';
export { equatorialWcs, noRaDecReason } from './sky-wcs';
export type { ImageStatistics } from './image-statistics';
export { imageStatistics, percentile, robustSigma, sigmaClippedStats } from './image-statistics';
export type { DisplayLimits, StretchMapping } from './stretch';
export { boxDownsample, percentileLimits, stretchToUint8, zscale } from './stretch';
export type { FitsHduInfo } from './fits-info';
export { fitsInfo, headerObject } from './fits-info';
export { normalizeDegrees } from './wcs';
export type { SigmaClipOptions, SigmaClippedStats } from './image-statistics';
export { MAD_TO_SIGMA, median, percentiles } from './image-statistics';
export type { DownsampledImage, PercentileLimitsOptions, StretchOptions, ZScaleOptions } from './stretch';
export { ASINH_STRETCH_A, boxAverage, LOG_STRETCH_A, resizeNearest, stretchMapping, zscaleFromSample, zscaleSample } from './stretch';
export { resampleArea } from './resample';
