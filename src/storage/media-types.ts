import { storedSuffix } from './file-storage.service';

/**
 * The Content-Type a stored product is served with, by the suffix the store keeps on its name (see storedSuffix).
 * One table, so that a download says what the file is and the OpenAPI document can list every type it may say.
 * FITS in any of its packings is image/fits except gzip, where the bytes on the wire are a gzip stream.
 */
export const PRODUCT_MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.fits': 'image/fits',
  '.fit': 'image/fits',
  '.fts': 'image/fits',
  // Tile-compressed FITS is still a FITS file that FITS readers open as it is.
  '.fits.fz': 'image/fits',
  '.fit.fz': 'image/fits',
  '.fts.fz': 'image/fits',
  '.fz': 'image/fits',
  '.fits.gz': 'application/gzip',
  '.fit.gz': 'application/gzip',
  '.fts.gz': 'application/gzip',
  '.gz': 'application/gzip',
  '.csv': 'text/csv',
  '.ecsv': 'text/csv',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
};

/** Any other file is served as bytes. */
export const OTHER_MEDIA_TYPE = 'application/octet-stream';

/** The media type of a stored file (its stored path or name). */
export function productMediaType(storedPath: string): string {
  return PRODUCT_MEDIA_TYPES[storedSuffix(storedPath)] ?? OTHER_MEDIA_TYPE;
}

/** Every type a product download may carry, each once. */
export const ALL_PRODUCT_MEDIA_TYPES: readonly string[] = [...new Set([...Object.values(PRODUCT_MEDIA_TYPES), OTHER_MEDIA_TYPE])];
