/**
 * Our own FITS library. So far: the header of every HDU (cards, type, BITPIX, NAXISn, where the data lies),
 * from plain and gzip-compressed files. Image data, tile compression and WCS are to build on this.
 * Plain Node (fs, zlib): no framework imports here.
 */
export type { FitsCard, FitsHduHeader, FitsHduType, ReadFitsHeadersOptions } from './types';
export { FitsError } from './fits-error';
export { readFitsHeaders } from './hdu-reader';
export { headerValue, parseHeaderBlock } from './header';
export { isFitsFileName } from './file-names';
export { BLOCK_SIZE, CARD_SIZE, DEFAULT_MAX_HDUS, MAX_HEADER_BLOCKS } from './constants';
