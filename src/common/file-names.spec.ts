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

describe('cleanFileName and the text rule', () => {
  it('keeps UTF-8 names, in NFC', () => {
    expect(cleanFileName('Mészáros_ü.csv')).toBe('Mészáros_ü.csv');
    expect(cleanFileName('Me\u0301sza\u0301ros_u\u0308.csv')).toBe('Mészáros_ü.csv');
  });

  it('drops invisible and bidirectional characters (the "gnp.exe" spoof)', () => {
    expect(cleanFileName('photo\u202Egnp.fits')).toBe('photognp.fits');
    expect(cleanFileName('\uFEFFM13\u200B.fits')).toBe('M13.fits');
  });

  it('keeps the end of an over-long name, counting characters', () => {
    const name = `${'ö'.repeat(300)}.fits`;
    expect(Array.from(cleanFileName(name))).toHaveLength(200);
    expect(cleanFileName(name).endsWith('ööö.fits')).toBe(true);
    expect(cleanFileName(`${'🔭'.repeat(300)}.csv`)).toBe(`${'🔭'.repeat(196)}.csv`);
  });
});
