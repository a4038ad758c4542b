import * as fs from 'node:fs';
import * as path from 'node:path';
import { CsvValue, toCsv } from '../pipeline-sdk';
import { FitsError, headerValue, readFitsHeaders } from '../fits';
import { AsyncError, PipelineFlagValues, PipelineOutput, PipelineProcess } from '../pipeline-sdk/pipeline-process';

type FitsHdu = Awaited<ReturnType<typeof readFitsHeaders>>[number];

export const HEADER_SUMMARY_COLUMNS = ['file', 'hdu', 'object', 'date_obs', 'exptime', 'filter', 'naxis1', 'naxis2', 'bitpix'];

/** An image HDU: two or more axes, or a tile-compressed image (a table holding an image). */
function isImage(hdu: FitsHdu): boolean {
  return hdu.type === 'COMPRESSED_IMAGE' || (hdu.type !== 'BINTABLE' && hdu.type !== 'TABLE' && hdu.naxis.length >= 2);
}

/** A table of the main header keywords of every frame: a first look at a night's data. */
export class HeaderSummaryPipeline extends PipelineProcess {
  static shortName = 'header_summary';
  static allowedSuffixes = ['.fits', '.fit', '.fts', '.fits.gz', '.fits.fz', '.fz'];
  static flags = { allHdus: { default: false, longName: 'Summarise every HDU, not just the first image' } };
  static description = 'Writes a CSV table of object, date, exposure, filter and image size of each frame';
  static version = '1';

  async doPipeline(tmpdir: string, flags: PipelineFlagValues): Promise<PipelineOutput[]> {
    const rows: CsvValue[][] = [];
    const total = this.inputs.length;
    for (const [i, input] of this.inputs.entries()) {
      this.throwIfCancelled();
      this.updateStatus(`Reading frame ${i + 1}/${total}`);
      this.log(`Reading frame ${i + 1}/${total}: ${input.originalName}`);
      let hdus: FitsHdu[];
      try {
        hdus = await readFitsHeaders(input.path);
      } catch (error) {
        if (error instanceof FitsError) throw new AsyncError(`${input.originalName}: ${error.reason}`);
        throw error;
      }
      const primary = hdus[0];
      const firstImage = hdus.find(isImage) ?? primary;
      const chosen = flags.allHdus ? hdus : firstImage ? [firstImage] : [];
      for (const hdu of chosen) {
        // A keyword of the HDU itself, else (for image extensions) of the primary header, which they inherit.
        const inherits = hdu !== primary && isImage(hdu);
        const value = (keyword: string) => headerValue(hdu.cards, keyword) ?? (inherits ? headerValue(primary.cards, keyword) : undefined);
        const compressed = hdu.type === 'COMPRESSED_IMAGE';
        const own = (keyword: string) => headerValue(hdu.cards, keyword);
        // Header values are whatever the file says (an OBJECT of '=HYPERLINK(...)' included): the CSV writer
        // keeps them from running as spreadsheet formulas.
        rows.push([
          input.originalName,
          hdu.index,
          value('OBJECT'),
          value('DATE-OBS'),
          value('EXPTIME') ?? value('EXPOSURE'),
          value('FILTER'),
          compressed ? own('ZNAXIS1') : hdu.naxis[0],
          compressed ? own('ZNAXIS2') : hdu.naxis[1],
          compressed ? own('ZBITPIX') : hdu.bitpix,
        ]);
      }
    }
    this.throwIfCancelled();
    const file = path.join(tmpdir, 'header_summary.csv');
    await fs.promises.writeFile(file, toCsv(HEADER_SUMMARY_COLUMNS, rows));
    this.log(`Wrote ${rows.length} row(s) to header_summary.csv`);
    return [{ path: file, outputType: 'DataProduct', dataProductType: 'other', tag: 'header_summary' }];
  }
}
