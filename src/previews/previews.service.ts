import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, In, Repository } from 'typeorm';
import sharp from 'sharp';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DataProduct } from '../data-products/data-product.entity';
import { equatorialWcs, FitsError, isFitsFileName, noRaDecReason, readFitsImage } from '../fits';
import { encodePng, writePng } from '../imaging';
import { FileStorageService } from '../storage/file-storage.service';
import { FitsImageCache } from './fits-image-cache';
import { MappingName, renderFrame, StretchName } from './fits-rendering';
import { PREVIEWABLE_TYPES } from './preview-jobs';

export interface PixelReading {
  x: number;
  y: number;
  /** null outside the image or for a blank pixel. */
  value: number | null;
  ra?: number;
  dec?: number;
}

/** Makes and serves previews: thumbnails (in the worker), larger stretched previews and pixel readings (on demand). */
@Injectable()
export class PreviewsService {
  private readonly logger = new Logger('Previews');
  private readonly cache = new FitsImageCache();

  constructor(
    @InjectRepository(DataProduct) private readonly products: Repository<DataProduct>,
    private readonly storage: FileStorageService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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
    try {
      if (PreviewsService.isFits(product)) {
        const image = await readFitsImage(this.storage.resolve(product.storedPath));
        await writePng(renderFrame(image, { maxSide: this.config.thumbnailMaxSide }), destination, { maxSide: this.config.thumbnailMaxSide });
      } else {
        await sharp(this.storage.resolve(product.storedPath), { limitInputPixels: 100_000_000 })
          .resize(this.config.thumbnailMaxSide, this.config.thumbnailMaxSide, { fit: 'inside', withoutEnlargement: true })
          .png()
          .toFile(destination);
      }
    } catch (error) {
      const reason = error instanceof FitsError ? error.reason : error instanceof Error ? error.message : String(error);
      if (!(error instanceof FitsError)) this.logger.warn(`No preview for product ${product.id}: ${reason}`);
      await this.products.update({ id: product.id }, { previewError: `No preview: ${reason}`.slice(0, 500) });
      return 'failed';
    }
    const result = await this.products.update({ id: product.id, sha256: product.sha256 }, { thumbnailPath: relative, previewError: null });
    if (!result.affected) {
      await this.storage.removeQuietly(destination);
      return 'gone';
    }
    return 'made';
  }

  /** A stretched PNG of the product's image, at most `maxSide` pixels on its longest side. */
  async renderPreview(product: DataProduct, options: { stretch: StretchName; mapping: MappingName; maxSide: number }): Promise<Buffer> {
    const { image } = await this.cache.get(this.cacheKey(product), this.storage.resolve(product.storedPath));
    return encodePng(renderFrame(image, options), { maxSide: options.maxSide });
  }

  /** Size and WCS kind of the product's image, for the product page. */
  async describe(product: DataProduct): Promise<{ width: number; height: number; celestial: boolean; wcsNote: string | null }> {
    const { image, wcs } = await this.cache.get(this.cacheKey(product), this.storage.resolve(product.storedPath));
    return { width: image.width, height: image.height, celestial: Boolean(equatorialWcs(wcs)), wcsNote: noRaDecReason(wcs) };
  }

  /** The pixel value at FITS 1-based (x, y), rounded to the nearest pixel, and RA/Dec when there is a celestial WCS. */
  async pixelAt(product: DataProduct, x: number, y: number): Promise<PixelReading> {
    const { image, wcs } = await this.cache.get(this.cacheKey(product), this.storage.resolve(product.storedPath));
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

  private cacheKey(product: DataProduct): string {
    return `${product.id}:${product.sha256}`;
  }
}
