import * as fs from 'node:fs';
import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, SelectQueryBuilder } from 'typeorm';
import { cleanFileName } from '../common/file-names';
import { FitsError, readFitsHeaders } from '../fits';
import { parsePhotometryCsv, PhotometryPoint, PhotometryRowError } from '../reduced-data/photometry-csv.reader';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { FileStorageService } from '../storage/file-storage.service';
import { ShareChoice } from '../sharing/share-choice';
import { canChange, canView, ownedColumns, visibleCondition, visibleWhere } from '../sharing/sharing-policy';
import { Owned } from '../sharing/visibility';
import { canEditTarget } from '../targets/target-access';
import { Target } from '../targets/target.entity';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { DataProductWriter } from './data-product-writer.service';
import { DataProduct, PRODUCT_TYPES, ProductType } from './data-product.entity';
import { ProductFilter, ScopePlaceholders, scopeCondition } from './product-filter';
import { isRowId } from '../common/request-parsing';
import { preparedQuery } from '../database/prepared-query';

/** A row of the target page's products table. */
export interface ProductTableRow {
  id: number;
  originalName: string;
  productType: ProductType;
  size: number;
  thumbnailPath: string | null;
  previewError: string | null;
  createdAt: Date;
  visibility: DataProduct['visibility'];
  classroomId: number | null;
  /** Who uploaded it (or whose run made it): display name, else username; null when unknown. */
  ownerName: string | null;
  /** The groups the product is in, by name. */
  groups: Array<{ id: number; name: string }>;
}

/** The target a list of products belongs to: its id, and its owner for the "mine" filter. */
export type ProductsOf = Pick<Target, 'id' | 'ownerId'>;

