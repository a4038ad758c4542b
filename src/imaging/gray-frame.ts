/**
 * 8-bit grayscale frames: the one input type of this library, plus the size arithmetic shared by every writer.
 */
import sharp from 'sharp';

/** An 8-bit grayscale image; row 0 is the top row, `pixels.length === width * height`. */
export interface GrayFrame {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export interface Size {
  width: number;
  height: number;
}

/** Throws a clear Error unless `frame` is a well-formed GrayFrame (`what` names it in the message). */
export function checkFrame(frame: GrayFrame, what = 'frame'): void {
  if (!frame || typeof frame !== 'object') throw new Error(`${what} is not a frame`);
  const { width, height, pixels } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what} has an invalid size ${width}×${height}: width and height must be whole numbers of at least 1`);
  }
  if (!(pixels instanceof Uint8Array)) throw new Error(`${what} has no Uint8Array of pixels`);
  if (pixels.length !== width * height) {
    throw new Error(`${what} is ${width}×${height} but has ${pixels.length} pixels instead of ${width * height}`);
  }
}

/** Throws unless `value` is undefined or a whole number of pixels ≥ 1. */
export function checkMaxSide(value: number | undefined, name = 'maxSide'): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of pixels of at least 1, not ${value}`);
}

/**
 * The size a `width`×`height` image gets when fitted inside a `maxSide` square, keeping its aspect ratio and
 * never enlarging it. With `even`, both sides are rounded down to even numbers (at least 2), as H.264 in
 * yuv420p needs.
 */
export function fitSize(width: number, height: number, maxSide?: number, even = false): Size {
  const scale = maxSide === undefined ? 1 : Math.min(1, maxSide / Math.max(width, height));
  let w = Math.max(1, Math.round(width * scale));
  let h = Math.max(1, Math.round(height * scale));
  if (even) {
    w = Math.max(2, w - (w % 2));
    h = Math.max(2, h - (h % 2));
  }
  return { width: w, height: h };
}

/** A sharp pipeline reading the frame's pixels as one-channel raw input. */
export function sharpFromFrame(frame: GrayFrame): sharp.Sharp {
  const { width, height, pixels } = frame;
  // Buffer view over the same memory: no copy.
  const buffer = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return sharp(buffer, { raw: { width, height, channels: 1 } });
}

/**
 * The frame's pixels resampled to exactly `size` (one byte per pixel). Returns the pixels unchanged when the
 * size already matches.
 */
export async function resizeFramePixels(frame: GrayFrame, size: Size): Promise<Buffer> {
  const { width, height, pixels } = frame;
  if (width === size.width && height === size.height) return Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const { data, info } = await sharpFromFrame(frame)
    .resize(size.width, size.height, { fit: 'fill' })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size.width || info.height !== size.height || info.channels !== 1) {
    throw new Error(`resampling gave ${info.width}×${info.height}×${info.channels}, expected ${size.width}×${size.height}×1`);
  }
  return data;
}
