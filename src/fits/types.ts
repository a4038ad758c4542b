/** One header card (keyword record). */
export interface FitsCard {
  /**
   * The keyword: columns 1-8 without trailing blanks ('' for a blank keyword); for HIERARCH cards the part
   * after HIERARCH and before '=' with single spaces ('HIERARCH ESO DET CHIP = ...' -> 'ESO DET CHIP').
   */
  keyword: string;
  /**
   * Parsed value: string (quotes removed, '' unescaped, trailing blanks trimmed, CONTINUE fragments joined),
   * number (integers and reals, E or D exponents), boolean (T/F), or null for an empty value and for
   * commentary cards (COMMENT, HISTORY, blank keyword, or any card without the "= " value indicator).
   * Values that fit none of these (e.g. complex numbers) are kept as their trimmed text.
   */
  value: string | number | boolean | null;
  /** Comment after '/', trimmed; for commentary cards the text of columns 9-80 without trailing blanks. */
  comment: string;
  /** The 80-character card image; for a long string continued by CONTINUE cards, all card images joined by '\n'. */
  raw: string;
}

export type FitsHduType = 'PRIMARY' | 'IMAGE' | 'BINTABLE' | 'TABLE' | 'COMPRESSED_IMAGE' | 'UNKNOWN';

/** The header of one HDU and where its data lies in the file. */
export interface FitsHduHeader {
  /** Zero-based position of the HDU in the file (0 = primary). */
  index: number;
  type: FitsHduType;
  /** Cards up to, not including, END. */
  cards: FitsCard[];
  /** Byte offset of the header; for gzip files an offset in the decompressed stream. */
  headerOffset: number;
  /** Byte offset of the data (first block after the END card); for gzip files in the decompressed stream. */
  dataOffset: number;
  /** Data bytes including any heap, before padding: |BITPIX|/8 * GCOUNT * (PCOUNT + NAXIS1*...*NAXISn). */
  dataSize: number;
  bitpix: number;
  /** [NAXIS1, ..., NAXISn]; [] when NAXIS = 0. */
  naxis: number[];
}

export interface ReadFitsHeadersOptions {
  /** Stop after this many HDUs (default 1000). */
  maxHdus?: number;
  /** For gzip files: refuse to inflate more than this many bytes (default 2 GiB). */
  maxInflatedBytes?: number;
  /** The name errors give the file (default: the path's base name), e.g. the name it was uploaded under. */
  fileName?: string;
}

/** The pixels of one image HDU, as physical values. */
export interface FitsImage {
  /** Base name of the file. */
  file: string;
  /** Zero-based HDU the image came from. */
  hduIndex: number;
  /**
   * The HDU's header. For a tile-compressed HDU: the header of the image it holds (BITPIX = ZBITPIX,
   * NAXISn = ZNAXISn, table keywords dropped, compression and WCS keywords kept; see `imageHeaderOf`), with
   * `bitpix` and `naxis` those of the image; type stays 'COMPRESSED_IMAGE', offsets and dataSize those of the table.
   */
  header: FitsHduHeader;
  /** BITPIX of the image (ZBITPIX for a compressed image). */
  bitpix: number;
  /** NAXIS1 */
  width: number;
  /** NAXIS2, 1 for a 1-D image. */
  height: number;
  /** [NAXIS1, NAXIS2, ...] */
  shape: number[];
  /**
   * Physical values (BZERO + BSCALE * stored value; BLANK / ZBLANK and NaN -> NaN), row-major: FITS pixel (x, y),
   * 1-based, is `data[(y - 1) * width + (x - 1)]`. Float32Array for BITPIX 8, 16 and -32, Float64Array for 32, 64
   * and -64. Of an image with more than two axes, the first plane only (NAXIS3... index 1).
   */
  data: Float32Array | Float64Array;
}

export interface ReadFitsImageOptions {
  /** Zero-based HDU to read; by default the first HDU with an image of two or more axes (see `findImageHdu`). */
  hdu?: number;
  /**
   * The pixel budget: refuse images (the plane read) with more pixels than this, from the header, before
   * anything is allocated (default 100 000 000). The refusal is a FitsTooLargeError.
   */
  maxPixels?: number;
  /**
   * The byte budget: the most memory decoding may take (the pixels, and for tile-compressed images the table,
   * the compressed tiles and a tile's scratch), checked from the header and the table before allocating
   * (default 16 bytes per pixel of `maxPixels`). Also caps what a gzip file may inflate to.
   */
  maxBytes?: number;
  /** Put the pixels in a SharedArrayBuffer, so that worker threads can read them without a copy. */
  sharedMemory?: boolean;
}
