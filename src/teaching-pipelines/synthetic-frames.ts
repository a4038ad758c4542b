/**
 * Small FITS frames with known stars for the builtin pipelines' tests: a float image with sky noise from a seeded
 * generator, Gaussian stars of known total flux, and whatever header cards the test asks for.
 */
import * as fs from 'node:fs';

export interface SyntheticStar {
  x: number;
  y: number;
  flux: number;
  sigma?: number;
}

function card(keyword: string, value: string | number | boolean): string {
  const text = typeof value === 'string' ? `'${value.replace(/'/g, "''")}'`.padEnd(20) : typeof value === 'boolean' ? (value ? 'T' : 'F').padStart(20) : String(value).padStart(20);
  return `${keyword.padEnd(8)}= ${text}`.padEnd(80).slice(0, 80);
}

/** Writes a BITPIX -32 frame; FITS (x, y) are 1-based, stars are sampled at pixel centres. */
export function writeSyntheticFrame(
  file: string,
  options: { width: number; height: number; sky?: number; noise?: number; seed?: number; stars?: SyntheticStar[]; cards?: Record<string, string | number | boolean> },
): void {
  const { width, height, sky = 100, noise = 3, seed = 1 } = options;
  const cards = [card('SIMPLE', true), card('BITPIX', -32), card('NAXIS', 2), card('NAXIS1', width), card('NAXIS2', height)];
  for (const [keyword, value] of Object.entries(options.cards ?? {})) cards.push(card(keyword, value));
  cards.push('END'.padEnd(80));
  const header = Buffer.alloc(Math.ceil((cards.length * 80) / 2880) * 2880, ' ');
  header.write(cards.join(''), 'latin1');

  let state = seed;
  const uniform = () => ((state = (state * 16807) % 2147483647) / 2147483647);
  const gaussian = () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = sky + noise * gaussian();
  for (const star of options.stars ?? []) {
    const sigma = star.sigma ?? 1.5;
    const norm = star.flux / (2 * Math.PI * sigma * sigma);
    const reach = Math.ceil(6 * sigma);
    for (let y = Math.max(1, Math.floor(star.y - reach)); y <= Math.min(height, Math.ceil(star.y + reach)); y++) {
      for (let x = Math.max(1, Math.floor(star.x - reach)); x <= Math.min(width, Math.ceil(star.x + reach)); x++) {
        pixels[(y - 1) * width + (x - 1)] += norm * Math.exp(-((x - star.x) ** 2 + (y - star.y) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  const data = Buffer.alloc(Math.ceil((pixels.length * 4) / 2880) * 2880);
  for (let i = 0; i < pixels.length; i++) data.writeFloatBE(pixels[i], i * 4);
  fs.writeFileSync(file, Buffer.concat([header, data]));
}

/** Gnomonic (TAN) projection written out on its own, to place stars at a known RA/Dec in the tests. */
export function tanWorldToPixel(ra: number, dec: number, wcs: { crval: [number, number]; crpix: [number, number]; scaleDeg: number }): { x: number; y: number } {
  const d2r = Math.PI / 180;
  const [ra0, dec0] = [wcs.crval[0] * d2r, wcs.crval[1] * d2r];
  const [a, d] = [ra * d2r, dec * d2r];
  const cosc = Math.sin(dec0) * Math.sin(d) + Math.cos(dec0) * Math.cos(d) * Math.cos(a - ra0);
  const xi = (Math.cos(d) * Math.sin(a - ra0)) / cosc / d2r;
  const eta = (Math.cos(dec0) * Math.sin(d) - Math.sin(dec0) * Math.cos(d) * Math.cos(a - ra0)) / cosc / d2r;
  // CD = [[-scale, 0], [0, scale]]: RA grows to the left, as on the sky.
  return { x: wcs.crpix[0] - xi / wcs.scaleDeg, y: wcs.crpix[1] + eta / wcs.scaleDeg };
}
