import { Controller, Get, Param, ParseIntPipe, Query, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { pageUrl, pageView, parsePageRequest } from '../common/paging';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';
import { DataProductsService, ProductTableRow } from '../data-products/data-products.service';
import { GroupsService } from '../groups/groups.service';
import { pickerChoices } from '../pipelines/pipeline-picker';
import { PipelinePresetsService } from '../pipelines/pipeline-presets.service';
import { PipelineRegistryService } from '../pipelines/pipeline-registry.service';
import { PipelineRunsService } from '../pipelines/pipeline-runs.service';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { SessionUser } from '../users/user.entity';
import { formatKeyValueLines, sexagesimal } from './dto/target-form';
import { canEditTarget } from './target-access';
import { TargetPageQueries } from './target-page.queries';
import { TargetsService } from './targets.service';

/**
 * The target page gathers several features (products, groups, light curve), so it lives in its own module that
 * imports them, keeping the feature modules free of a dependency on the page.
 */
@Controller('targets')
export class TargetPageController {
  constructor(
    private readonly targets: TargetsService,
    private readonly products: DataProductsService,
    private readonly groups: GroupsService,
    private readonly reducedData: ReducedDataService,
    private readonly registry: PipelineRegistryService,
    private readonly runs: PipelineRunsService,
    private readonly presets: PipelinePresetsService,
    private readonly pageQueries: TargetPageQueries,
  ) {}

  /**
   * The target page. Its products table shows one page (`?limit=&offset=`, newest first); the light curve is
   * fetched by public/js/light-curve.js from `light-curve.json`, so neither grows the page with the target.
   */
  @Get(':id')
  @Render('targets/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Query() query: Record<string, unknown>) {
    const paging = parsePageRequest(query, PRODUCTS_PER_PAGE, MAX_PRODUCTS_PER_PAGE);
    const target = await this.targets.findVisible(id, user);
    // "Run again": the picker opens with the earlier run's pipeline, inputs and flags ticked.
    const rerunId = typeof query.rerun === 'string' && query.rerun ? Number(query.rerun) : null;
    const [page, { lists, hasLightCurve, timelapse }, allGroups, runs, presets, rerun] = await Promise.all([
      this.products.tableForTarget(target.id, paging),
      this.pageQueries.facts(target.id),
      this.groups.choices(user),
      this.runs.listForTarget(target.id),
      this.presets.list(),
      rerunId !== null ? this.runs.findVisible(rerunId, user) : Promise.resolve(null),
    ]);
    const pipelines = pickerChoices(this.registry.list(), presets, rerun);
    // A rerun's inputs stay ticked even when they are not on this page: they are shown above it.
    const rerunInputs = rerun?.targetId === target.id ? rerun.inputIds : [];
    const shownIds = new Set(page.rows.map((product) => product.id));
    const missing = rerunInputs.filter((inputId) => !shownIds.has(inputId));
    const pinned = missing.length ? (await this.products.tableForTarget(target.id, { limit: missing.length, offset: 0 }, missing)).rows : [];
    const products = [...pinned, ...page.rows];
    return {
      title: target.name,
      target,
      sexagesimal: sexagesimal(target),
      canEdit: canEditTarget(user, target),
      elements: formatKeyValueLines(target.elements),
      extra: Object.entries(target.extra ?? {}).map(([key, value]) => ({ key, value })),
      lists,
      pipelines,
      runs,
      timelapse: timelapse ? { ...timelapse, isVideo: /\.mp4$/i.test(timelapse.originalName) } : null,
      products: productRows(products, rerunInputs, new Set(pinned.map((product) => product.id))),
      pager: pageView(
        `/targets/${target.id}`,
        { rerun: rerun ? String(rerun.id) : undefined },
        { ...paging, total: page.total, shown: page.rows.length },
        PRODUCTS_PER_PAGE,
        { one: 'data product', many: 'data products' },
        '#data',
      ),
      // Back to this page of the table after making or extending a group.
      returnTo: pageUrl(`/targets/${target.id}`, {}, paging, PRODUCTS_PER_PAGE, '#data'),
      // "Select group" offers the groups of the products shown.
      productGroups: groupsOf(products),
      allGroups,
      productTypes: PRODUCT_TYPES,
      hasLightCurve,
      uploadDefaultName: `${target.name.replace(/\s+/g, '_')}_group`,
    };
  }

  /**
   * The light curve for public/js/light-curve.js (see ReducedDataService.lightCurveJson), with the page's access
   * rule. Its ETag is the curve's version: a browser asking again gets a 304 for the price of one small query.
   */
  @Get(':id/light-curve.json')
  async lightCurve(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const target = await this.targets.findVisible(id, user);
    const version = await this.reducedData.lightCurveVersion(target.id);
    const etag = (v: string) => `W/"light-curve-${target.id}-${v}"`;
    res.setHeader('Cache-Control', 'private, no-cache');
    if (req.headers['if-none-match'] === etag(version)) {
      res.setHeader('ETag', etag(version));
      res.status(304).end();
      return;
    }
    const curve = await this.reducedData.lightCurveJson(target.id, version);
    res.setHeader('ETag', etag(curve.version));
    res.type('application/json').send(curve.json);
  }

  /** Thumbnails of the target's images with checkboxes, a page at a time: tick frames for a group or a pipeline. */
  @Get(':id/gallery')
  @Render('targets/gallery')
  async gallery(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Query() query: Record<string, unknown>) {
    const paging = parsePageRequest(query, IMAGES_PER_PAGE, MAX_PRODUCTS_PER_PAGE);
    const target = await this.targets.findVisible(id, user);
    const [page, allGroups, runs, presets] = await Promise.all([
      this.products.imagePageForTarget(target.id, paging),
      this.groups.choices(user),
      this.runs.listForTarget(target.id),
      this.presets.list(),
    ]);
    const productGroups = await this.groups.groupsOfProducts(page.items.map((product) => product.id));
    return {
      title: `${target.name}: gallery`,
      target,
      galleryProducts: page.items.map((product) => ({
        ...product,
        groupIds: productGroups.filter((g) => g.productIds.includes(product.id)).map((g) => g.id).join(' '),
      })),
      pager: pageView(`/targets/${target.id}/gallery`, {}, { ...paging, total: page.total, shown: page.items.length }, IMAGES_PER_PAGE, {
        one: 'image',
        many: 'images',
      }),
      returnTo: pageUrl(`/targets/${target.id}/gallery`, {}, paging, IMAGES_PER_PAGE),
      productGroups,
      allGroups,
      runs,
      pipelines: pickerChoices(this.registry.list(), presets),
      uploadDefaultName: `${target.name.replace(/\s+/g, '_')}_group`,
    };
  }
}

/** Data products per page of the target page's table and of its gallery, and the most one page may ask for. */
export const PRODUCTS_PER_PAGE = 50;
export const IMAGES_PER_PAGE = 100;
export const MAX_PRODUCTS_PER_PAGE = 500;

/** The products table's rows: thumbnail state, rerun ticks, and each product's groups (ids for "select group"). */
function productRows(products: ProductTableRow[], ticked: number[], pinned: Set<number>) {
  return products.map((product) =>
    Object.assign(product, {
      previewable: DataProductsService.previewable([product]).length > 0,
      checked: ticked.includes(product.id),
      pinned: pinned.has(product.id),
      groupIds: product.groups.map((group) => group.id).join(' '),
      groupNames: product.groups.map((group) => group.name),
    }),
  );
}

/** The groups the products are in, each once, by name. */
function groupsOf(products: ProductTableRow[]): Array<{ id: number; name: string }> {
  const groups = new Map<number, { id: number; name: string }>();
  for (const product of products) for (const group of product.groups) groups.set(group.id, group);
  return [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
