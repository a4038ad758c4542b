import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Prefix of the temporary files this library writes beside their destination (dot files, so listings skip them). */
export const TEMP_PREFIX = '.imaging-tmp-';

/**
 * Writes `data` to `outPath` atomically: into a temporary file in the same directory, flushed, then renamed over
 * the destination, so readers see either the old file or the whole new one. On any failure the temporary file
 * is removed and the error is rethrown.
 */
export async function writeFileAtomic(outPath: string, data: Uint8Array): Promise<void> {
  const dir = path.dirname(outPath);
  const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}-${path.basename(outPath)}`);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, outPath);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
