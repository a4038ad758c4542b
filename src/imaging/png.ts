import { writeFileAtomic } from './atomic-write';
import { checkFrame, checkMaxSide, fitSize, GrayFrame, resizeFramePixels } from './gray-frame';
import sharp from 'sharp';

export interface PngOptions {
  /** Longest side of the result in pixels; the frame is shrunk to fit keeping its aspect ratio, never enlarged. */
  maxSide?: number;
}

export interface WrittenImage {
  width: number;
  height: number;
  bytes: number;
}

/** The frame as an 8-bit grayscale PNG, shrunk to fit `maxSide` if given. */
export async function encodePng(frame: GrayFrame, options: PngOptions = {}): Promise<Buffer> {
  return (await encode(frame, options)).data;
}

/** Writes the frame as an 8-bit grayscale PNG at `outPath` (atomically: temporary file, then rename). */
export async function writePng(frame: GrayFrame, outPath: string, options: PngOptions = {}): Promise<WrittenImage> {
  const { data, width, height } = await encode(frame, options);
  await writeFileAtomic(outPath, data);
  return { width, height, bytes: data.length };
}

async function encode(frame: GrayFrame, options: PngOptions): Promise<{ data: Buffer; width: number; height: number }> {
  checkFrame(frame);
  checkMaxSide(options.maxSide);
  const size = fitSize(frame.width, frame.height, options.maxSide);
  const pixels = await resizeFramePixels(frame, size);
  const data = await sharp(pixels, { raw: { width: size.width, height: size.height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 6 })
    .toBuffer();
  return { data, ...size };
}
