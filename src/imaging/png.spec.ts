import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { encodePng, GrayFrame, writePng } from '.';
import { TEMP_PREFIX, writeFileAtomic } from './atomic-write';
import { fitSize } from './gray-frame';

/** A frame whose left half is `left` and right half `right`, with a marker pixel at the top left corner. */
function halves(width: number, height: number, left: number, right: number, corner = left): GrayFrame {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[y * width + x] = x < width / 2 ? left : right;
  }
  pixels[0] = corner;
  return { width, height, pixels };
}

async function readGray(file: string | Buffer) {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, at: (x: number, y: number) => data[y * info.width + x] };
}

describe('PNG output', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imaging-png-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('shrinks to fit maxSide keeping the aspect ratio and writes an 8-bit grayscale PNG', async () => {
    const file = path.join(dir, 'thumb.png');
    const written = await writePng(halves(400, 200, 10, 200), file, { maxSide: 100 });
    expect(written).toEqual({ width: 100, height: 50, bytes: (await fs.stat(file)).size });

    const meta = await sharp(file).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 100, height: 50, channels: 1, depth: 'uchar' });
    const image = await readGray(file);
    expect(image.at(10, 25)).toBe(10);
    expect(image.at(90, 25)).toBe(200);
  });

  it('never enlarges, and keeps row 0 at the top with exact pixel values', async () => {
    const frame = halves(50, 30, 7, 99, 255);
    const file = path.join(dir, 'small.png');
    expect(await writePng(frame, file, { maxSide: 1000 })).toMatchObject({ width: 50, height: 30 });
    const image = await readGray(file);
    expect(Buffer.compare(image.data, Buffer.from(frame.pixels))).toBe(0);
    expect(image.at(0, 0)).toBe(255);
    expect(image.at(0, 29)).toBe(7);
  });

  it('encodes to a buffer without writing anything', async () => {
    const png = await encodePng(halves(300, 120, 0, 255), { maxSide: 150 });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const image = await readGray(png);
    expect([image.width, image.height]).toEqual([150, 60]);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('rejects a frame whose pixel count does not match its size, and a bad maxSide', async () => {
    await expect(encodePng({ width: 10, height: 10, pixels: new Uint8Array(99) })).rejects.toThrow('frame is 10×10 but has 99 pixels instead of 100');
    await expect(encodePng({ width: 0, height: 10, pixels: new Uint8Array(0) })).rejects.toThrow('invalid size 0×10');
    await expect(encodePng(halves(4, 4, 1, 2), { maxSide: 0 })).rejects.toThrow('maxSide must be a whole number');
  });

  it('replaces an existing file atomically', async () => {
    const file = path.join(dir, 'preview.png');
    await fs.writeFile(file, 'old');
    await writePng(halves(20, 20, 1, 2), file);
    expect((await sharp(file).metadata()).width).toBe(20);
    expect(await fs.readdir(dir)).toEqual(['preview.png']);
  });

  it('leaves no temporary file when the final rename fails', async () => {
    // The destination is a non-empty directory: the temporary file is written, then rename() fails.
    const target = path.join(dir, 'taken.png');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'keep'), 'x');
    await expect(writePng(halves(20, 20, 1, 2), target)).rejects.toThrow();
    expect(await fs.readdir(dir)).toEqual(['taken.png']);
    expect((await fs.readdir(dir)).some((name) => name.startsWith(TEMP_PREFIX))).toBe(false);
  });

  it('leaves no temporary file when writing fails, and never creates the destination', async () => {
    const missing = path.join(dir, 'no-such-dir', 'out.png');
    await expect(writeFileAtomic(missing, new Uint8Array([1, 2, 3]))).rejects.toThrow(/ENOENT/);
    await expect(writePng({ width: 3, height: 3, pixels: new Uint8Array(2) }, path.join(dir, 'bad.png'))).rejects.toThrow();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('computes fitted sizes', () => {
    expect(fitSize(1392, 1040, 500)).toEqual({ width: 500, height: 374 });
    expect(fitSize(1040, 1392, 500)).toEqual({ width: 374, height: 500 });
    expect(fitSize(100, 80, 500)).toEqual({ width: 100, height: 80 });
    expect(fitSize(101, 75, 500, true)).toEqual({ width: 100, height: 74 });
    expect(fitSize(3000, 1, 100)).toEqual({ width: 100, height: 1 });
    expect(fitSize(3000, 1, 100, true)).toEqual({ width: 100, height: 2 });
  });
});
