import { runFileNames } from './run-file-names';

const FITS = '0cfe609f-a8e6-47fd-8cf6-411b36e06571';
const CSV = '1d2e3f40-0000-4000-8000-000000000001';
const names = runFileNames({
  inputs: [
    { storedPath: `products/0c/${FITS}.fits.gz`, originalName: 'M13 blue 1.fits.gz' },
    { storedPath: `products/1d/${CSV}.csv`, originalName: 'Mészáros_ü.csv' },
  ],
  dataDir: '/srv/portal-data',
  tmpdir: '/tmp/portal-run-7-abc',
  projectRoot: '/opt/portal',
});

describe('runFileNames', () => {
  it('names inputs by their uploaded names, whatever part of the storage path is printed', () => {
    expect(names(`Counting bytes of ${CSV}.csv`)).toBe('Counting bytes of Mészáros_ü.csv');
    expect(names(`/srv/portal-data/products/0c/${FITS}.fits.gz: no SIMPLE card`)).toBe('M13 blue 1.fits.gz: no SIMPLE card');
    expect(names(`open 'products/1d/${CSV}.csv' failed; ${FITS}`)).toBe("open 'Mészáros_ü.csv' failed; M13 blue 1.fits.gz");
    expect(names(`ENOENT: no such file or directory, open '/srv/portal-data/products/1d/${CSV}.csv'`)).toBe(
      "ENOENT: no such file or directory, open 'Mészáros_ü.csv'",
    );
  });

  it('hides the temp dir, DATA_DIR and the install folder', () => {
    expect(names('wrote /tmp/portal-run-7-abc/out/table.csv')).toBe('wrote out/table.csv');
    expect(names('cd /tmp/portal-run-7-abc')).toBe("cd the run's folder");
    expect(names('    at Crasher.doPipeline (/opt/portal/test/fixtures/pipelines/crasher.js:9:22)')).toBe('    at Crasher.doPipeline (test/fixtures/pipelines/crasher.js:9:22)');
    expect(names('see /srv/portal-data/products/ff/other.fits')).toBe('see DATA_DIR/products/ff/other.fits');
  });

  it('leaves other text alone, unknown ids included', () => {
    expect(names('Frame 1/2: FWHM 3.1 px')).toBe('Frame 1/2: FWHM 3.1 px');
    expect(names('job 00000000-0000-4000-8000-000000000000 done')).toBe('job 00000000-0000-4000-8000-000000000000 done');
  });
});
