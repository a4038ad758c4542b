import { Controller, Get, Param, ParseIntPipe, Query, Render } from '@nestjs/common';
import { CurrentUser } from '../auth/auth.decorators';
import { DataProduct, PRODUCT_TYPES } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { GroupsService } from '../groups/groups.service';
import { pickerChoices } from '../pipelines/pipeline-picker';
import { PipelinePresetsService } from '../pipelines/pipeline-presets.service';
import { PipelineRegistryService } from '../pipelines/pipeline-registry.service';
import { PipelineRunsService } from '../pipelines/pipeline-runs.service';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { SessionUser } from '../users/user.entity';
import { formatKeyValueLines, sexagesimal } from './dto/target-form';
import { canEditTarget } from './target-access';
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
  ) {}

  @Get(':id')
  @Render('targets/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Query('rerun') rerunId?: string) {
    const target = await this.targets.findVisible(id, user);
    const [products, lists, lightCurve, allGroups, runs, presets] = await Promise.all([
      this.products.listForTarget(target.id),
      this.targets.listsContaining(target.id),
      this.reducedData.lightCurve(target.id),
      this.groups.list(user),
      this.runs.listForTarget(target.id),
      this.presets.list(),
    ]);
    // "Run again": the picker opens with the earlier run's pipeline, inputs and flags ticked.
    const rerun = rerunId ? await this.runs.findVisible(Number(rerunId), user) : null;
    const pipelines = pickerChoices(this.registry.list(), presets, rerun);
    const productGroups = await this.groups.groupsOfProducts(products.map((product) => product.id));
    const groupsByProduct = new Map<number, string[]>();
    for (const group of productGroups) {
      for (const productId of group.productIds) groupsByProduct.set(productId, [...(groupsByProduct.get(productId) ?? []), group.name]);
    }
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
      timelapse: latestTimelapse(products),
      products: products.map((product) => ({
        ...product,
        previewable: DataProductsService.previewable([product]).length > 0,
        checked: rerun?.targetId === target.id && rerun.inputIds.includes(product.id),
        groupIds: productGroups.filter((g) => g.productIds.includes(product.id)).map((g) => g.id).join(' '),
        groupNames: groupsByProduct.get(product.id) ?? [],
      })),
      productGroups,
      allGroups,
      productTypes: PRODUCT_TYPES,
      lightCurve,
      hasLightCurve: Object.keys(lightCurve).length > 0,
      uploadDefaultName: `${target.name.replace(/\s+/g, '_')}_group`,
    };
  }

  /** Thumbnails of the target's images with checkboxes: tick frames for a group or a pipeline. */
  @Get(':id/gallery')
  @Render('targets/gallery')
  async gallery(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number) {
    const target = await this.targets.findVisible(id, user);
    const [products, allGroups, runs, presets] = await Promise.all([
      this.products.listForTarget(target.id),
      this.groups.list(user),
      this.runs.listForTarget(target.id),
      this.presets.list(),
    ]);
    const images = products.filter((product) => DataProductsService.previewable([product]).length > 0)
      .sort((a, b) => a.originalName.localeCompare(b.originalName, undefined, { numeric: true }));
    const productGroups = await this.groups.groupsOfProducts(images.map((product) => product.id));
    return {
      title: `${target.name}: gallery`,
      target,
      galleryProducts: images.map((product) => ({
        ...product,
        groupIds: productGroups.filter((g) => g.productIds.includes(product.id)).map((g) => g.id).join(' '),
      })),
      productGroups,
      allGroups,
      runs,
      pipelines: pickerChoices(this.registry.list(), presets),
      uploadDefaultName: `${target.name.replace(/\s+/g, '_')}_group`,
    };
  }
}

/** The newest timelapse on the target, shown above its products (GIF/WebP as an image, MP4 as a video). */
function latestTimelapse(products: DataProduct[]) {
  const latest = products.find((product) => product.productType === 'timelapse');
  return latest ? { ...latest, isVideo: /\.mp4$/i.test(latest.originalName) } : null;
}
