import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export interface StoredFile {
  /** Relative to DATA_DIR. */
  storedPath: string;
  size: number;
  sha256: string;
}

/** Known multi-part suffixes kept on stored names so tools that look at suffixes (.fits.gz, .fits.fz) still work. */
const KEPT_SUFFIX = /(\.(fits|fit|fts)(\.gz|\.fz)?|\.fz|\.gz|\.csv|\.txt|\.json|\.png|\.jpe?g|\.gif|\.webp|\.mp4|\.dat|\.ecsv)$/i;

export function storedSuffix(originalName: string): string {
  return (KEPT_SUFFIX.exec(originalName)?.[0] ?? '').toLowerCase();
}

/**
 * Files under DATA_DIR, named by the server (a UUID plus a known suffix), never by the uploader. Uploads are
 * streamed to DATA_DIR/tmp first and renamed into place, so a half-written file is never in the store.
 */
@Injectable()
export class FileStorageService {
  readonly root: string;
  readonly tmpDir: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = config.dataDir;
    this.tmpDir = path.join(config.dataDir, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
    fs.mkdirSync(path.join(this.root, 'products'), { recursive: true });
  }

  /** Absolute path of a stored file; refuses anything that would leave DATA_DIR. */
  resolve(storedPath: string): string {
    const absolute = path.resolve(this.root, storedPath);
    if (!absolute.startsWith(this.root + path.sep)) throw new Error(`Refusing path outside DATA_DIR: ${storedPath}`);
    return absolute;
  }

  async sha256Of(file: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(file), hash);
    return hash.digest('hex');
  }

  /** Moves a temp file (already on the same disk) into the store under a fresh name. */
  async adopt(tempFile: string, originalName: string): Promise<StoredFile> {
    const [stat, sha256] = await Promise.all([fs.promises.stat(tempFile), this.sha256Of(tempFile)]);
    const storedPath = this.newStoredPath(originalName);
    const destination = this.resolve(storedPath);
    await fs.promises.mkdir(path.dirname(destination), { recursive: true });
    await fs.promises.rename(tempFile, destination);
    return { storedPath, size: stat.size, sha256 };
  }

  /** Copies a file from elsewhere (demo seed, pipeline outputs) into the store. */
  async importCopy(source: string, originalName: string): Promise<StoredFile> {
    const temp = path.join(this.tmpDir, `import-${randomUUID()}`);
    await fs.promises.copyFile(source, temp);
    try {
      return await this.adopt(temp, originalName);
    } catch (error) {
      await this.removeQuietly(temp);
      throw error;
    }
  }

  async remove(storedPath: string): Promise<void> {
    await fs.promises.rm(this.resolve(storedPath), { force: true });
  }

  async removeQuietly(absolutePath: string): Promise<void> {
    await fs.promises.rm(absolutePath, { force: true }).catch(() => undefined);
  }

  private newStoredPath(originalName: string): string {
    const id = randomUUID();
    // Two-level fan-out keeps directories small when a class uploads thousands of frames.
    return path.posix.join('products', id.slice(0, 2), `${id}${storedSuffix(originalName)}`);
  }
}
