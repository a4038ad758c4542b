import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { animationFormatAvailable, readAnimationInfo } from '../imaging';
import { AsyncError } from '../pipeline-sdk/pipeline-process';
import { createTestContext, testParams } from '../pipeline-sdk/testing';
import { TIMELAPSE_DEFAULTS, TimelapsePipeline } from './timelapse.pipeline';
import { serversRequired } from '../../test/utils/required';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');
const EIT_DIR = path.join(FIXTURES, 'eit-195-2004-03-01');
const EIT = fs.readdirSync(EIT_DIR).sort().map((name) => path.join(EIT_DIR, name));
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const OFF = { normaliseBackground: false, crop: false };

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'timelapse-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function timelapse(files: string[], flags = OFF, options: Record<string, unknown> = {}) {
  const run = createTestContext(files, { name: 'The Sun' }, options);
  const out = fs.mkdtempSync(path.join(dir, 'out-'));
  const outputs = await new TimelapsePipeline(run.context).doPipeline(out, flags);
  return { run, outputs, file: outputs[0].path };
}

describe('TimelapsePipeline', () => {
  it("has tom_education's defaults and checks its options", () => {
    expect(TIMELAPSE_DEFAULTS).toEqual({ format: 'gif', fps: 10, size: 500 });
    expect(TimelapsePipeline.checkOptions({})).toBeUndefined();
    expect(TimelapsePipeline.checkOptions({ format: 'webp', fps: 5, size: 300 })).toBeUndefined();
    expect(TimelapsePipeline.checkOptions({ format: 'avi' })).toMatch(/format must be one of gif, webp, mp4/);
    expect(TimelapsePipeline.checkOptions({ fps: 0 })).toMatch(/fps must be a number from 1 to 60/);
    expect(TimelapsePipeline.checkOptions({ size: 10.5 })).toMatch(/size must be a whole number/);
    expect(TimelapsePipeline.checkOptions({ speed: 2 })).toMatch(/unknown option\(s\) speed/);
  });

  it('writes a GIF of every frame in DATE-OBS order, whatever order they were ticked in', async () => {
    const inOrder = await timelapse(EIT);
    const reversed = await timelapse([...EIT].reverse());
    expect(inOrder.outputs).toEqual([{ path: inOrder.file, outputType: 'DataProduct', dataProductType: 'timelapse', tag: 'timelapse' }]);
    expect(path.basename(inOrder.file)).toBe('The_Sun_timelapse_2004-03-01.gif');
    expect(await readAnimationInfo(inOrder.file)).toMatchObject({ format: 'gif', frameCount: 13, width: 128, height: 128, delayMs: 100 });
    expect(fs.readFileSync(reversed.file).equals(fs.readFileSync(inOrder.file))).toBe(true);
    const processing = inOrder.run.logs.filter((line) => line.text.startsWith('Processing frame '));
    expect(processing.map((line) => line.text.split(':')[0])).toEqual(EIT.map((_, i) => `Processing frame ${i + 1}/13`));
  });

  it('crops to the centre and normalises the background when asked', async () => {
    const cropped = await timelapse(EIT.slice(0, 3), { normaliseBackground: true, crop: true });
    expect(await readAnimationInfo(cropped.file)).toMatchObject({ frameCount: 3, width: 64, height: 64 });
    const plain = await timelapse(EIT.slice(0, 3), { normaliseBackground: false, crop: true });
    expect(fs.readFileSync(plain.file).equals(fs.readFileSync(cropped.file))).toBe(false);
  });

  it('writes WebP, and MP4 where an encoder is available, at the configured rate and size', async () => {
    const webp = await timelapse(EIT.slice(0, 4), OFF, { format: 'webp', fps: 5, size: 64 });
    expect(await readAnimationInfo(webp.file)).toMatchObject({ format: 'webp', frameCount: 4, width: 64, height: 64, delayMs: 200 });
    if (!animationFormatAvailable('mp4').available) {
      // Under REQUIRE_SERVERS=1 (CI) a missing encoder fails here instead of passing with MP4 unchecked.
      if (serversRequired) throw new Error(`MP4 not checked: ${animationFormatAvailable('mp4').reason}, and REQUIRE_SERVERS=1`);
      console.log(`MP4 not checked: ${animationFormatAvailable('mp4').reason}`);
      return;
    }
    const mp4 = await timelapse(EIT.slice(0, 4), OFF, { format: 'mp4', fps: 5, size: 64 });
    expect(path.extname(mp4.file)).toBe('.mp4');
    expect(await readAnimationInfo(mp4.file)).toMatchObject({ format: 'mp4', frameCount: 4, width: 64, height: 64 });
  });

  it("takes the student's format, frame rate and size over the configured ones", async () => {
    const run = createTestContext(EIT.slice(0, 3), { name: 'The Sun' }, { format: 'gif', fps: 10, size: 500 });
    const out = fs.mkdtempSync(path.join(dir, 'out-'));
    const params = testParams(TimelapsePipeline, { format: 'webp', fps: '4', size: '48' }, { format: 'gif', fps: 10, size: 500 });
    const [animation] = await new TimelapsePipeline(run.context).doPipeline(out, OFF, params);
    expect(await readAnimationInfo(animation.path)).toMatchObject({ format: 'webp', frameCount: 3, width: 48, height: 48, delayMs: 250 });
    expect(() => testParams(TimelapsePipeline, { fps: 0 })).toThrow('fps: must be at least 1 frames/s');
  });

  it('fails clearly for frames of different sizes and for a single frame', async () => {
    const error = await timelapse([EIT[0], HORSEHEAD]).catch((e) => e);
    expect(error).toBeInstanceOf(AsyncError);
    expect(error.message).toBe(
      'HorseHead.fits is 891×893 pixels but efz20040301.000010_s.fits is 128×128; all frames of a timelapse must be the same size',
    );
    await expect(timelapse([EIT[0]])).rejects.toThrow('A timelapse needs at least two frames');
  });
});
