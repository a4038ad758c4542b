import { headerValue } from './header';
import { FitsCard, FitsHduType } from './types';

/** What the mandatory keywords of a header say about its HDU. */
export interface HduStructure {
  type: FitsHduType;
  bitpix: number;
  naxis: number[];
  /** Data bytes including heap, before padding. */
  dataSize: number;
}

/** A problem with the mandatory keywords; the caller adds file name and HDU index. */
export class HeaderStructureError extends Error {}

const VALID_BITPIX = new Set([8, 16, 32, 64, -32, -64]);
const MAX_NAXIS = 999;

/**
 * Reads BITPIX, NAXIS, NAXISn, PCOUNT, GCOUNT (and XTENSION, ZIMAGE, GROUPS) from the cards of one header and
 * works out the HDU type and the data size: |BITPIX|/8 * GCOUNT * (PCOUNT + NAXIS1*...*NAXISn), computed
 * with BigInt. The primary HDU has PCOUNT = 0, GCOUNT = 1, except in the random-groups format (GROUPS = T,
 * NAXIS1 = 0), where NAXIS1 is left out of the product. NAXIS = 0 means no data.
 */
export function describeHdu(cards: FitsCard[], primary: boolean): HduStructure {
  const type = primary ? 'PRIMARY' : extensionType(cards);

  const bitpix = integerKeyword(cards, 'BITPIX');
  if (!VALID_BITPIX.has(bitpix)) {
    throw new HeaderStructureError(`invalid BITPIX = ${bitpix} (must be 8, 16, 32, 64, -32 or -64)`);
  }

  const axisCount = integerKeyword(cards, 'NAXIS');
  if (axisCount < 0 || axisCount > MAX_NAXIS) {
    throw new HeaderStructureError(`invalid NAXIS = ${axisCount} (must be 0 to ${MAX_NAXIS})`);
  }
  const naxis: number[] = [];
  for (let n = 1; n <= axisCount; n++) {
    const length = integerKeyword(cards, `NAXIS${n}`);
    if (length < 0) throw new HeaderStructureError(`invalid NAXIS${n} = ${length} (must not be negative)`);
    naxis.push(length);
  }

  let pcount = 0;
  let gcount = 1;
  let axes = naxis;
  const randomGroups = primary && headerValue(cards, 'GROUPS') === true && naxis[0] === 0;
  if (!primary || randomGroups) {
    pcount = optionalCount(cards, 'PCOUNT', 0);
    gcount = optionalCount(cards, 'GCOUNT', 1);
  }
  if (randomGroups) axes = naxis.slice(1);

  let dataSize = 0n;
  if (axisCount > 0) {
    const elements = axes.reduce((product, length) => product * BigInt(length), 1n);
    dataSize = (BigInt(Math.abs(bitpix)) / 8n) * BigInt(gcount) * (BigInt(pcount) + elements);
  }
  if (dataSize > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new HeaderStructureError(`data size of ${dataSize} bytes is too large`);
  }
  return { type, bitpix, naxis, dataSize: Number(dataSize) };
}

function extensionType(cards: FitsCard[]): FitsHduType {
  const xtension = headerValue(cards, 'XTENSION');
  const name = typeof xtension === 'string' ? xtension.trim().toUpperCase() : '';
  switch (name) {
    case 'IMAGE':
      return 'IMAGE';
    case 'TABLE':
      return 'TABLE';
    case 'BINTABLE':
      return headerValue(cards, 'ZIMAGE') === true ? 'COMPRESSED_IMAGE' : 'BINTABLE';
    default:
      return 'UNKNOWN';
  }
}

/** A mandatory keyword with a (safe) integer value. */
function integerKeyword(cards: FitsCard[], keyword: string): number {
  const value = headerValue(cards, keyword);
  if (value === undefined) throw new HeaderStructureError(`missing ${keyword} keyword`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new HeaderStructureError(`invalid ${keyword} = ${describe(value)} (must be an integer)`);
  }
  return value;
}

/** PCOUNT / GCOUNT: a non-negative integer, with a default when the keyword is missing. */
function optionalCount(cards: FitsCard[], keyword: string, fallback: number): number {
  if (headerValue(cards, keyword) === undefined) return fallback;
  const value = integerKeyword(cards, keyword);
  if (value < 0) throw new HeaderStructureError(`invalid ${keyword} = ${value} (must not be negative)`);
  return value;
}

function describe(value: FitsCard['value']): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === true) return 'T';
  if (value === false) return 'F';
  return String(value);
}
