import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allBombs, fzBomb } from '../fits/testing/bombs';
import { AsyncError, CancelledError, PipelineInput } from '../pipeline-sdk/pipeline-process';
import { createTestContext, inputFromFile } from '../pipeline-sdk/testing';
import { FrameReader } from './frames';
import { InspectPipeline } from './inspect.pipeline';
import { pipelineThreadStats } from './threaded-pipeline';
import { TimelapsePipeline } from './timelapse.pipeline';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');
const EIT_DIR = path.join(FIXTURES, 'eit-195-2004-03-01');
const EIT = fs.readdirSync(EIT_DIR).sort().map((name) => path.join(EIT_DIR, name));

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frames-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The file stored under a name like the portal's storage names, uploaded as `originalName`. */
function stored(bytes: Buffer, originalName: string, id: number): PipelineInput {
  const file = path.join(dir, `${id}-3f9a0c1b2d4e.bin`);
  fs.writeFileSync(file, bytes);
  return inputFromFile(file, id, originalName);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('FrameReader', () => {
  it('refuses every bomb from its header, naming the uploaded file, never the stored one', async () => {
    for (const [i, bomb] of allBombs().entries()) {
      const input = stored(bomb.bytes, bomb.name, i + 1);
      const expected = `${bomb.name}: too large to process (${bomb.pixels.toLocaleString('en-US')} pixels, limit 50,000,000)`;
      const checked = await rejection(new FrameReader().checkRun([input]));
      expect(checked).toBeInstanceOf(AsyncError);
      expect(checked.message).toBe(expected);
      // Reading without the check first is refused the same way, before allocating.
      const read = await rejection(new FrameReader().read(input));
      expect(read.message).toBe(expected);
      expect(read.message).not.toContain('3f9a0c1b2d4e');
    }
  });

  it('holds the frames of a run to the run budget, before reading any pixels', async () => {
    const inputs = EIT.slice(0, 3).map((file, i) => inputFromFile(file, i + 1));
    const error = await rejection(new FrameReader({ maxRunPixels: 40_000 }).checkRun(inputs));
    expect(error).toBeInstanceOf(AsyncError);
    expect(error.message).toBe('These 3 frames are too large to process (49,152 pixels, limit 40,000) in one run; choose fewer of them');
    await new FrameReader({ maxRunPixels: 49_152 }).checkRun(inputs);
  });

  it('counts frames read without a check against the run budget', async () => {
    const reader = new FrameReader({ maxRunPixels: 40_000 });
    const [a, b, c] = EIT.slice(0, 3).map((file, i) => inputFromFile(file, i + 1));
    expect((await reader.read(a)).width).toBe(128);
    await reader.read(b);
    const error = await rejection(reader.read(c));
    expect(error.message).toBe('efz20040301.020010_s.fits: the frames read so far are too large to process (49,152 pixels, limit 40,000) in one run');
  });

  it('applies a smaller frame limit from the context', async () => {
    const error = await rejection(new FrameReader({ maxFramePixels: 10_000 }).read(inputFromFile(EIT[0])));
    expect(error.message).toBe('efz20040301.000010_s.fits: too large to process (16,384 pixels, limit 10,000)');
  });
});

describe('threaded builtins', () => {
  it('run in a pipeline thread and fail a bomb run with the uploaded name', async () => {
    const bomb = fzBomb({ algorithm: 'GZIP_1' });
    const inputs = [inputFromFile(EIT[0], 1), stored(bomb.bytes, 'night-bomb.fits.fz', 2)];
    const run = createTestContext(inputs, { name: 'The Sun' });
    const error = await rejection(new TimelapsePipeline(run.context).doPipeline(dir, { normaliseBackground: false, crop: false }));
    expect(error).toBeInstanceOf(AsyncError);
    expect(error.message).toBe('night-bomb.fits.fz: too large to process (100,000,000 pixels, limit 50,000,000)');
    expect(pipelineThreadStats().threads).toBeGreaterThanOrEqual(1);
  });

  it('pass the context limits to the thread', async () => {
    const run = createTestContext(EIT.slice(0, 2));
    run.context.limits = { maxFramePixels: 50_000_000, maxRunPixels: 20_000 };
    const error = await rejection(new InspectPipeline(run.context).doPipeline(dir, {}));
    expect(error.message).toBe('These 2 frames are too large to process (32,768 pixels, limit 20,000) in one run; choose fewer of them');
  });

  it('stop with a CancelledError when the run is cancelled in the thread', async () => {
    const run = createTestContext(EIT);
    const out = fs.mkdtempSync(path.join(dir, 'out-'));
    const working = new InspectPipeline({ ...run.context, setStatus: (text) => text.startsWith('Inspecting frame 2/') && run.controller.abort('cancelled') }).doPipeline(out, {});
    const error = await rejection(working);
    expect(error).toBeInstanceOf(CancelledError);
  });
});
