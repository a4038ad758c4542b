/**
 * The example from docs/writing-pipelines.md: counts the input frames and writes a CSV data product.
 * Copy it, rename the class and shortName, and put your own work in doPipeline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsyncError, csvRow, PipelineFlagValues, PipelineOutput, PipelineProcess } from '..';

export class FrameCountPipeline extends PipelineProcess {
  static shortName = 'frame_count';
  static description = 'Counts the frames you picked and lists them in a CSV file';
  static version = '1';
  static allowedSuffixes = ['.fits', '.fits.gz', '.fz'];
  static flags = {
    withSizes: { default: false, longName: 'Also list the size of each file in bytes' },
  };

  async doPipeline(tmpdir: string, flags: PipelineFlagValues): Promise<PipelineOutput[]> {
    if (this.inputs.length === 0) throw new AsyncError('Pick at least one frame to count');
    this.log(`Counting ${this.inputs.length} frame(s) of ${this.target.name}`);

    const rows = [flags.withSizes ? 'frame,file,bytes' : 'frame,file'];
    await this.withStatus('Counting frames', async () => {
      for (const [i, input] of this.inputs.entries()) {
        this.throwIfCancelled(); // stop early when the student presses Cancel
        // csvRow quotes what needs it and keeps a name such as "=cmd()" from running as a spreadsheet formula.
        if (flags.withSizes) {
          const { size } = await fs.promises.stat(input.path);
          rows.push(csvRow([i + 1, input.originalName, size]));
        } else {
          rows.push(csvRow([i + 1, input.originalName]));
        }
      }
    });

    const csv = path.join(tmpdir, 'frame_count.csv');
    await fs.promises.writeFile(csv, rows.join('\n') + '\n');
    this.log(`Found ${this.inputs.length} frame(s)`);
    return [{ path: csv, outputType: 'DataProduct', dataProductType: 'other', tag: 'frame_count' }];
  }
}
