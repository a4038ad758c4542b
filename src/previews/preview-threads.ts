/**
 * Where previews are decoded and rendered: a pool of worker threads, so that a 4096² frame or a refused bomb never
 * holds up the event loop of the web process (or of the worker, whose Bull locks must be renewed meanwhile).
 * The main thread only waits for results; decoded images come back in shared memory.
 */
import { FitsError, FitsImage, FitsTooLargeError } from '../fits';
import { SerializedError, ThreadPool, reviveError } from '../imaging/thread-pool';
import { PixelArray } from '../imaging/fits-rendering';
import { PreviewOptions, ThumbnailJob } from './preview-tasks';

const TASKS = require.resolve('./preview-tasks');

/** The library's errors rebuilt on this side, so that callers can tell a refusal for size from a broken file. */
export function reviveFitsError(error: SerializedError): Error {
  const f = error.fields;
  const reason = typeof f.reason === 'string' ? f.reason : error.message;
  const file = typeof f.file === 'string' ? f.file : undefined;
  const hdu = typeof f.hdu === 'number' ? f.hdu : undefined;
  if (error.name === 'FitsTooLargeError' && typeof f.amount === 'number' && typeof f.limit === 'number') {
    return new FitsTooLargeError(reason, f.amount, f.limit, f.unit === 'bytes' ? 'bytes' : 'pixels', file, hdu);
  }
  if (error.name === 'FitsError') return new FitsError(reason, file, hdu);
  return reviveError(error);
}

export class PreviewThreads {
  private readonly pool: ThreadPool;

  constructor(threads: number) {
    this.pool = new ThreadPool({ name: 'preview', maxThreads: threads, loadInMainThread: ['sharp'] });
  }

  thumbnail(job: ThumbnailJob): Promise<{ width: number; height: number }> {
    return this.pool.run({ module: TASKS, fn: 'renderThumbnail', args: [job] }, { revive: reviveFitsError });
  }

  decode(file: string, maxPixels: number): Promise<FitsImage> {
    return this.pool.run({ module: TASKS, fn: 'decodeImage', args: [file, maxPixels] }, { revive: reviveFitsError });
  }

  async render(image: PixelArray, options: PreviewOptions): Promise<Buffer> {
    const { width, height, data } = image;
    const png = await this.pool.run<Uint8Array>({ module: TASKS, fn: 'renderPreviewPng', args: [{ width, height, data }, options] }, { revive: reviveFitsError });
    return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  }

  get stats() {
    return this.pool.stats;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
