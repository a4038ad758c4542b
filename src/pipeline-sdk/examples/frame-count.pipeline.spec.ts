import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsyncError, isPipelineClass } from '../pipeline-process';
import { createTestContext } from '../testing';
import { FrameCountPipeline } from './frame-count.pipeline';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const M13 = path.join(FIXTURES, 'm13-blue-2013-05-05/M13_blue_0001.fits.gz');

let tmpdir: string;
beforeEach(() => (tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'frame-count-'))));
afterEach(() => fs.rmSync(tmpdir, { recursive: true, force: true }));

describe('FrameCountPipeline (the example in docs/writing-pipelines.md)', () => {
  it('counts the frames and writes a CSV data product', async () => {
    const run = createTestContext([HORSEHEAD, M13], { name: 'M 13' });
    const outputs = await new FrameCountPipeline(run.context).doPipeline(tmpdir, { withSizes: false });
    expect(outputs).toEqual([{ path: path.join(tmpdir, 'frame_count.csv'), outputType: 'DataProduct', dataProductType: 'other', tag: 'frame_count' }]);
    expect(fs.readFileSync(outputs[0].path, 'utf8')).toBe('frame,file\n1,HorseHead.fits\n2,M13_blue_0001.fits.gz\n');
    expect(run.logs.map((l) => l.text)).toEqual(['Counting 2 frame(s) of M 13', 'Found 2 frame(s)']);
    expect(run.statuses).toEqual(['Counting frames', '']);
    expect(isPipelineClass(FrameCountPipeline)).toBe(true);
  });

  it('lists file sizes with the withSizes flag', async () => {
    const run = createTestContext([HORSEHEAD]);
    const [output] = await new FrameCountPipeline(run.context).doPipeline(tmpdir, { withSizes: true });
    expect(fs.readFileSync(output.path, 'utf8')).toBe(`frame,file,bytes\n1,HorseHead.fits,${fs.statSync(HORSEHEAD).size}\n`);
  });

  it('asks for a frame when given none', async () => {
    const run = createTestContext([]);
    await expect(new FrameCountPipeline(run.context).doPipeline(tmpdir, { withSizes: false })).rejects.toThrow(new AsyncError('Pick at least one frame to count'));
  });
});
