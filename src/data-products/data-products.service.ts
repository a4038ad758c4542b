import * as fs from 'node:fs';
import { InjectQueue } from '@nestjs/bull';
import { BadRequestException, ForbiddenException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { DataSource, In, Repository } from 'typeorm';
import { cleanFileName } from '../common/file-names';
import { FitsError, isFitsFileName, readFitsHeaders } from '../fits';
import { enqueuePreviews, PREVIEWABLE_TYPES } from '../previews/preview-jobs';
import { PREVIEWS_QUEUE } from '../queue/queue.module';
import { parsePhotometryCsv, PhotometryPoint, PhotometryRowError } from '../reduced-data/photometry-csv.reader';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { FileStorageService, StoredFile } from '../storage/file-storage.service';
import { canEditTarget } from '../targets/target-access';
import { Target } from '../targets/target.entity';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { DataProduct, PRODUCT_TYPES, ProductType } from './data-product.entity';

/** A row of the target page's products table. */
export interface ProductTableRow {
  id: number;
  originalName: string;
  productType: ProductType;
  size: number;
  thumbnailPath: string | null;
  previewError: string | null;
  createdAt: Date;
  /** The groups the product is in, by name. */
  groups: Array<{ id: number; name: string }>;
}

/** A file as received: already streamed to a temp file by the upload interceptor. */
export interface IncomingFile {
  path: string;
  originalName: string;
  size: number;
}

export interface UploadProblem {
  file: string;
  line?: number;
  reason: string;
}

export interface IngestResult {
  created: DataProduct[];
  /** Files identical (same sha256) to a product the target already had. */
  duplicates: DataProduct[];
  pointsAdded: number;
  pointsSkipped: number;
}

/** File names in the order people expect: frame_2 before frame_10. */
const FILE_NAME_ORDER = new Intl.Collator(undefined, { numeric: true });

// Photometry CSVs are read whole to validate every row before anything is stored.
const MAX_PHOTOMETRY_BYTES = 64 * 1024 * 1024;

/** Upload refused: a message and the per-file / per-line problems, shown on the error page or as JSON. */
export class UploadRejectedException extends BadRequestException {
  constructor(message: string, problems: UploadProblem[]) {
    super({ message, details: problems.map((p) => ({ line: p.line, reason: `${p.file}: ${p.reason}` })) });
  }
}

@Injectable()
export class DataProductsService {
  private readonly logger = new Logger('DataProducts');

  constructor(
    @InjectRepository(DataProduct) private readonly products: Repository<DataProduct>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storage: FileStorageService,
    private readonly targets: TargetsService,
    private readonly reducedData: ReducedDataService,
    @InjectQueue(PREVIEWS_QUEUE) private readonly previewQueue: Queue,
  ) {}

  /** The ids of the products that get a thumbnail: FITS images (by type or name) and ordinary images. */
  static previewable(products: Array<Pick<DataProduct, 'id' | 'productType' | 'originalName'>>): number[] {
    return products.filter((p) => PREVIEWABLE_TYPES.includes(p.productType) || isFitsFileName(p.originalName)).map((p) => p.id);
  }

  /** Queues thumbnails; a failure to queue loses nothing (the worker sweeps for missing ones at start). */
  async queuePreviews(products: DataProduct[]): Promise<void> {
    await enqueuePreviews(this.previewQueue, DataProductsService.previewable(products)).catch((error) =>
      this.logger.warn(`Thumbnails not queued (${error.message}); the next worker start makes them`),
    );
  }

  static isProductType(value: unknown): value is ProductType {
    return PRODUCT_TYPES.includes(value as ProductType);
  }

  /**
   * One page of a target's images (the products that get a thumbnail) in file-name order, 2 before 10. Whether a
   * product is an image is decided in code, so the ids, names and types of all its products are read (small rows),
   * and only the page's products whole.
   */
  async imagePageForTarget(targetId: number, page: { limit: number; offset: number }): Promise<{ items: DataProduct[]; total: number }> {
    const all = await this.products.find({ select: { id: true, originalName: true, productType: true }, where: { targetId } });
    const images = all
      .filter((product) => DataProductsService.previewable([product]).length > 0)
      .sort((a, b) => FILE_NAME_ORDER.compare(a.originalName, b.originalName) || a.id - b.id);
    const ids = images.slice(page.offset, page.offset + page.limit).map((product) => product.id);
    const rows = ids.length ? await this.products.findBy({ id: In(ids) }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return { items: ids.map((id) => byId.get(id)).filter((row): row is DataProduct => Boolean(row)), total: images.length };
  }

  /**
   * The target page's products table in one statement: a page of the target's products, newest first (or, with
   * `onlyIds`, those of them), each with the groups it is in, and how many products the target has. Plain rows, not
   * entities: the page is asked for often and a hundred entities cost more to build than the query.
   */
  async tableForTarget(targetId: number, page: { limit: number; offset: number }, onlyIds?: number[]): Promise<{ rows: ProductTableRow[]; total: number }> {
    if (onlyIds && !onlyIds.length) return { rows: [], total: 0 };
    const rows: Array<Omit<ProductTableRow, 'size'> & { size: string; total: number }> = await this.dataSource.query(
      `SELECT p.id, p.original_name AS "originalName", p.product_type AS "productType", p.size, p.thumbnail_path AS "thumbnailPath",
              p.preview_error AS "previewError", p.created_at AS "createdAt",
              coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.name)
                          FROM data_product_group_members m JOIN data_product_groups g ON g.id = m.group_id
                         WHERE m.data_product_id = p.id), '[]') AS groups,
              (SELECT count(*)::int FROM data_products c WHERE c.target_id = $1) AS total
         FROM data_products p
        WHERE p.target_id = $1 AND ($4::int[] IS NULL OR p.id = ANY($4))
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $2 OFFSET $3`,
      [targetId, page.limit, page.offset, onlyIds ?? null],
    );
    // Past the last page there are no rows to carry the total.
    const total = rows.length ? rows[0].total : onlyIds ? 0 : await this.products.count({ where: { targetId } });
    return { rows: rows.map(({ total: _total, ...row }) => ({ ...row, size: Number(row.size) })), total };
  }

  /** One page of a target's products, newest first, and how many it has. */
  async pageForTarget(targetId: number, page: { limit: number; offset: number }): Promise<{ items: DataProduct[]; total: number }> {
    const [items, total] = await this.products.findAndCount({
      where: { targetId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.limit,
    });
    return { items, total };
  }

  /** The product if it exists and its target is visible to `user`. */
  async findVisible(id: number, user: SessionUser): Promise<DataProduct & { target: Target }> {
    const product = Number.isSafeInteger(id) ? await this.products.findOne({ where: { id } }) : null;
    if (!product) throw new NotFoundException(`There is no data product with id ${id}`);
    product.target = await this.targets.findVisible(product.targetId, user);
    return product;
  }

  /** Products by id, each checked visible to `user`. */
  async findManyVisible(ids: number[], user: SessionUser): Promise<DataProduct[]> {
    if (!ids.length) return [];
    const products = await this.products.find({ where: { id: In(ids) } });
    const missing = ids.filter((id) => !products.some((product) => product.id === id));
    if (missing.length) throw new NotFoundException(`There is no data product with id ${missing.join(', ')}`);
    for (const product of products) await this.targets.findVisible(product.targetId, user);
    return products;
  }

  absolutePath(product: DataProduct): string {
    return this.storage.resolve(product.storedPath);
  }

  /**
   * Validates every file, then stores all of them or none. Photometry files are parsed first and any bad row
   * rejects the whole upload with its line number; FITS images must have a readable FITS header.
   */
  async ingest(target: Target, files: IncomingFile[], productType: string, user: SessionUser): Promise<IngestResult> {
    if (!DataProductsService.isProductType(productType)) {
      throw new BadRequestException(`Choose a product type: ${PRODUCT_TYPES.join(', ')}`);
    }
    if (!files.length) throw new BadRequestException('Choose at least one file to upload');

    const problems: UploadProblem[] = [];
    const photometry = new Map<IncomingFile, PhotometryPoint[]>();
    for (const file of files) {
      const name = cleanFileName(file.originalName);
      if (file.size === 0) {
        problems.push({ file: name, reason: 'the file is empty' });
      } else if (productType === 'photometry') {
        const parsed = await this.readPhotometry(file, name);
        problems.push(...parsed.errors.map((error) => ({ file: name, line: error.line, reason: error.reason })));
        if (!parsed.errors.length && !parsed.points.length) problems.push({ file: name, reason: 'no data rows found' });
        photometry.set(file, parsed.points);
      } else if (productType === 'fits_image') {
        try {
          await readFitsHeaders(file.path, { maxHdus: 1 });
        } catch (error) {
          const reason = error instanceof FitsError ? error.reason : 'cannot be read as FITS';
          problems.push({ file: name, reason: `not a readable FITS image (${reason})` });
        }
      }
    }
    if (problems.length) {
      throw new UploadRejectedException('Nothing was uploaded: fix these problems and try again.', problems.slice(0, 100));
    }

    const adopted: StoredFile[] = [];
    try {
      const result: IngestResult = { created: [], duplicates: [], pointsAdded: 0, pointsSkipped: 0 };
      const staged: Array<{ file: IncomingFile; stored: StoredFile }> = [];
      for (const file of files) {
        const stored = await this.storage.adopt(file.path, file.originalName);
        adopted.push(stored);
        staged.push({ file, stored });
      }
      await this.dataSource.transaction(async (manager) => {
        for (const { file, stored } of staged) {
          const existing = await manager.findOne(DataProduct, { where: { targetId: target.id, sha256: stored.sha256 } });
          let product = existing;
          if (existing) {
            result.duplicates.push(existing);
          } else {
            product = await manager.save(
              manager.create(DataProduct, {
                targetId: target.id,
                storedPath: stored.storedPath,
                originalName: cleanFileName(file.originalName),
                productType: productType as ProductType,
                size: stored.size,
                sha256: stored.sha256,
                uploadedById: user.id,
                tags: [],
              }),
            );
            result.created.push(product);
          }
          const points = photometry.get(file);
          if (points && product) {
            const counts = await this.reducedData.addPhotometry(manager, target.id, product.id, product.originalName, points);
            result.pointsAdded += counts.added;
            result.pointsSkipped += counts.skipped;
          }
        }
      });
      // Identical files were not needed: drop their fresh copies.
      const kept = new Set(result.created.map((product) => product.storedPath));
      for (const stored of adopted) if (!kept.has(stored.storedPath)) await this.storage.remove(stored.storedPath);
      await this.queuePreviews(result.created);
      return result;
    } catch (error) {
      for (const stored of adopted) await this.storage.remove(stored.storedPath).catch(() => undefined);
      throw error;
    }
  }

  /** The uploader, the target's owner and teachers may delete a product. */
  static canDelete(product: DataProduct & { target: Target }, user: SessionUser): boolean {
    return canEditTarget(user, product.target) || product.uploadedById === user.id;
  }

  /** Deletes the product's rows (its reduced data and group memberships cascade) and then its file. */
  async remove(product: DataProduct & { target: Target }, user: SessionUser): Promise<void> {
    if (!DataProductsService.canDelete(product, user)) {
      throw new ForbiddenException('Only the uploader, the target owner or a teacher may delete this data product');
    }
    await this.products.delete({ id: product.id });
    await this.storage.remove(product.storedPath);
    if (product.thumbnailPath) await this.storage.remove(product.thumbnailPath).catch(() => undefined);
    if (product.thumbnailPath) await this.storage.remove(product.thumbnailPath);
  }

  private async readPhotometry(file: IncomingFile, name: string): Promise<{ points: PhotometryPoint[]; errors: PhotometryRowError[] }> {
    if (file.size > MAX_PHOTOMETRY_BYTES) {
      return { points: [], errors: [{ line: 0, reason: `photometry files are limited to 64 MiB (${name} is larger)` }] };
    }
    return parsePhotometryCsv(await fs.promises.readFile(file.path, 'utf8'));
  }
}
