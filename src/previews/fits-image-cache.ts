import { FitsImage, parseWcs, readFitsImage, Wcs } from '../fits';

export interface CachedImage {
  image: FitsImage;
  wcs: Wcs | null;
}

/**
 * The last few decoded images, so that moving the pointer over a preview or switching its stretch does not
 * decode the file again each time. Bounded by pixel bytes, not entries: one 4096² float frame is 64 MiB.
 */
export class FitsImageCache {
  private readonly entries = new Map<string, Promise<CachedImage>>();
  private readonly sizes = new Map<string, number>();

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  /** The decoded image of `filePath`; `key` must change when the file does (e.g. include its sha256). */
  get(key: string, filePath: string): Promise<CachedImage> {
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const loading = readFitsImage(filePath).then((image) => {
      this.sizes.set(key, image.data.byteLength);
      this.evict(key);
      return { image, wcs: parseWcs(image.header.cards) };
    });
    loading.catch(() => {
      this.entries.delete(key);
      this.sizes.delete(key);
    });
    this.entries.set(key, loading);
    return loading;
  }

  private evict(keep: string): void {
    let total = [...this.sizes.values()].reduce((sum, size) => sum + size, 0);
    for (const key of this.entries.keys()) {
      if (total <= this.maxBytes) break;
      if (key === keep) continue;
      total -= this.sizes.get(key) ?? 0;
      this.entries.delete(key);
      this.sizes.delete(key);
    }
  }
}
