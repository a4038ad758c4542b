/**
 * The CPU-heavy half of previews, run inside the preview threads (see PreviewThreads): decoding a FITS file under
 * the preview budget, and rendering thumbnails and stretched PNGs. Plain code: no framework imports, since each
 * thread loads this module on its own.
 */
import { FitsImage, readFitsImage } from '../fits';
import { encodePng, writePng } from '../imaging';
import { MappingName, PixelArray, renderFrame, StretchName } from '../imaging/fits-rendering';

export interface ThumbnailJob {
  file: string;
  destination: string;
  maxSide: number;
  maxPixels: number;
}

/** Decodes the image (refused from its header when over `maxPixels`) and writes its thumbnail PNG atomically. */
export async function renderThumbnail(job: ThumbnailJob): Promise<{ width: number; height: number }> {
  const image = await readFitsImage(job.file, { maxPixels: job.maxPixels });
  const written = await writePng(renderFrame(image, { maxSide: job.maxSide }), job.destination, { maxSide: job.maxSide });
  return { width: written.width, height: written.height };
}

/** The decoded image with its pixels in shared memory, so the main thread can keep it without a copy. */
export function decodeImage(file: string, maxPixels: number): Promise<FitsImage> {
  return readFitsImage(file, { maxPixels, sharedMemory: true });
}

export interface PreviewOptions {
  stretch: StretchName;
  mapping: MappingName;
  maxSide: number;
}

/** A stretched PNG of pixels the main thread shares (a SharedArrayBuffer: nothing is copied on the way in). */
export async function renderPreviewPng(image: PixelArray, options: PreviewOptions): Promise<Uint8Array> {
  return encodePng(renderFrame(image, options), { maxSide: options.maxSide });
}
