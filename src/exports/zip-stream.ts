import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Logger } from '@nestjs/common';
import { Response } from 'express';
import { ZipFile } from 'yazl';
import { attachmentDisposition } from './zip-names';

/** One file of a zip download: a stored file read from disk, or a stream made when its turn comes (a run's log). */
export type ZipSource =
  | { name: string; path: string; mtime: Date }
  | { name: string; open: () => Readable; mtime: Date };

/** Suffixes of files that are compressed already: stored as they are rather than deflated again for nothing. */
const PACKED = /\.(gz|fz|zip|png|jpe?g|gif|webp|mp4|bz2|xz|zst)$/i;

export const ZIP_MEDIA_TYPE = 'application/zip';

/**
 * Streams a zip of `sources` to `res` as an attachment called `downloadName`: entries are added lazily (one file
 * open at a time, read with fs.createReadStream as the zip reaches it) and yazl's output is piped to the response,
 * so neither a file nor the zip is ever held in memory, and the response has no Content-Length (chunked).
 *
 * Every stored file is looked at (fs.stat) before the first byte is sent: a missing file is an error the client
 * gets as an error page, not a cut-short zip; its size, checked again by yazl while reading, catches a file that
 * changed under us. After the headers are out, a failure (or the client going away) can only end the response
 * early: it is logged, and every file still open is closed.
 */
export async function sendZip(res: Response, downloadName: string, sources: ZipSource[], logger: Logger): Promise<void> {
  const sizes = await Promise.all(sources.map((source) => ('path' in source ? fs.promises.stat(source.path).then((stat) => stat.size) : null)));
  const zip = new ZipFile();
  const open = new Set<Readable>();
  const track = (stream: Readable) => {
    open.add(stream);
    stream.once('close', () => open.delete(stream));
    return stream;
  };
  sources.forEach((source, i) => {
    const options = { mtime: source.mtime, mode: 0o100644, compress: !PACKED.test(source.name), ...(sizes[i] !== null ? { size: sizes[i]! } : {}) };
    zip.addReadStreamLazy(source.name, options, (done) => {
      try {
        done(null, track('path' in source ? fs.createReadStream(source.path) : source.open()));
      } catch (error) {
        done(error, undefined as never);
      }
    });
  });
  zip.end();
  const output = zip.outputStream as Readable;
  // yazl reports a failed entry (a read error, a size that changed) on the ZipFile, not on its output stream.
  zip.on('error', (error: Error) => output.destroy(error));

  res.setHeader('Content-Disposition', attachmentDisposition(downloadName));
  res.type(ZIP_MEDIA_TYPE);
  res.setHeader('Cache-Control', 'private, no-store');
  try {
    await pipeline(output, res);
  } catch (error) {
    const gone = (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE';
    if (gone) logger.debug(`Zip download ${downloadName} ended early: the client went away`);
    else logger.warn(`Zip download ${downloadName} stopped: ${(error as Error).message}`);
    res.destroy();
  } finally {
    for (const stream of open) stream.destroy();
  }
}
