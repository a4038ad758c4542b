import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsyncError, CancelledError } from '../pipeline-sdk/pipeline-process';
import { createTestContext, inputFromFile } from '../pipeline-sdk/testing';
import { BUILTIN_PIPELINES } from './index';
import { csvCell } from '../pipeline-sdk';
import { HeaderSummaryPipeline } from './header-summary.pipeline';
import { writeSyntheticFrame } from './synthetic-frames';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const M13 = path.join(FIXTURES, 'm13-blue-2013-05-05/M13_blue_0001.fits.gz');
const M13_FZ = path.join(FIXTURES, 'M13_blue_0001.fits.fz');

let tmpdir: string;
beforeEach(() => (tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'header-summary-'))));
afterEach(() => fs.rmSync(tmpdir, { recursive: true, force: true }));

function readCsv(file: string): string[] {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n');
}

describe('HeaderSummaryPipeline', () => {
  it('is the builtin "header-summary" with its declared fields', () => {
    expect(BUILTIN_PIPELINES['header-summary']).toBe(HeaderSummaryPipeline);
    expect(HeaderSummaryPipeline.shortName).toBe('header_summary');
    expect(HeaderSummaryPipeline.allowedSuffixes).toEqual(['.fits', '.fit', '.fts', '.fits.gz', '.fits.fz', '.fz']);
    expect(HeaderSummaryPipeline.flags).toEqual({ allHdus: { default: false, longName: 'Summarise every HDU, not just the first image' } });
    expect(HeaderSummaryPipeline.version).toBe('1');
  });

  it('writes a CSV row per frame from the headers of plain, gzip and tile-compressed FITS files', async () => {
    const run = createTestContext([HORSEHEAD, M13, M13_FZ]);
    const outputs = await new HeaderSummaryPipeline(run.context).doPipeline(tmpdir, { allHdus: false });
    expect(outputs).toEqual([{ path: path.join(tmpdir, 'header_summary.csv'), outputType: 'DataProduct', dataProductType: 'other', tag: 'header_summary' }]);
    expect(readCsv(outputs[0].path)).toEqual([
      'file,hdu,object,date_obs,exptime,filter,naxis1,naxis2,bitpix',
      'HorseHead.fits,0,data,1990-12-22T13:49:00,65,OG590,891,893,16',
      'M13_blue_0001.fits.gz,0,,2013-05-05T04:09:39,5,,1392,1040,16',
      'M13_blue_0001.fits.fz,1,,2013-05-05T04:09:39,5,,1392,1040,16',
    ]);
    const infos = run.logs.filter((l) => l.level === 'info').map((l) => l.text);
    expect(infos.slice(0, 3)).toEqual([
      'Reading frame 1/3: HorseHead.fits',
      'Reading frame 2/3: M13_blue_0001.fits.gz',
      'Reading frame 3/3: M13_blue_0001.fits.fz',
    ]);
    expect(run.statuses).toEqual(['Reading frame 1/3', 'Reading frame 2/3', 'Reading frame 3/3']);
  });

  it('summarises every HDU with allHdus', async () => {
    const run = createTestContext([HORSEHEAD]);
    const [output] = await new HeaderSummaryPipeline(run.context).doPipeline(tmpdir, { allHdus: true });
    expect(readCsv(output.path)).toEqual([
      'file,hdu,object,date_obs,exptime,filter,naxis1,naxis2,bitpix',
      'HorseHead.fits,0,data,1990-12-22T13:49:00,65,OG590,891,893,16',
      'HorseHead.fits,1,,,,,24,1600,8',
    ]);
  });

  it('turns a file that is not FITS into an AsyncError naming it', async () => {
    const notFits = path.join(tmpdir, 'notes.fits');
    fs.writeFileSync(notFits, 'These are my observing notes, not a FITS file.\n'.repeat(100));
    const run = createTestContext([HORSEHEAD, inputFromFile(notFits, 2, 'my notes.fits')]);
    const failed = new HeaderSummaryPipeline(run.context).doPipeline(tmpdir, {});
    await expect(failed).rejects.toThrow(AsyncError);
    await expect(failed).rejects.toThrow(/^my notes\.fits: not a FITS file/);
    expect(fs.existsSync(path.join(tmpdir, 'header_summary.csv'))).toBe(false);
  });

  it('stops between frames when cancelled', async () => {
    const run = createTestContext([HORSEHEAD, M13]);
    run.context.log = (level, text) => {
      if (text.startsWith('Reading frame 1/')) run.controller.abort();
    };
    await expect(new HeaderSummaryPipeline(run.context).doPipeline(tmpdir, {})).rejects.toThrow(CancelledError);
  });

  it('escapes CSV cells', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('M 13, "the great"')).toBe('"M 13, ""the great"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(-32)).toBe('-32');
  });

  it('writes header values that look like formulas as text (a FITS OBJECT of =HYPERLINK(...) was written unchanged)', async () => {
    const frame = path.join(tmpdir, 'formula.fits');
    writeSyntheticFrame(frame, { width: 8, height: 8, cards: { OBJECT: '=HYPERLINK("http://evil.example","M13")', FILTER: '@V', EXPTIME: -1.5 } });
    // The same after blanks, which spreadsheets skip, and a filter that is a plain number (kept as a number).
    const blanks = path.join(tmpdir, 'blanks.fits');
    writeSyntheticFrame(blanks, { width: 8, height: 8, cards: { OBJECT: '  =HYPERLINK("http://x")', FILTER: '+1', EXPTIME: 5 } });
    const [output] = await new HeaderSummaryPipeline(createTestContext([frame, blanks]).context).doPipeline(tmpdir, {});
    const rows = readCsv(output.path);
    expect(rows[1]).toBe(`formula.fits,0,"'=HYPERLINK(""http://evil.example"",""M13"")",,-1.5,'@V,8,8,-32`);
    expect(rows[2]).toBe(`blanks.fits,0,"'  =HYPERLINK(""http://x"")",,5,+1,8,8,-32`);
  });
});
