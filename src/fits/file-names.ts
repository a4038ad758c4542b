const FITS_NAME = /\.(?:fits|fit|fts)(?:\.(?:gz|fz))?$/i;

/**
 * True for names ending in .fits, .fit or .fts, optionally followed by .gz or .fz, in any case
 * ("M13_blue_0001.fits.gz", "frame.FTS"). Only the name is looked at; readFitsHeaders goes by content.
 */
export function isFitsFileName(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? '';
  const match = FITS_NAME.exec(base);
  return match !== null && match.index > 0;
}
