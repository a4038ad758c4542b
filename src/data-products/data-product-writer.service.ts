import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, Optional } from '@nestjs/common';
import type { Queue } from 'bull';
import { EntityManager } from 'typeorm';
import { cleanFileName } from '../common/file-names';
import { isFitsFileName } from '../fits';
import { enqueuePreviews, PREVIEWABLE_TYPES } from '../previews/preview-jobs';
import { PREVIEWS_QUEUE } from '../queue/queue.module';
import { Visibility } from '../sharing/visibility';
import { FileStorageService, StoredFile } from '../storage/file-storage.service';
import { DataProduct, ProductType } from './data-product.entity';

/** A file to put in the store: an upload's temporary file is moved, anything else copied. */
export interface ProductFile {
  path: string;
  originalName: string;
  move?: boolean;
}

/** The row of a stored file, as the caller decides it. */
export interface NewDataProduct {
  targetId: number;
  originalName: string;
  productType: ProductType;
  ownerId: string | null;
  visibility: Visibility;
  classroomId?: number | null;
  tags?: string[];
}

/**
 * The one writer of new data products and their files, for uploads, pipeline outputs and the demo seed. The files go
 * into the store first (`stage`), the rows inside the caller's transaction (`insert`), and whatever no committed row
 * points at is removed (`discard`), so a failure leaves neither a row without its file nor a file without its row.
 */
@Injectable()
export class DataProductWriter {
  private readonly logger = new Logger('DataProducts');

  constructor(
    private readonly storage: FileStorageService,
    // Absent in the CLI on the embedded default: the portal's start-up sweep makes the thumbnails then.
    @Optional() @InjectQueue(PREVIEWS_QUEUE) private readonly previewQueue?: Queue,
  ) {}

  /** The ids of the products that get a thumbnail: FITS images (by type or name) and ordinary images. */
  static previewable(products: Array<Pick<DataProduct, 'id' | 'productType' | 'originalName'>>): number[] {
    return products.filter((p) => PREVIEWABLE_TYPES.includes(p.productType) || isFitsFileName(p.originalName)).map((p) => p.id);
  }

  /** Puts the files in the store, in order; if one fails, the ones already stored are removed. */
  async stage(files: ProductFile[]): Promise<StoredFile[]> {
    const stored: StoredFile[] = [];
    try {
      for (const file of files) {
        stored.push(file.move ? await this.storage.adopt(file.path, file.originalName) : await this.storage.importCopy(file.path, file.originalName));
      }
      return stored;
    } catch (error) {
      await this.discard(stored);
      throw error;
    }
  }

  /** The product row of a staged file, in the caller's transaction; its name is cleaned by the text rule. */
  insert(manager: EntityManager, stored: StoredFile, product: NewDataProduct): Promise<DataProduct> {
    return manager.save(
      manager.create(DataProduct, {
        targetId: product.targetId,
        storedPath: stored.storedPath,
        originalName: cleanFileName(product.originalName),
        productType: product.productType,
        size: stored.size,
        sha256: stored.sha256,
        uploadedById: product.ownerId,
        visibility: product.visibility,
        classroomId: product.visibility === 'class' ? (product.classroomId ?? null) : null,
        tags: product.tags ?? [],
      }),
    );
  }

  /** Removes staged files that no committed row points at (after a failure, or copies of files already stored). */
  async discard(stored: StoredFile[]): Promise<void> {
    for (const file of stored) await this.storage.remove(file.storedPath).catch(() => undefined);
  }

  /**
   * Queues the thumbnails of new products. A failure to queue loses nothing (the worker sweeps for missing ones at
   * start): it is logged, and the answer is false so a caller can say so where its user will read it.
   */
  async queuePreviews(products: DataProduct[]): Promise<boolean> {
    if (!this.previewQueue) return true;
    try {
      await enqueuePreviews(this.previewQueue, DataProductWriter.previewable(products));
      return true;
    } catch (error) {
      this.logger.warn(`Thumbnails not queued (${(error as Error).message}); the next worker start makes them`);
      return false;
    }
  }
}
