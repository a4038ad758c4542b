import { FitsImage, parseWcs, Wcs } from '../fits';

export interface CachedImage {
  image: FitsImage;
  wcs: Wcs | null;
}

/**
 * The last few decoded images, so that moving the pointer over a preview or switching its stretch does not
 * decode the file again each time. Bounded by pixel bytes, not entries: one 4096² float frame is 64 MiB; an image
 * bigger than the whole bound is used for the request that loaded it and not kept.
 */
export class FitsImageCache {
  private readonly entries = new Map<string, Promise<CachedImage>>();
  private readonly sizes = new Map<string, number>();

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  /** The decoded image for `key` (which must change when the file does, e.g. include its sha256), loaded by `load` once. */
  get(key: string, load: () => Promise<FitsImage>): Promise<CachedImage> {
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const loading = load().then((image) => {
      if (image.data.byteLength > this.maxBytes) {
        this.forget(key);
      } else {
        this.sizes.set(key, image.data.byteLength);
        this.evict(key);
      }
      return { image, wcs: parseWcs(image.header.cards) };
    });
    loading.catch(() => this.forget(key));
    this.entries.set(key, loading);
    return loading;
  }

  private forget(key: string): void {
    this.entries.delete(key);
    this.sizes.delete(key);
  }

  private evict(keep: string): void {
    let total = [...this.sizes.values()].reduce((sum, size) => sum + size, 0);
    for (const key of this.entries.keys()) {
      if (total <= this.maxBytes) break;
      if (key === keep) continue;
      total -= this.sizes.get(key) ?? 0;
      this.forget(key);
    }
  }
}
