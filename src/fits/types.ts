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
}
