import type { CelestialWcs, Wcs } from './wcs';

/**
 * The WCS when it gives RA/Dec (a celestial WCS in the equatorial frame), else null: a galactic or ecliptic WCS
 * is celestial but its longitude is not a right ascension, and the portal's targets are in RA/Dec.
 */
export function equatorialWcs(wcs: Wcs | null): CelestialWcs | null {
  return wcs && wcs.celestial && wcs.frame === 'equatorial' ? wcs : null;
}

/** Why an image's WCS gives no RA/Dec, in words for a student; null when it does. */
export function noRaDecReason(wcs: Wcs | null): string | null {
  if (!wcs) return 'no WCS in the header';
  if (!wcs.celestial) return wcs.reason || 'not a celestial (RA/Dec) WCS';
  if (wcs.frame !== 'equatorial') return `${wcs.frame} coordinates (${wcs.ctype.join(', ')}), not RA/Dec`;
  return null;
}
