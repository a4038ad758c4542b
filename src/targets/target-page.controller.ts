import { BadRequestException, Controller, Get, Param, Query, Render, Req } from '@nestjs/common';
import type { Request } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { pageUrl, pageView, parsePageRequest } from '../common/paging';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';
import { DataProductsService, ProductTableRow } from '../data-products/data-products.service';
import { parseProductFilter, PRODUCT_SCOPES, ProductFilter, SCOPE_LABELS } from '../data-products/product-filter';
import { shareOptions } from '../sharing/share-choice';
import { GroupsService } from '../groups/groups.service';
import { AssignmentsService } from '../assignments/assignments.service';
import { takePickerRefusal } from '../pipeline-runs/picker-refusal';
import { PickerPrefill, pickerChoices } from '../pipeline-runs/pipeline-picker';
import { PipelinePresetsService } from '../pipeline-runs/pipeline-presets.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRunsService } from '../pipeline-runs/pipeline-runs.service';
import { SessionUser } from '../users/user.entity';
import { formatKeyValueLines, sexagesimal } from './dto/target-form';
import { canEditTarget } from './target-access';
import { TargetPageQueries } from './target-page.queries';
import { TargetsService } from './targets.service';
import { optionalRowIdParam, ParseRowIdPipe } from '../common/request-parsing';
import { UNREAD_COUNT_LOCAL } from '../notifications/unread-count';

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
    private readonly registry: PipelineRegistryService,
    private readonly runs: PipelineRunsService,
    private readonly presets: PipelinePresetsService,
    private readonly pageQueries: TargetPageQueries,
    private readonly assignments: AssignmentsService,
  ) {}

  /**
   * The target page. Its products table shows one page (`?limit=&offset=`, newest first) of the products the viewer
   * may see, narrowed by `?scope=` (mine: the target owner's and the viewer's own, the default; class; everyone) and
   * `?type=`; the light curve is fetched by public/js/light-curve.js, so neither grows the page with the target.
   */
  @Get(':id')
  @Render('targets/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: Record<string, unknown>, @Req() req: Request) {
    const paging = parsePageRequest(query, PRODUCTS_PER_PAGE, MAX_PRODUCTS_PER_PAGE);
    const filter = productFilterOf(query);
    // Two statements for the page: the target with everything around the table (TargetPageQueries), then the table.
    const { target, facts } = await this.pageQueries.targetAndFacts(id, user);
    // "Run again": the picker opens with the earlier run's pipeline, inputs and flags ticked.
    const rerunId = optionalRowIdParam(query.rerun, 'rerun') ?? null;
    const [page, rerun] = await Promise.all([
      this.products.tableForTarget(target, user, filter, paging),
      rerunId !== null ? this.runs.findVisible(rerunId, user) : Promise.resolve(null),
    ]);
    const { lists, hasLightCurve, timelapse, className, groupChoices: allGroups, runs, presets, classChoices: classes } = facts;
    // "Start" on an assignment: its frames ticked, its first pipeline and preset chosen, the run linked to it.
    const assignmentId = optionalRowIdParam(query.assignment, 'assignment') ?? null;
    const assignment = assignmentId !== null ? await this.assignments.findVisible(assignmentId, user) : null;
    if (assignment && assignment.targetId !== target.id) throw new BadRequestException(`"${assignment.title}" is about another target`);
    const start = assignment && !rerun ? await this.assignments.startChoices(assignment, user) : null;
    const startPreset = start?.pipeline?.presetId ? presets.find((preset) => preset.id === start.pipeline!.presetId) : undefined;
    // A start refused for its parameters comes back with everything chosen and each refusal beside its field.
    const refused = takePickerRefusal(req, target.id);
    const prefill: PickerPrefill | null = refused
      ? refused
      : rerun
      ? { pipelineKey: rerun.pipelineKey, flags: rerun.flags, params: rerun.params }
      : start?.pipeline
        ? { pipelineKey: start.pipeline.name, flags: startPreset?.flags ?? {}, presetId: startPreset?.id ?? null }
        : null;
    const pipelines = pickerChoices(this.registry.list(), presets, prefill);
    // A rerun's (or an assignment's) inputs stay ticked even when they are not on this page: they are shown above it.
    const rerunInputs = refused ? refused.inputIds : rerun?.targetId === target.id ? rerun.inputIds : (start?.inputIds ?? []);
    const shownIds = new Set(page.rows.map((product) => product.id));
    const missing = rerunInputs.filter((inputId) => !shownIds.has(inputId));
    const pinned = missing.length ? (await this.products.tableForTarget(target, user, filter, { limit: missing.length, offset: 0 }, missing)).rows : [];
    const filterParams = filterQuery(filter);
    const uploadDefault = DataProductsService.defaultShare(user, target);
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
      className,
      timelapse: timelapse ? { ...timelapse, isVideo: /\.mp4$/i.test(timelapse.originalName) } : null,
      products: productRows(products, rerunInputs, new Set(pinned.map((product) => product.id))),
      filter,
      scopeOptions: scopeOptions(filter),
      typeOptions: PRODUCT_TYPES.map((type) => ({ value: type, selected: type === filter.productType })),
      rerunId: rerun ? rerun.id : null,
      assignment: assignment ? { id: assignment.id, title: assignment.title } : null,
      galleryUrl: pageUrl(`/targets/${target.id}/gallery`, { scope: filterParams.scope }, { limit: IMAGES_PER_PAGE, offset: 0 }, IMAGES_PER_PAGE),
      // The upload's default: the target's sharing for those who may change the target, else private.
      uploadDefaultLabel: `Default: ${uploadDefault.visibility === 'class' ? `class ${className ?? ''}` : uploadDefault.visibility === 'public' ? 'public' : 'private (you and your teachers)'}`,
      uploadShareOptions: shareOptions(classes, null),
      pager: pageView(
        `/targets/${target.id}`,
        { ...filterParams, rerun: rerun ? String(rerun.id) : undefined, assignment: assignment ? String(assignment.id) : undefined },
        { ...paging, total: page.total, shown: page.rows.length },
        PRODUCTS_PER_PAGE,
        { one: 'data product', many: 'data products' },
        '#data',
      ),
      // Back to this page of the table after making or extending a group.
      returnTo: pageUrl(`/targets/${target.id}`, filterParams, paging, PRODUCTS_PER_PAGE, '#data'),
      // "Select group" offers the groups of the products shown.
      productGroups: groupsOf(products),
      allGroups,
      productTypes: PRODUCT_TYPES,
      hasLightCurve,
      uploadDefaultName: `${target.name.replace(/\s+/g, '_')}_group`,
      [UNREAD_COUNT_LOCAL]: facts.unreadNotifications,
    };
  }

  /** Thumbnails of the target's images with checkboxes, a page at a time: tick frames for a group or a pipeline. */
  @Get(':id/gallery')
  @Render('targets/gallery')
  async gallery(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: Record<string, unknown>) {
    const paging = parsePageRequest(query, IMAGES_PER_PAGE, MAX_PRODUCTS_PER_PAGE);
    // The same rule and the same "whose" filter as the table; images only, so no type filter.
    const filter: ProductFilter = { ...productFilterOf(query), productType: null };
    const filterParams = filterQuery(filter);
    const target = await this.targets.findVisible(id, user);
    const [page, allGroups, runs, presets] = await Promise.all([
      this.products.imagePageForTarget(target, user, filter, paging),
      this.groups.choices(user),
      this.runs.listForTarget(target.id, user),
      this.presets.list(),
    ]);
    const productGroups = await this.groups.groupsOfProducts(page.items.map((product) => product.id), user);
    return {
      title: `${target.name}: gallery`,
      target,
      galleryProducts: page.items.map((product) => ({
        ...product,
        groupIds: productGroups.filter((g) => g.productIds.includes(product.id)).map((g) => g.id).join(' '),
      })),
      filter,
      scopeOptions: scopeOptions(filter),
      tableUrl: pageUrl(`/targets/${target.id}`, filterParams, { limit: PRODUCTS_PER_PAGE, offset: 0 }, PRODUCTS_PER_PAGE, '#data'),
      pager: pageView(`/targets/${target.id}/gallery`, filterParams, { ...paging, total: page.total, shown: page.items.length }, IMAGES_PER_PAGE, {
        one: 'image',
        many: 'images',
      }),
      returnTo: pageUrl(`/targets/${target.id}/gallery`, filterParams, paging, IMAGES_PER_PAGE),
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

/** `?scope=&type=` of the table and gallery; a value that cannot be read is a 400 naming the choices. */
function productFilterOf(query: Record<string, unknown>): ProductFilter {
  const parsed = parseProductFilter(query, 'mine');
  if ('error' in parsed) throw new BadRequestException(parsed.error);
  return parsed.filter;
}

/** The filter as the pager's and forms' query parameters (the default scope left out). */
function filterQuery(filter: ProductFilter): { scope?: string; type?: string } {
  return { scope: filter.scope === 'mine' ? undefined : filter.scope, type: filter.productType ?? undefined };
}

function scopeOptions(filter: ProductFilter) {
  return PRODUCT_SCOPES.map((scope) => ({ value: scope, label: SCOPE_LABELS[scope], selected: scope === filter.scope }));
}

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
