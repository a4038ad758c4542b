import { attachmentDisposition, safeEntryName, splitSuffix, uniqueEntryNames, zipDownloadName } from './zip-names';

describe('zip entry names', () => {
  it('keeps uploaded names as they are, UTF-8 included', () => {
    expect(uniqueEntryNames(['M13_blue_0001.fits.gz', 'Mészáros_ü.csv', 'notes'])).toEqual(['M13_blue_0001.fits.gz', 'Mészáros_ü.csv', 'notes']);
  });

  it('numbers repeated names before the suffix, keeping a compressed suffix whole', () => {
    expect(uniqueEntryNames(['a.fits', 'a.fits', 'a.fits', 'b.csv'])).toEqual(['a.fits', 'a (2).fits', 'a (3).fits', 'b.csv']);
    expect(uniqueEntryNames(['m.fits.gz', 'm.fits.gz', 'notes', 'notes'])).toEqual(['m.fits.gz', 'm (2).fits.gz', 'notes', 'notes (2)']);
  });

  it('treats names that differ only in case (or in Unicode form) as clashing, as Windows and macOS folders do', () => {
    expect(uniqueEntryNames(['A.fits', 'a.fits', 'Cafe\u0301.csv', 'Café.csv'])).toEqual(['A.fits', 'a (2).fits', 'Café.csv', 'Café (2).csv']);
  });

  it('skips a number another entry already has, and names reserved first', () => {
    expect(uniqueEntryNames(['a (2).fits', 'a.fits', 'a.fits'])).toEqual(['a (2).fits', 'a.fits', 'a (3).fits']);
    expect(uniqueEntryNames(['log.txt', 'LOG.txt', 'x.csv'], ['log.txt'])).toEqual(['log (2).txt', 'LOG (3).txt', 'x.csv']);
  });

  it('never names a folder, a parent, a hidden file or a character Windows refuses', () => {
    expect(safeEntryName('../../etc/passwd')).toBe('passwd');
    expect(safeEntryName('C:\\Users\\x\\frame.fits')).toBe('frame.fits');
    expect(safeEntryName('..')).toBe('unnamed');
    expect(safeEntryName('.profile')).toBe('profile');
    expect(safeEntryName('what?<now>:"x"|*.txt')).toBe('what__now___x___.txt');
    expect(safeEntryName('bad\u0000\u202ename.fits')).toBe('badname.fits');
  });

  it('splits a name before its suffix', () => {
    expect(splitSuffix('m.fits.gz')).toEqual(['m', '.fits.gz']);
    expect(splitSuffix('frame.v2.fits')).toEqual(['frame.v2', '.fits']);
    expect(splitSuffix('README')).toEqual(['README', '']);
    expect(splitSuffix('a.gz')).toEqual(['a', '.gz']);
    expect(splitSuffix('v1.2 notes')).toEqual(['v1.2 notes', '']);
  });

  it('makes the download\'s file name from a group or run name', () => {
    expect(zipDownloadName('Nacht über M42')).toBe('Nacht über M42.zip');
    expect(zipDownloadName('a/b\\c')).toBe('a_b_c.zip');
    expect(zipDownloadName('outputs.zip')).toBe('outputs.zip');
    expect(zipDownloadName('"quoted"')).toBe('_quoted_.zip');
    expect(zipDownloadName('')).toBe('unnamed.zip');
  });

  it('offers the name in Content-Disposition as ASCII and, exactly, as UTF-8', () => {
    expect(attachmentDisposition('Nacht über M42.zip')).toBe(`attachment; filename="Nacht _ber M42.zip"; filename*=UTF-8''Nacht%20%C3%BCber%20M42.zip`);
    expect(attachmentDisposition('run_1_outputs.zip')).toBe(`attachment; filename="run_1_outputs.zip"; filename*=UTF-8''run_1_outputs.zip`);
    expect(attachmentDisposition("it's (x) 100%.zip")).toBe(`attachment; filename="it's (x) 100%.zip"; filename*=UTF-8''it%27s%20%28x%29%20100%25.zip`);
    expect(attachmentDisposition('😀\\.zip')).toBe(`attachment; filename="__.zip"; filename*=UTF-8''%F0%9F%98%80%5C.zip`);
    // Read back by the standard decoder, the UTF-8 form is the name.
    const encoded = /filename\*=UTF-8''(.*)$/.exec(attachmentDisposition('Mészáros_ü 😀.zip'))![1];
    expect(decodeURIComponent(encoded)).toBe('Mészáros_ü 😀.zip');
  });
});
