import { storedSuffix } from './file-storage.service';
import { ALL_PRODUCT_MEDIA_TYPES, OTHER_MEDIA_TYPE, PRODUCT_MEDIA_TYPES, productMediaType } from './media-types';

describe('product media types', () => {
  it('names a type for suffixes the store keeps, and only for those', () => {
    for (const suffix of Object.keys(PRODUCT_MEDIA_TYPES)) expect(storedSuffix(`products/ab/abcdef${suffix}`)).toBe(suffix);
  });

  it('reads the type from the stored name, case-insensitively, FITS packings included', () => {
    expect(productMediaType('products/ab/1.fits')).toBe('image/fits');
    expect(productMediaType('products/ab/1.FTS')).toBe('image/fits');
    expect(productMediaType('products/ab/1.fits.fz')).toBe('image/fits');
    expect(productMediaType('products/ab/1.fits.gz')).toBe('application/gzip');
    expect(productMediaType('products/ab/1.csv')).toBe('text/csv');
    expect(productMediaType('products/ab/1.png')).toBe('image/png');
    expect(productMediaType('products/ab/1.mp4')).toBe('video/mp4');
  });

  it('serves anything else as bytes', () => {
    expect(productMediaType('products/ab/1')).toBe(OTHER_MEDIA_TYPE);
    expect(productMediaType('products/ab/1.exe')).toBe(OTHER_MEDIA_TYPE);
    expect(ALL_PRODUCT_MEDIA_TYPES).toContain(OTHER_MEDIA_TYPE);
    expect(new Set(ALL_PRODUCT_MEDIA_TYPES).size).toBe(ALL_PRODUCT_MEDIA_TYPES.length);
  });
});
