import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppConfig } from '../config/app-config';
import { FileStorageService } from '../storage/file-storage.service';
import { DataProductWriter } from './data-product-writer.service';

/** Every file under the store's products folder, relative to it. */
function storedFiles(root: string): string[] {
  const dir = path.join(root, 'products');
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(dir, name)).isFile()) : [];
}

describe('DataProductWriter', () => {
  let dataDir: string;
  let sources: string;
  let writer: DataProductWriter;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-data-'));
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-src-'));
    writer = new DataProductWriter(new FileStorageService({ dataDir } as AppConfig));
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(sources, { recursive: true, force: true });
  });

  it('copies outputs and moves uploads into the store, with their size and SHA-256', async () => {
    fs.writeFileSync(path.join(sources, 'a.csv'), 'time,mag\n');
    fs.writeFileSync(path.join(sources, 'upload.tmp'), 'SIMPLE');
    const [copied, moved] = await writer.stage([
      { path: path.join(sources, 'a.csv'), originalName: 'a.csv' },
      { path: path.join(sources, 'upload.tmp'), originalName: 'frame.fits', move: true },
    ]);
    expect(copied).toMatchObject({ size: 9, sha256: createHash('sha256').update('time,mag\n').digest('hex') });
    expect(fs.readFileSync(path.join(dataDir, copied.storedPath), 'utf8')).toBe('time,mag\n');
    expect(fs.existsSync(path.join(sources, 'a.csv'))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, moved.storedPath), 'utf8')).toBe('SIMPLE');
    expect(fs.existsSync(path.join(sources, 'upload.tmp'))).toBe(false);
    expect(storedFiles(dataDir)).toHaveLength(2);
  });

  it('leaves nothing in the store when one file of a batch cannot be stored', async () => {
    fs.writeFileSync(path.join(sources, 'one.fits'), 'first');
    fs.writeFileSync(path.join(sources, 'two.fits'), 'second');
    await expect(
      writer.stage([
        { path: path.join(sources, 'one.fits'), originalName: 'one.fits' },
        { path: path.join(sources, 'two.fits'), originalName: 'two.fits' },
        { path: path.join(sources, 'missing.fits'), originalName: 'missing.fits' },
      ]),
    ).rejects.toThrow(/ENOENT/);
    expect(storedFiles(dataDir)).toEqual([]);
  });

  it('discards staged files, and answers true for previews when there is no queue to give them to', async () => {
    fs.writeFileSync(path.join(sources, 'out.png'), 'png');
    const stored = await writer.stage([{ path: path.join(sources, 'out.png'), originalName: 'out.png' }]);
    await writer.discard(stored);
    await writer.discard(stored); // twice is harmless
    expect(storedFiles(dataDir)).toEqual([]);
    await expect(writer.queuePreviews([])).resolves.toBe(true);
  });

  it('says which products get a thumbnail: FITS images by type or name, and ordinary images', () => {
    expect(
      DataProductWriter.previewable([
        { id: 1, productType: 'fits_image', originalName: 'a.dat' },
        { id: 2, productType: 'other', originalName: 'b.fits.fz' },
        { id: 3, productType: 'image', originalName: 'c.png' },
        { id: 4, productType: 'photometry', originalName: 'd.csv' },
      ]),
    ).toEqual([1, 2, 3]);
  });
});