/** Everything the full list may show: the API's default. */
export const ALL_PRODUCTS: ProductFilter = { scope: 'everyone', productType: null };

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

  constructor(
    @InjectRepository(DataProduct) private readonly products: Repository<DataProduct>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storage: FileStorageService,
    private readonly targets: TargetsService,
    private readonly reducedData: ReducedDataService,
    private readonly writer: DataProductWriter,
  ) {}

  /** The ids of the products that get a thumbnail (the writer's rule). */
  static previewable(products: Array<Pick<DataProduct, 'id' | 'productType' | 'originalName'>>): number[] {
    return DataProductWriter.previewable(products);
  }

  static isProductType(value: unknown): value is ProductType {
    return PRODUCT_TYPES.includes(value as ProductType);
  }

  /** A product as the sharing policy sees it: its uploader owns it. */
  static owned(product: Pick<DataProduct, 'uploadedById' | 'visibility' | 'classroomId'>): Owned {
    return { ownerId: product.uploadedById, visibility: product.visibility, classroomId: product.classroomId };
  }

  static canView(user: SessionUser, product: Pick<DataProduct, 'uploadedById' | 'visibility' | 'classroomId'>): boolean {
    return canView(user, DataProductsService.owned(product));
  }

  /** The uploader, their teachers and admins may share or delete a product. */
  static canChange(user: SessionUser, product: Pick<DataProduct, 'uploadedById'>): boolean {
    return canChange(user, { ownerId: product.uploadedById });
  }

  /**
   * The sharing an upload gets unless the uploader chooses: the target's when the uploader may change the target
   * (its owner, their teacher, an admin: their files are the target's own), else private to the uploader.
   */
  static defaultShare(user: SessionUser, target: Pick<Target, 'ownerId' | 'visibility' | 'classroomId'>): ShareChoice {
    return canEditTarget(user, target) ? { visibility: target.visibility, classroomId: target.classroomId } : { visibility: 'private', classroomId: null };
  }

  /** Restricts a query on products alias `p` to those `viewer` may see, narrowed by the page's filter. */
  private filtered(query: SelectQueryBuilder<DataProduct>, target: ProductsOf, viewer: SessionUser, filter: ProductFilter) {
    const visible = visibleWhere(viewer, ownedColumns('p', 'uploaded_by_id'), 'productViewer');
    const scope = scopeCondition(filter.scope, 'p', {
      targetOwner: 'CAST(:scopeOwner AS uuid)',
      me: 'CAST(:scopeMe AS uuid)',
      students: 'CAST(:scopeStudents AS uuid[])',
      classes: 'CAST(:scopeClasses AS int[])',
    });
    query
      .andWhere('p.target_id = :targetId', { targetId: target.id })
      .andWhere(visible.sql, visible.params)
      .andWhere(scope, { scopeOwner: target.ownerId, scopeMe: viewer.id, scopeStudents: [...viewer.studentIds], scopeClasses: [...viewer.memberOf] });
    if (filter.productType) query.andWhere('p.product_type = :productType', { productType: filter.productType });
    return query;
  }

  /**
   * One page of a target's images (the products that get a thumbnail) that `viewer` may see under `filter`, in
   * file-name order, 2 before 10. Whether a product is an image is decided in code, so the ids, names and types of
   * those products are read (small rows), and only the page's products whole.
   */
  async imagePageForTarget(
    target: ProductsOf,
    viewer: SessionUser,
    filter: ProductFilter,
    page: { limit: number; offset: number },
  ): Promise<{ items: DataProduct[]; total: number }> {
    const all = await this.filtered(this.products.createQueryBuilder('p').select(['p.id', 'p.originalName', 'p.productType']), target, viewer, filter).getMany();
    const images = all
      .filter((product) => DataProductsService.previewable([product]).length > 0)
      .sort((a, b) => FILE_NAME_ORDER.compare(a.originalName, b.originalName) || a.id - b.id);
    const ids = images.slice(page.offset, page.offset + page.limit).map((product) => product.id);
    const rows = ids.length ? await this.products.findBy({ id: In(ids) }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return { items: ids.map((id) => byId.get(id)).filter((row): row is DataProduct => Boolean(row)), total: images.length };
  }

  /**
   * The target page's products table in one statement: a page of the target's products that `viewer` may see under
   * `filter`, newest first (or, with `onlyIds`, those of them the viewer may see, whatever the filter), each with its
   * owner and the groups it is in, and how many products the filter lists. Plain rows, not entities: the page is
   * asked for often and a hundred entities cost more to build than the query.
   */
  async tableForTarget(
    target: ProductsOf,
    viewer: SessionUser,
    filter: ProductFilter,
    page: { limit: number; offset: number },
    onlyIds?: number[],
  ): Promise<{ rows: ProductTableRow[]; total: number }> {
    if (onlyIds && !onlyIds.length) return { rows: [], total: 0 };
    const { scope, productType } = onlyIds ? ALL_PRODUCTS : filter;
    // Parameters are numbered as they are first used: Postgres refuses one it never sees (it cannot type it).
    const params: unknown[] = [target.id, page.limit, page.offset, onlyIds ?? null, productType];
    const bound = new Map<string, string>();
    const bind = (key: string, value: unknown, cast: string) => bound.get(key) ?? bound.set(key, `$${params.push(value)}::${cast}`).get(key)!;
    const placeholders: ScopePlaceholders = {
      get targetOwner() { return bind('owner', target.ownerId, 'uuid'); },
      get me() { return bind('me', viewer.id, 'uuid'); },
      get students() { return bind('students', [...viewer.studentIds], 'uuid[]'); },
      get classes() { return bind('classes', [...viewer.memberOf], 'int[]'); },
    };
    const scoped = { p: scopeCondition(scope, 'p', placeholders), c: scopeCondition(scope, 'c', placeholders) };
    const first = params.length + 1;
    const visible = (alias: 'p' | 'c') => visibleCondition(viewer, ownedColumns(alias, 'uploaded_by_id'), first);
    params.push(...visible('p').params);
    const where = (alias: 'p' | 'c') => `${alias}.target_id = $1 AND ${visible(alias).sql} AND ${scoped[alias]} AND ($5::text IS NULL OR ${alias}.product_type = $5)`;
    // Only the groups the viewer may see are named beside a product (same viewer parameters as the products').
    const visibleGroup = visibleCondition(viewer, ownedColumns('g', 'created_by_id'), first).sql;
    // The page's rows come as one JSON value beside the count: one row to send and parse rather than one per product
    // (on the embedded database every row is a socket write of its own), and the count is there past the last page.
    const sql = `SELECT (SELECT count(*)::int FROM data_products c WHERE ${where('c')}) AS total,
              (SELECT coalesce(json_agg(page ORDER BY page."createdAt" DESC, page.id DESC), '[]') FROM (
                 SELECT p.id, p.original_name AS "originalName", p.product_type AS "productType", p.size, p.thumbnail_path AS "thumbnailPath",
                        p.preview_error AS "previewError", p.created_at AS "createdAt", p.visibility, p.classroom_id AS "classroomId",
                        coalesce(u.display_name, u.username) AS "ownerName",
                        coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.name)
                                    FROM data_product_group_members m JOIN data_product_groups g ON g.id = m.group_id
                                   WHERE m.data_product_id = p.id AND ${visibleGroup}), '[]') AS groups
                   FROM data_products p LEFT JOIN users u ON u.id = p.uploaded_by_id
                  WHERE ${where('p')} AND ($4::int[] IS NULL OR p.id = ANY($4))
                  ORDER BY p.created_at DESC, p.id DESC
                  LIMIT $2 OFFSET $3) page) AS rows`;
    type Raw = Omit<ProductTableRow, 'size' | 'createdAt'> & { size: number | string; createdAt: string };
    const {
      rows: [{ total, rows }],
    } = await preparedQuery<{ total: number; rows: Raw[] }>(this.dataSource, sql, params);
    return { rows: rows.map((row) => ({ ...row, size: Number(row.size), createdAt: new Date(row.createdAt) })), total };
  }

  /** One page of a target's products that `viewer` may see under `filter`, newest first, and how many there are. */
  async pageForTarget(
    target: ProductsOf,
    viewer: SessionUser,
    filter: ProductFilter,
    page: { limit: number; offset: number },
  ): Promise<{ items: DataProduct[]; total: number }> {
    const query = this.filtered(this.products.createQueryBuilder('p').leftJoinAndSelect('p.uploadedBy', 'uploader'), target, viewer, filter);
    // offset/limit rather than skip/take: the only join is many-to-one, so rows are products one for one.
    const [items, total] = await Promise.all([
      query.clone().orderBy('p.createdAt', 'DESC').addOrderBy('p.id', 'DESC').offset(page.offset).limit(page.limit).getMany(),
      query.clone().getCount(),
    ]);
    return { items, total };
  }

  /** The product with its target and uploader if it exists (404) and `user` may see it (403): the product's own sharing decides. */
  async findVisible(id: number, user: SessionUser): Promise<DataProduct & { target: Target }> {
    const product = isRowId(id)
      ? await this.products
          .createQueryBuilder('p')
          .innerJoinAndSelect('p.target', 't')
          .leftJoinAndSelect('p.uploadedBy', 'uploader')
          .where('p.id = :id', { id })
          .getOne()
      : null;
    if (!product) throw new NotFoundException(`There is no data product with id ${id}`);
    if (!DataProductsService.canView(user, product)) throw new ForbiddenException('This data product is private: it is not shared with you');
    return product;
  }

  /** The product if `user` may also change it: share it or delete it (403 otherwise). */
  async findChangeable(id: number, user: SessionUser): Promise<DataProduct & { target: Target }> {
    const product = await this.findVisible(id, user);
    if (!DataProductsService.canChange(user, product)) {
      throw new ForbiddenException('Only the uploader, their teachers or an admin may change this data product');
    }
    return product;
  }

  /** Products by id, each checked visible to `user` (404 for a missing one, 403 for one not shared with them). */
  async findManyVisible(ids: number[], user: SessionUser): Promise<DataProduct[]> {
    if (!ids.length) return [];
    const products = await this.products.find({ where: { id: In(ids) } });
    const missing = ids.filter((id) => !products.some((product) => product.id === id));
    if (missing.length) throw new NotFoundException(`There is no data product with id ${missing.join(', ')}`);
    const refused = products.filter((product) => !DataProductsService.canView(user, product));
    if (refused.length) throw new ForbiddenException(`Data product ${refused.map((p) => p.id).join(', ')} is not shared with you`);
    return products;
  }

  /**
   * Changes who may see a product (the uploader, their teachers, admins). Light-curve points read from the file
   * share as the file does, in the same transaction.
   */
  async setSharing(product: DataProduct, user: SessionUser, choice: ShareChoice): Promise<DataProduct> {
    if (!DataProductsService.canChange(user, product)) {
      throw new ForbiddenException('Only the uploader, their teachers or an admin may change who sees this data product');
    }
    await this.checkSharing(user, choice, product);
    const classroomId = choice.visibility === 'class' ? choice.classroomId : null;
    await this.dataSource.transaction(async (manager) => {
      await manager.update(DataProduct, { id: product.id }, { visibility: choice.visibility, classroomId });
      await manager.query('UPDATE reduced_data SET visibility = $2, classroom_id = $3 WHERE data_product_id = $1 AND owner_id IS NOT DISTINCT FROM $4',
        [product.id, choice.visibility, classroomId, product.uploadedById],
      );
    });
    return Object.assign(product, { visibility: choice.visibility, classroomId });
  }

  /** 400 naming the problem when `user` may not give a product this sharing (see TargetsService.sharingProblem). */
  private async checkSharing(user: SessionUser, choice: ShareChoice, current?: ShareChoice): Promise<void> {
    const problem = await this.targets.sharingProblem(user, choice, current);
    if (problem) throw new BadRequestException({ message: problem, errors: { classroomId: [problem] } });
  }

  absolutePath(product: DataProduct): string {
    return this.storage.resolve(product.storedPath);
  }

  /**
   * Validates every file, then stores all of them or none. Photometry files are parsed first and any bad row
   * rejects the whole upload with its line number; FITS images must have a readable FITS header. The uploader owns
   * the new products; `share` is who may see them (DataProductsService.defaultShare when not given). A file identical
   * to a product of the target that the uploader may see is not stored again; one they may not see does not count.
   */
  async ingest(target: Target, files: IncomingFile[], productType: string, user: SessionUser, share?: ShareChoice | null): Promise<IngestResult> {
    if (!DataProductsService.isProductType(productType)) {
      throw new BadRequestException(`Choose a product type: ${PRODUCT_TYPES.join(', ')}`);
    }
    if (!files.length) throw new BadRequestException('Choose at least one file to upload');
    if (share) await this.checkSharing(user, share);
    const { visibility, classroomId } = share ?? DataProductsService.defaultShare(user, target);

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

    const adopted = await this.writer.stage(files.map((file) => ({ path: file.path, originalName: file.originalName, move: true })));
    try {
      const result: IngestResult = { created: [], duplicates: [], pointsAdded: 0, pointsSkipped: 0 };
      const staged = files.map((file, i) => ({ file, stored: adopted[i] }));
      await this.dataSource.transaction(async (manager) => {
        for (const { file, stored } of staged) {
          const same = await manager.find(DataProduct, { where: { targetId: target.id, sha256: stored.sha256 }, order: { id: 'ASC' } });
          // A photometry file is reused only when it is the uploader's own: its points hang on the product (deleting
          // it deletes them), so they must never hang on another student's copy. Other files are reused when visible.
          const existing =
            same.find((candidate) => (photometry.has(file) ? candidate.uploadedById === user.id : DataProductsService.canView(user, candidate))) ?? null;
          let product = existing;
          if (existing) {
            result.duplicates.push(existing);
          } else {
            product = await this.writer.insert(manager, stored, {
              targetId: target.id,
              originalName: file.originalName,
              productType: productType as ProductType,
              ownerId: user.id,
              visibility,
              classroomId,
            });
            result.created.push(product);
          }
          const points = photometry.get(file);
          if (points && product) {
            // The points are the uploader's series, shared as their file is; when the identical file is someone
            // else's, as this upload asked. Another student's identical points stay theirs (unique per owner).
            const own = product.uploadedById === user.id;
            const counts = await this.reducedData.addPhotometry(
              manager,
              target.id,
              {
                kind: 'upload',
                dataProductId: product.id,
                sourceName: product.originalName,
                ownerId: user.id,
                visibility: own ? product.visibility : visibility,
                classroomId: own ? product.classroomId : classroomId,
              },
              points,
            );
            result.pointsAdded += counts.added;
            result.pointsSkipped += counts.skipped;
          }
        }
      });
      // Identical files were not needed: drop their fresh copies.
      const kept = new Set(result.created.map((product) => product.storedPath));
      await this.writer.discard(adopted.filter((stored) => !kept.has(stored.storedPath)));
      await this.writer.queuePreviews(result.created);
      return result;
    } catch (error) {
      await this.writer.discard(adopted);
      throw error;
    }
  }

  /** Deletes the product's rows (its reduced data and group memberships cascade) and then its file. */
  async remove(product: DataProduct, user: SessionUser): Promise<void> {
    if (!DataProductsService.canChange(user, product)) {
      throw new ForbiddenException('Only the uploader, their teachers or an admin may delete this data product');
    }
    await this.products.delete({ id: product.id });
    await this.storage.remove(product.storedPath);
    if (product.thumbnailPath) await this.storage.remove(product.thumbnailPath).catch(() => undefined);
  }

  private async readPhotometry(file: IncomingFile, name: string): Promise<{ points: PhotometryPoint[]; errors: PhotometryRowError[] }> {
    if (file.size > MAX_PHOTOMETRY_BYTES) {
      return { points: [], errors: [{ line: 0, reason: `photometry files are limited to 64 MiB (${name} is larger)` }] };
    }
    return parsePhotometryCsv(await fs.promises.readFile(file.path, 'utf8'));
  }
}
