import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, In, Repository } from 'typeorm';
import sharp from 'sharp';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DataProduct } from '../data-products/data-product.entity';
import { equatorialWcs, FitsError, FitsTooLargeError, formatCount, isFitsFileName, noRaDecReason } from '../fits';
import { ThreadPoolClosedError } from '../imaging/thread-pool';
import { ProductPreviewState } from '../pipeline-runs/pipeline-events.service';
import { Owned } from '../sharing/visibility';
import { FileStorageService } from '../storage/file-storage.service';
import { CachedImage, FitsImageCache } from './fits-image-cache';
import { MappingName, StretchName } from '../imaging/fits-rendering';
import { PREVIEWABLE_TYPES } from './preview-jobs';
import { PreviewThreads } from './preview-threads';

export interface PixelReading {
  x: number;
  y: number;
  /** null outside the image or for a blank pixel. */
  value: number | null;
  ra?: number;
  dec?: number;
}

/** An image (not FITS) over the preview budget, found from its header by sharp. */
export class ImageTooLargeError extends Error {
  constructor(
    readonly pixels: number,
    readonly limit: number,
  ) {
    super(`too large to preview (${formatCount(pixels)} pixels, limit ${formatCount(limit)})`);
  }
}

/**
 * Makes and serves previews: thumbnails (for the worker's queue), larger stretched previews and pixel readings (on
 * demand). Every image is held to the preview pixel budget (PREVIEW_MAX_PIXELS) from its header, and decoded and
 * rendered in the preview threads: this process's event loop only waits.
 */
@Injectable()
export class PreviewsService implements OnModuleDestroy {
  private readonly logger = new Logger('Previews');
  private readonly cache = new FitsImageCache();
  private readonly threads: PreviewThreads;

  constructor(
    @InjectRepository(DataProduct) private readonly products: Repository<DataProduct>,
    private readonly storage: FileStorageService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.threads = new PreviewThreads(config.previewThreads);
  }

  async onModuleDestroy() {
    await this.threads.close();
  }

  /** The words shown to a user for an image over the budget: "too large to preview (N pixels, limit M)". */
  static tooLargeMessage(error: unknown): string | undefined {
    if (error instanceof FitsTooLargeError) return error.tooLargeTo('preview');
    if (error instanceof ImageTooLargeError) return error.message;
    return undefined;
  }

  static isPreviewable(product: Pick<DataProduct, 'productType' | 'originalName'>): boolean {
    return PREVIEWABLE_TYPES.includes(product.productType) || isFitsFileName(product.originalName);
  }

  static isFits(product: Pick<DataProduct, 'productType' | 'originalName'>): boolean {
    return product.productType === 'fits_image' || isFitsFileName(product.originalName);
  }

