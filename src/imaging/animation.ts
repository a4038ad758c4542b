import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic-write';
import { encodeGrayGif } from './gif-encoder';
import { checkFrame, checkMaxSide, fitSize, GrayFrame, resizeFramePixels, Size } from './gray-frame';
import { parseBoxes, readMp4Info } from './mp4-boxes';
import { encodeMp4, mp4Availability } from './mp4-encoder';

export type AnimationFormat = 'gif' | 'webp' | 'mp4';
export const ANIMATION_FORMATS: readonly AnimationFormat[] = ['gif', 'webp', 'mp4'];
export const DEFAULT_ANIMATION_SIZE = 500;

export interface AnimationOptions {
  format: AnimationFormat;
  /** Frames per second; each frame is shown for round(1000 / fps) ms (GIF stores hundredths of a second). */
  fps: number;
  /** Longest side of the animation in pixels (frames are shrunk to fit, never enlarged); default 500. */
  size?: number;
  /** Loop forever (default) or play once. MP4 has no loop flag: that is the player's choice. */
  loop?: boolean;
}

export interface WrittenAnimation {
  width: number;
  height: number;
  frameCount: number;
  bytes: number;
}

export interface AnimationInfo {
  format: AnimationFormat;
  width: number;
  height: number;
  frameCount: number;
  /** How long the first frame is shown, in milliseconds. */
  delayMs?: number;
  /** GIF/WebP loop count: 0 = forever. */
  loop?: number;
}

/** Whether this machine can write `format`, and if not, why. */
export function animationFormatAvailable(format: AnimationFormat): { available: boolean; reason?: string } {
  switch (format) {
    case 'gif':
    case 'webp':
      return sharp.format[format]?.output.buffer
        ? { available: true }
        : { available: false, reason: `this build of sharp/libvips cannot write ${format.toUpperCase()}` };
    case 'mp4':
      return mp4Availability();
    default:
      return { available: false, reason: `unknown animation format ${JSON.stringify(format)} (known: ${ANIMATION_FORMATS.join(', ')})` };
  }
}

/**
 * Writes `frames` (all the same size) as an animated GIF, WebP or H.264 MP4 at `outPath`, atomically.
 * Frames are shrunk to fit `size` first (MP4 sides are then rounded down to even numbers), so memory stays
 * at about one resized copy of the frames (GIF/WebP) or two resized frames (MP4). `frameCount` is the number
 * of frames given; libwebp merges consecutive identical frames into one longer frame (same playback), so a
 * WebP file may hold fewer.
 */
export async function writeAnimation(frames: GrayFrame[], outPath: string, options: AnimationOptions): Promise<WrittenAnimation> {
  const { format, fps, loop = true } = options;
  const maxSide = options.size ?? DEFAULT_ANIMATION_SIZE;
  if (!ANIMATION_FORMATS.includes(format)) throw new Error(`unknown animation format ${JSON.stringify(format)} (known: ${ANIMATION_FORMATS.join(', ')})`);
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0 || fps > 1000) throw new Error(`fps must be a number above 0 and at most 1000, not ${fps}`);
  checkMaxSide(maxSide, 'size');
  checkFrames(frames);
  const availability = animationFormatAvailable(format);
  if (!availability.available) throw new Error(`cannot write ${format.toUpperCase()} on this machine: ${availability.reason}`);

  const size = fitSize(frames[0].width, frames[0].height, maxSide, format === 'mp4');
  const data =
    format === 'mp4'
      ? await encodeMp4(frames.length, size, fps, (index) => resizeFramePixels(frames[index], size))
      : format === 'gif'
        ? encodeGrayGif(await Promise.all(frames.map((frame) => resizeFramePixels(frame, size))), size.width, size.height, { delayMs: frameDelayMs(fps), loop })
        : await encodeSharpAnimation(frames, size, format, fps, loop);
  await writeFileAtomic(outPath, data);
  return { ...size, frameCount: frames.length, bytes: data.length };
}

