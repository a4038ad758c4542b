import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { animationFormatAvailable, GrayFrame, readAnimationInfo, writeAnimation } from '.';
import { TEMP_PREFIX } from './atomic-write';
import { parseBoxes } from './mp4-boxes';
import { itUnlessMissing } from '../../test/utils/required';

/** Frame k of a little movie: a uniform background of level `background(k)` with a bright square moving right. */
function movie(count: number, width: number, height: number, background = (k: number) => 20 + k * 30): GrayFrame[] {
  return Array.from({ length: count }, (_, k) => {
    const pixels = new Uint8Array(width * height).fill(background(k));
    const side = Math.max(2, Math.floor(height / 4));
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) pixels[(y + side) * width + ((x + k * side) % width)] = 250;
    }
    return { width, height, pixels };
  });
}

async function pagePixel(file: string, page: number, x: number, y: number): Promise<number> {
  const { data, info } = await sharp(file, { page }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return data[y * info.width + x];
}

describe('animations', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imaging-anim-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe.each(['gif', 'webp'] as const)('%s', (format) => {
    it('writes every frame, shrunk to the size, 100 ms apart at 10 fps, looping forever', async () => {
      const file = path.join(dir, `movie.${format}`);
      const written = await writeAnimation(movie(4, 200, 100), file, { format, fps: 10, size: 50 });
      expect(written).toEqual({ width: 50, height: 25, frameCount: 4, bytes: (await fs.stat(file)).size });

      const meta = await sharp(file).metadata();
      expect(meta).toMatchObject({ format, pages: 4, width: 50, height: 25, loop: 0 });
      expect(meta.delay).toEqual([100, 100, 100, 100]);
      expect(await readAnimationInfo(file)).toEqual({ format, width: 50, height: 25, frameCount: 4, delayMs: 100, loop: 0 });

      // Page k has background 20 + 30k (lossy WebP may be off by a little); bottom-left stays clear of the square.
      for (const page of [0, 3]) expect(Math.abs((await pagePixel(file, page, 1, 23)) - (20 + page * 30))).toBeLessThanOrEqual(3);
    });

    it('plays once without loop, and uses the default size of 500', async () => {
      const file = path.join(dir, `once.${format}`);
      const written = await writeAnimation(movie(3, 640, 320), file, { format, fps: 4, loop: false });
      expect(written).toMatchObject({ width: 500, height: 250, frameCount: 3 });
      expect(await readAnimationInfo(file)).toMatchObject({ width: 500, height: 250, frameCount: 3, delayMs: 250, loop: 1 });
    });
  });

  it('keeps repeated frames in a GIF; WebP merges them and keeps the timing', async () => {
    const flat = (level: number): GrayFrame => ({ width: 32, height: 32, pixels: new Uint8Array(32 * 32).fill(level) });
    const frames = [flat(10), flat(10), flat(200), flat(200), flat(200), flat(10)];
    await writeAnimation(frames, path.join(dir, 'r.gif'), { format: 'gif', fps: 10 });
    await writeAnimation(frames, path.join(dir, 'r.webp'), { format: 'webp', fps: 10 });
    expect((await sharp(path.join(dir, 'r.gif')).metadata()).delay).toEqual([100, 100, 100, 100, 100, 100]);
    expect((await sharp(path.join(dir, 'r.webp')).metadata()).delay).toEqual([200, 300, 100]);
  });

  describe('mp4', () => {
    const missing = animationFormatAvailable('mp4').reason ?? '';

    itUnlessMissing(missing, 'writes an H.264 MP4 with every frame, even sides and the exact frame rate, moov first', async () => {
      const file = path.join(dir, 'movie.mp4');
      const listeners = process.listenerCount('unhandledRejection');
      const written = await writeAnimation(movie(5, 101, 75), file, { format: 'mp4', fps: 2.5, size: 500 });
      expect(written).toEqual({ width: 100, height: 74, frameCount: 5, bytes: (await fs.stat(file)).size });
      expect(await readAnimationInfo(file)).toEqual({ format: 'mp4', width: 100, height: 74, frameCount: 5, delayMs: 400 });

      const boxes = parseBoxes(await fs.readFile(file)).map((box) => box.type);
      expect(boxes).toEqual(['ftyp', 'moov', 'mdat']);
      // The encoder's Emscripten glue stays inside its worker thread.
      expect(process.listenerCount('unhandledRejection')).toBe(listeners);
    });

    itUnlessMissing(missing, 'resizes to the size at 10 fps and encodes two animations at once', async () => {
      const frames = movie(12, 640, 480);
      const [a, b] = await Promise.all([
        writeAnimation(frames, path.join(dir, 'a.mp4'), { format: 'mp4', fps: 10, size: 320 }),
        writeAnimation(frames.slice(0, 3), path.join(dir, 'b.mp4'), { format: 'mp4', fps: 10, size: 64 }),
      ]);
      expect(a).toMatchObject({ width: 320, height: 240, frameCount: 12 });
      expect(b).toMatchObject({ width: 64, height: 48, frameCount: 3 });
      expect(await readAnimationInfo(path.join(dir, 'a.mp4'))).toMatchObject({ width: 320, height: 240, frameCount: 12, delayMs: 100 });
      expect(await readAnimationInfo(path.join(dir, 'b.mp4'))).toMatchObject({ width: 64, height: 48, frameCount: 3, delayMs: 100 });
    });
  });

  it('rejects frames of different sizes, naming them', async () => {
    const frames = movie(3, 128, 128);
    frames[2] = movie(1, 100, 80)[0];
    for (const format of ['gif', 'webp', 'mp4'] as const) {
      await expect(writeAnimation(frames, path.join(dir, `x.${format}`), { format, fps: 10, size: 500 })).rejects.toThrow(
        'frame 3 is 100×80 but frame 1 is 128×128; all frames must be the same size',
      );
    }
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('rejects no frames, a malformed frame, a bad frame rate, size or format', async () => {
    const file = path.join(dir, 'x.gif');
    await expect(writeAnimation([], file, { format: 'gif', fps: 10, size: 500 })).rejects.toThrow('at least one frame');
    await expect(writeAnimation([{ width: 4, height: 4, pixels: new Uint8Array(3) }], file, { format: 'gif', fps: 10, size: 500 })).rejects.toThrow(
      'frame 1 is 4×4 but has 3 pixels',
    );
    await expect(writeAnimation(movie(2, 8, 8), file, { format: 'gif', fps: 0, size: 500 })).rejects.toThrow('fps must be');
    await expect(writeAnimation(movie(2, 8, 8), file, { format: 'gif', fps: 10, size: 1.5 })).rejects.toThrow('size must be');
    await expect(writeAnimation(movie(2, 8, 8), file, { format: 'avi' as never, fps: 10, size: 500 })).rejects.toThrow('unknown animation format');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('leaves no temporary file when the write fails', async () => {
    const target = path.join(dir, 'taken.gif');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'keep'), 'x');
    await expect(writeAnimation(movie(2, 16, 16), target, { format: 'gif', fps: 10, size: 500 })).rejects.toThrow();
    const names = await fs.readdir(dir);
    expect(names).toEqual(['taken.gif']);
    expect(names.some((name) => name.startsWith(TEMP_PREFIX))).toBe(false);
  });

  it('reports which formats are available', () => {
    expect(animationFormatAvailable('gif')).toEqual({ available: true });
    expect(animationFormatAvailable('webp')).toEqual({ available: true });
    expect(animationFormatAvailable('mp4').available).toBe(true);
    expect(animationFormatAvailable('avi' as never)).toMatchObject({ available: false, reason: expect.stringContaining('unknown') });
  });

  it('refuses to read a file that is no animation', async () => {
    const file = path.join(dir, 'notes.txt');
    await fs.writeFile(file, 'hello, this is not a movie');
    await expect(readAnimationInfo(file)).rejects.toThrow('is not a GIF, WebP or MP4 file');
  });
});
