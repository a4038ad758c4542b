/**
 * A summary of every HDU of a file, as `npm run cli -- fits:info FILE --json` prints it: type, BITPIX and shape
 * of the image (for tile-compressed HDUs, of the image they hold), the header as an object, pixel statistics and
 * the WCS with the sky position of the image's middle pixel.
 */
import { readFitsHeaders } from './hdu-reader';
import { findImageHdu, imageHeaderOf, readFitsImage } from './image-reader';
import { imageStatistics } from './image-statistics';
import { FitsCard, FitsHduHeader } from './types';
import { parseWcs } from './wcs';

export interface FitsHduInfo {
  index: number;
  type: string;
  bitpix: number;
  /** [NAXIS1, NAXIS2, ...] of the image (ZNAXISn for a compressed image). */
  shape: number[];
  header: Record<string, unknown>;
  stats: { min: number; max: number; mean: number; median: number } | null;
  wcs: { celestial: boolean; ctype: string[]; center: { ra: number; dec: number } | null; reason?: string } | null;
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);

/**
 * Keywords to values. COMMENT, HISTORY and blank-keyword cards are gathered into arrays of their texts; a keyword
 * that appears twice keeps its first value, as FITS readers conventionally do.
 */
export function headerObject(cards: FitsCard[]): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  for (const card of cards) {
    if (COMMENTARY.has(card.keyword)) {
      const key = card.keyword || 'BLANK';
      const texts = (header[key] as string[] | undefined) ?? [];
      if (card.comment) texts.push(card.comment);
      header[key] = texts;
    } else if (!(card.keyword in header)) {
      header[card.keyword] = card.value;
    }
  }
  return header;
}

function isImageHdu(hdu: FitsHduHeader): boolean {
  return findImageHdu([hdu]) === hdu;
}

const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

export async function fitsInfo(filePath: string): Promise<FitsHduInfo[]> {
  const hdus = await readFitsHeaders(filePath);
  const result: FitsHduInfo[] = [];
  for (const hdu of hdus) {
    const image = isImageHdu(hdu) ? imageHeaderOf(hdu) : null;
    const info: FitsHduInfo = {
      index: hdu.index,
      type: hdu.type,
      bitpix: image?.bitpix ?? hdu.bitpix,
      shape: image?.shape ?? hdu.naxis,
      header: headerObject(image?.cards ?? hdu.cards),
      stats: null,
      wcs: null,
    };
    if (image) {
      const pixels = await readFitsImage(filePath, { hdu: hdu.index });
      const stats = imageStatistics(pixels.data);
      info.stats = { min: finiteOrNull(stats.min), max: finiteOrNull(stats.max), mean: finiteOrNull(stats.mean), median: finiteOrNull(stats.median) } as FitsHduInfo['stats'];
      const wcs = parseWcs(image.cards);
      if (wcs) {
        const [width, height = 1] = info.shape;
        const center = wcs.celestial ? wcs.pixToWorld((width + 1) / 2, (height + 1) / 2) : null;
        info.wcs = { celestial: wcs.celestial, ctype: wcs.ctype, center };
        if (!wcs.celestial && wcs.reason) info.wcs.reason = wcs.reason;
      }
    }
    result.push(info);
  }
  return result;
}
