import sharp from 'sharp';
import { encodeGrayGif } from './gif-encoder';

/** Decodes every page of a GIF with sharp (libvips' own GIF reader): one gray value per pixel. */
async function decodePages(gif: Buffer, width: number, height: number, pages: number): Promise<Uint8Array[]> {
  const { data, info } = await sharp(gif, { pages: -1 }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([width, height * pages]);
  return Array.from({ length: pages }, (_, page) => new Uint8Array(data.buffer, data.byteOffset + page * width * height, width * height));
}

describe('encodeGrayGif', () => {
  it('writes frames that decode to exactly the gray levels given, with delay and loop', async () => {
    const width = 97;
    const height = 61;
    // A ramp (long runs), noise (the dictionary fills and is cleared many times) and a constant frame.
    const ramp = Uint8Array.from({ length: width * height }, (_, i) => (i % width) * 2);
    let seed = 42;
    const noise = Uint8Array.from({ length: width * height }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    const flat = new Uint8Array(width * height).fill(200);
    const gif = encodeGrayGif([ramp, noise, flat], width, height, { delayMs: 100, loop: true });

    const meta = await sharp(gif).metadata();
    expect(meta).toMatchObject({ format: 'gif', width, height, pages: 3, loop: 0 });
    expect(meta.delay).toEqual([100, 100, 100]);
    const pages = await decodePages(gif, width, height, 3);
    expect(Buffer.from(pages[0]).equals(Buffer.from(ramp))).toBe(true);
    expect(Buffer.from(pages[1]).equals(Buffer.from(noise))).toBe(true);
    expect(Buffer.from(pages[2]).equals(Buffer.from(flat))).toBe(true);
  });

  it('compresses a large noisy frame past many dictionary resets and still decodes it exactly', async () => {
    const width = 500;
    const height = 374;
    let seed = 7;
    const frame = Uint8Array.from({ length: width * height }, (_, i) => ((seed = (seed * 16807) % 2147483647) % 16) + (i % 200));
    const gif = encodeGrayGif([frame], width, height, { delayMs: 250, loop: false });
    const meta = await sharp(gif).metadata();
    expect(meta.loop).toBe(1); // no NETSCAPE block: played once
    const [page] = await decodePages(gif, width, height, 1);
    expect(Buffer.from(page).equals(Buffer.from(frame))).toBe(true);
  });

  it('refuses frames of the wrong length and impossible sizes', () => {
    expect(() => encodeGrayGif([new Uint8Array(5)], 2, 2, { delayMs: 100, loop: true })).toThrow('a frame has 5 pixels, not 2×2');
    expect(() => encodeGrayGif([new Uint8Array(0)], 0, 2, { delayMs: 100, loop: true })).toThrow('a GIF cannot be 0×2 pixels');
  });
});
