import { cleanFileName } from './file-names';

describe('cleanFileName', () => {
  it('keeps an ordinary name', () => {
    expect(cleanFileName('M13_blue_0001.fits.gz')).toBe('M13_blue_0001.fits.gz');
  });

  it('drops directories, both kinds of separator', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\x\\frame.fits')).toBe('frame.fits');
  });

  it('drops control characters and leading dots', () => {
    expect(cleanFileName('..\u0000.hidden\n.fits')).toBe('hidden.fits');
  });

  it('never returns an empty name', () => {
    expect(cleanFileName('../')).toBe('unnamed');
    expect(cleanFileName('...')).toBe('unnamed');
  });
});