  /** Products that should have a thumbnail and have neither one nor a recorded reason why not. */
  async missing(limit = 10_000): Promise<number[]> {
    const rows = await this.products.find({
      select: { id: true },
      where: { productType: In(PREVIEWABLE_TYPES), thumbnailPath: IsNull(), previewError: IsNull() },
      order: { id: 'ASC' },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  /**
   * Writes the product's thumbnail under DATA_DIR/previews and records it; a file that cannot be rendered gets
   * its reason recorded instead. A product deleted meanwhile leaves no file behind.
   */
  async makeThumbnail(productId: number): Promise<'made' | 'failed' | 'gone'> {
    const product = await this.products.findOneBy({ id: productId });
    if (!product) return 'gone';
    const relative = path.join('previews', `${product.id}-${product.sha256.slice(0, 12)}.png`);
    const destination = this.storage.resolve(relative);
    await fs.promises.mkdir(path.dirname(destination), { recursive: true });
    const file = this.storage.resolve(product.storedPath);
    const maxSide = this.config.thumbnailMaxSide;
    try {
      if (PreviewsService.isFits(product)) {
        await this.threads.thumbnail({ file, destination, maxSide, maxPixels: this.config.previewMaxPixels });
      } else {
        // sharp decodes on libuv's threads; its header tells the size before anything is decoded.
        const { width = 0, height = 0 } = await sharp(file).metadata();
        if (width * height > this.config.previewMaxPixels) throw new ImageTooLargeError(width * height, this.config.previewMaxPixels);
        await sharp(file, { limitInputPixels: this.config.previewMaxPixels })
          .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
          .png()
          .toFile(destination);
      }
    } catch (error) {
      // Stopping the process is no reason to give up on the thumbnail: the job is retried, or queued at the next start.
      if (error instanceof ThreadPoolClosedError) throw error;
      const tooLarge = PreviewsService.tooLargeMessage(error);
      // Shown on the product's page: a decoder's message names the stored file by its path, the page by its name.
      const reason = error instanceof FitsError ? error.reason : (error instanceof Error ? error.message : String(error)).split(file).join(product.originalName);
      if (!tooLarge && !(error instanceof FitsError)) this.logger.warn(`No preview for product ${product.id}: ${reason}`);
      const message = tooLarge ? `${tooLarge[0].toUpperCase()}${tooLarge.slice(1)}` : `No preview: ${reason}`;
      await this.products.update({ id: product.id }, { previewError: message.slice(0, 500) });
      return 'failed';
    }
    const result = await this.products.update({ id: product.id, sha256: product.sha256 }, { thumbnailPath: relative, previewError: null });
    if (!result.affected) {
      await this.storage.removeQuietly(destination);
      return 'gone';
    }
    return 'made';
  }

  /**
   * A product's preview as the target pages are told of it (made, or failed with its reason) with its sharing;
   * null while none is settled or when the product is gone.
   */
  async settledPreview(productId: number): Promise<{ preview: ProductPreviewState; owned: Owned } | null> {
    const product = await this.products.findOne({
      select: { id: true, targetId: true, uploadedById: true, visibility: true, classroomId: true, thumbnailPath: true, previewError: true },
      where: { id: productId },
    });
    if (!product || (!product.thumbnailPath && !product.previewError)) return null;
    return {
      preview: { productId: product.id, targetId: product.targetId, state: product.thumbnailPath ? 'made' : 'failed', reason: product.thumbnailPath ? null : product.previewError },
      owned: { ownerId: product.uploadedById, visibility: product.visibility, classroomId: product.classroomId },
    };
  }

  /** A stretched PNG of the product's image, at most `maxSide` pixels on its longest side. */
  async renderPreview(product: DataProduct, options: { stretch: StretchName; mapping: MappingName; maxSide: number }): Promise<Buffer> {
    const { image } = await this.decoded(product);
    return this.threads.render(image, options);
  }

  /** Size and WCS kind of the product's image, for the product page. */
  async describe(product: DataProduct): Promise<{ width: number; height: number; celestial: boolean; wcsNote: string | null }> {
    const { image, wcs } = await this.decoded(product);
    return { width: image.width, height: image.height, celestial: Boolean(equatorialWcs(wcs)), wcsNote: noRaDecReason(wcs) };
  }

  /** The pixel value at FITS 1-based (x, y), rounded to the nearest pixel, and RA/Dec when there is a celestial WCS. */
  async pixelAt(product: DataProduct, x: number, y: number): Promise<PixelReading> {
    const { image, wcs } = await this.decoded(product);
    const column = Math.round(x);
    const row = Math.round(y);
    let value: number | null = null;
    if (column >= 1 && column <= image.width && row >= 1 && row <= image.height) {
      const v = image.data[(row - 1) * image.width + (column - 1)];
      value = Number.isFinite(v) ? v : null;
    }
    const reading: PixelReading = { x, y, value };
    const sky = equatorialWcs(wcs);
    if (sky) {
      const world = sky.pixToWorld(x, y);
      if (Number.isFinite(world.ra) && Number.isFinite(world.dec)) Object.assign(reading, { ra: world.ra, dec: world.dec });
    }
    return reading;
  }

  /** The product's image, decoded in a preview thread (under the budget) into shared memory, and cached. */
  private decoded(product: DataProduct): Promise<CachedImage> {
    const file = this.storage.resolve(product.storedPath);
    return this.cache.get(`${product.id}:${product.sha256}`, () => this.threads.decode(file, this.config.previewMaxPixels));
  }
}