function checkFrames(frames: GrayFrame[]): void {
  if (!Array.isArray(frames) || frames.length === 0) throw new Error('an animation needs at least one frame');
  frames.forEach((frame, index) => checkFrame(frame, `frame ${index + 1}`));
  const first = frames[0];
  const odd = frames.findIndex((frame) => frame.width !== first.width || frame.height !== first.height);
  if (odd >= 0) {
    const frame = frames[odd];
    throw new Error(
      `frame ${odd + 1} is ${frame.width}×${frame.height} but frame 1 is ${first.width}×${first.height}; all frames must be the same size`,
    );
  }
}

/** Frame delay in ms for a frame rate, within what GIF and WebP can store. */
export function frameDelayMs(fps: number): number {
  return Math.min(65535, Math.max(1, Math.round(1000 / fps)));
}

/** WebP through sharp. (GIF has its own encoder: the frames are gray, so it needs no colour quantisation.) */
async function encodeSharpAnimation(frames: GrayFrame[], size: Size, format: 'webp', fps: number, loop: boolean): Promise<Buffer> {
  // Pages stacked vertically in one one-channel raw image; sharp/libvips splits them by pageHeight.
  const frameBytes = size.width * size.height;
  const stack = Buffer.allocUnsafe(frameBytes * frames.length);
  for (const [index, frame] of frames.entries()) {
    const pixels = await resizeFramePixels(frame, size);
    stack.set(pixels, index * frameBytes);
  }
  const image = sharp(stack, {
    raw: { width: size.width, height: size.height * frames.length, channels: 1, pageHeight: size.height },
    limitInputPixels: false,
  });
  // A delay per frame: given a single number, libvips' GIF writer sets it on the first frame only.
  const animation = { delay: new Array<number>(frames.length).fill(frameDelayMs(fps)), loop: loop ? 0 : 1 };
  // GIF: 256 palette entries hold every gray level, so no dithering is needed and effort 4 gives the same file
  // as the default 7 in half the time. Repeated frames are kept so that the frame count is what was given.
  return image.webp({ ...animation, quality: 90, effort: 4 }).toBuffer();
}

/** Format, size, frame count and frame delay of an animation file (GIF/WebP via sharp; MP4 from its boxes). */
export async function readAnimationInfo(filePath: string): Promise<AnimationInfo> {
  const handle = await fs.open(filePath, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    const magic = head.subarray(0, bytesRead);
    if (magic.subarray(0, 4).toString('latin1') === 'GIF8' || (magic.subarray(0, 4).toString('latin1') === 'RIFF' && magic.subarray(8, 12).toString('latin1') === 'WEBP')) {
      const format: AnimationFormat = magic[0] === 0x47 ? 'gif' : 'webp';
      // Without `animated`, width and height are those of one page.
      const meta = await sharp(filePath).metadata();
      return {
        format,
        width: meta.width ?? 0,
        height: meta.height ?? 0,
        frameCount: meta.pages ?? 1,
        delayMs: meta.delay?.[0],
        loop: meta.loop,
      };
    }
    if (magic.subarray(4, 8).toString('latin1') === 'ftyp') {
      const moov = await readTopLevelBox(handle, 'moov');
      const info = readMp4Info(moov);
      return { format: 'mp4', width: info.width, height: info.height, frameCount: info.frameCount, delayMs: info.delayMs };
    }
    throw new Error(`${filePath} is not a GIF, WebP or MP4 file`);
  } finally {
    await handle.close();
  }
}

/** Reads just one top-level box of an MP4 file (walking the box headers), so that large media data stays on disk. */
async function readTopLevelBox(handle: fs.FileHandle, type: string): Promise<Uint8Array> {
  const { size: fileSize } = await handle.stat();
  const header = Buffer.alloc(16);
  let at = 0;
  while (at + 8 <= fileSize) {
    await handle.read(header, 0, 16, at);
    let size = header.readUInt32BE(0);
    if (size === 1) size = Number(header.readBigUInt64BE(8));
    else if (size === 0) size = fileSize - at;
    if (size < 8) break;
    if (header.toString('latin1', 4, 8) === type) {
      const box = Buffer.alloc(Math.min(size, fileSize - at));
      await handle.read(box, 0, box.length, at);
      parseBoxes(box); // throws if truncated
      return box;
    }
    at += size;
  }
  throw new Error(`the MP4 file has no ${type} box`);
}
