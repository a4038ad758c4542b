/** FITS files are made of 2880-byte blocks; a header block holds 36 cards of 80 ASCII characters. */
export const BLOCK_SIZE = 2880;
export const CARD_SIZE = 80;
export const CARDS_PER_BLOCK = BLOCK_SIZE / CARD_SIZE;

/** A header that has not ended after this many blocks is treated as broken (protects against endless loops). */
export const MAX_HEADER_BLOCKS = 1000;

/** Default limit on the number of HDUs read from one file. */
export const DEFAULT_MAX_HDUS = 1000;

/** Bytes needed to pad `size` up to a whole number of blocks. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}
