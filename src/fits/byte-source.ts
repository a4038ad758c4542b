import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import type { Readable } from 'stream';
import * as zlib from 'zlib';

/**
 * Sequential access to the bytes of a FITS file, plain or gzip-compressed, without holding the file in memory.
 * Positions count bytes of the FITS stream (for gzip: of the decompressed stream).
 */
export interface ByteSource {
  readonly compression: 'none' | 'gzip';
  /** Offset of the next byte to be read. */
  readonly position: number;
  /** Total size in bytes when known without reading everything (plain files); undefined for gzip. */
  readonly size: number | undefined;
  /** For gzip: the most bytes the stream may inflate to (reading and skipping count alike); else undefined. */
  readonly inflationLimit: number | undefined;
  /** Reads `length` bytes; returns fewer only at end of file. */
  read(length: number): Promise<Buffer>;
  /** Skips `length` bytes; returns how many were skipped, fewer only at end of file. */
  skip(length: number): Promise<number>;
  close(): Promise<void>;
}

/** The gzip stream is corrupt (not merely cut short, which reads as end of file). */
export class CorruptStreamError extends Error {}

/** The gzip stream inflated past its limit; `inflated` bytes had come out when it was stopped. */
export class InflationLimitError extends Error {
  constructor(
    readonly inflated: number,
    readonly limit: number,
  ) {
    super(`the gzip data decompresses to more than ${limit} bytes`);
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** A gzip file may inflate to at most this much unless the caller says otherwise (a bomb inflates ~1000×). */
export const DEFAULT_MAX_INFLATED_BYTES = 2 * 1024 ** 3;

export interface ByteSourceOptions {
  /** For gzip files: stop with InflationLimitError once this many bytes have been inflated (default 2 GiB). */
  maxInflatedBytes?: number;
}

/** Opens a file, choosing gzip decompression by the magic bytes 1f 8b (not by the name). */
export async function openByteSource(filePath: string, options: ByteSourceOptions = {}): Promise<ByteSource> {
  const limit = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`maxInflatedBytes must be a positive integer, got ${limit}`);
  const handle = await fsp.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    if (bytesRead === 2 && magic[0] === GZIP_MAGIC[0] && magic[1] === GZIP_MAGIC[1]) {
      return new GzipStreamSource(handle, limit);
    }
    return new PlainFileSource(handle, size);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Plain file: positioned reads; skipping only moves the position. */
export class PlainFileSource implements ByteSource {
  readonly compression = 'none' as const;
  readonly inflationLimit = undefined;
  position = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  async read(length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - this.position));
    const buffer = Buffer.alloc(wanted);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.handle.read(buffer, filled, wanted - filled, this.position + filled);
      if (bytesRead === 0) break; // the file shrank under us
      filled += bytesRead;
    }
    this.position += filled;
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }

  async skip(length: number): Promise<number> {
    const skipped = Math.max(0, Math.min(length, this.size - this.position));
    this.position += skipped;
    return skipped;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Gzip file: decompressed chunk by chunk as it is consumed (the async iterator applies back-pressure), so only
 * the current chunk and the bytes asked for are held in memory. Skipping discards decompressed bytes.
 * A stream cut short reads as end of file; other zlib errors become CorruptStreamError. Inflating more than
 * `inflationLimit` bytes in all stops the stream with InflationLimitError: memory stays bounded anyway (bytes
 * are inflated only as asked for), this bounds the CPU time a small file can cost.
 */
export class GzipStreamSource implements ByteSource {
  readonly compression = 'gzip' as const;
  readonly size = undefined;
  position = 0;

  private readonly input: Readable;
  private readonly gunzip: zlib.Gunzip;
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private inflated = 0;
  private ended = false;

  constructor(
    private readonly handle: FileHandle,
    readonly inflationLimit = DEFAULT_MAX_INFLATED_BYTES,
  ) {
    this.input = handle.createReadStream({ start: 0, autoClose: false });
    // Bigger chunks than zlib's 16 KiB: fewer turns of the event loop per megabyte.
    this.gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    this.input.on('error', (error) => this.gunzip.destroy(error));
    this.input.pipe(this.gunzip);
    this.chunks = this.gunzip[Symbol.asyncIterator]();
  }

  async read(length: number): Promise<Buffer> {
    while (this.pendingLength < length && (await this.pull())) {
      // keep pulling until enough bytes are buffered or the stream ends
    }
    const taken = this.take(Math.min(length, this.pendingLength));
    this.position += taken.length;
    return taken;
  }

  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      if (this.pendingLength === 0 && !(await this.pull())) break;
      const n = Math.min(length - skipped, this.pendingLength);
      this.drop(n);
      skipped += n;
    }
    this.position += skipped;
    return skipped;
  }

  async close(): Promise<void> {
    this.ended = true;
    this.pending = [];
    this.pendingLength = 0;
    this.input.unpipe(this.gunzip);
    this.input.destroy();
    this.gunzip.destroy();
    await this.handle.close();
  }

  /** Adds the next decompressed chunk to `pending`; false at end of stream. */
  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    let result: IteratorResult<Buffer>;
    try {
      result = await this.chunks.next();
    } catch (error) {
      this.ended = true;
      if (isTruncation(error)) return false;
      throw new CorruptStreamError(`gzip data is corrupt (${(error as Error).message})`);
    }
    if (result.done) {
      this.ended = true;
      return false;
    }
    this.inflated += result.value.length;
    if (this.inflated > this.inflationLimit) {
      this.ended = true;
      this.gunzip.destroy();
      throw new InflationLimitError(this.inflated, this.inflationLimit);
    }
    if (result.value.length) {
      this.pending.push(result.value);
      this.pendingLength += result.value.length;
    }
    return true;
  }

  private take(length: number): Buffer {
    if (length === 0) return Buffer.alloc(0);
    const first = this.pending[0];
    if (first.length >= length) {
      this.drop(length);
      return first.subarray(0, length);
    }
    const out = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const head = this.pending[0];
      const n = Math.min(head.length, length - filled);
      head.copy(out, filled, 0, n);
      this.drop(n);
      filled += n;
    }
    return out;
  }

  private drop(length: number): void {
    let left = length;
    while (left > 0) {
      const head = this.pending[0];
      if (head.length <= left) {
        this.pending.shift();
        left -= head.length;
      } else {
        this.pending[0] = head.subarray(left);
        left = 0;
      }
    }
    this.pendingLength -= length;
  }
}

/** zlib reports a stream that stops before its end as Z_BUF_ERROR "unexpected end of file". */
function isTruncation(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'Z_BUF_ERROR';
}
