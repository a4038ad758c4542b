import { isFitsFileName } from './file-names';

describe('isFitsFileName', () => {
  it.each([
    'HorseHead.fits',
    'aia_171_level1.fit',
    'frame.fts',
    'M13_blue_0001.fits.gz',
    'M13_blue_0001.fits.fz',
    'frame.fit.gz',
    'frame.fts.fz',
    'UPPER.FITS',
    'Mixed.Fits.GZ',
    'dir/sub/frame.fits',
    'C:\\data\\frame.FIT',
    'efz20040301.000010_s.fits',
  ])('accepts %s', (name) => {
    expect(isFitsFileName(name)).toBe(true);
  });

  it.each([
    'photometry.csv',
    'frame.fits.zip',
    'frame.gz',
    'frame.fz',
    'frame.fits.gz.txt',
    'frame.fitsx',
    'frame.fits.bz2',
    'fits',
    '.fits',
    'dir/.fits.gz',
    'frame.fits ',
    '',
  ])('rejects %j', (name) => {
    expect(isFitsFileName(name)).toBe(false);
  });
});
