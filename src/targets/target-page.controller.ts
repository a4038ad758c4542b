import { Controller, Get, Param, ParseIntPipe, Query, Render } from '@nestjs/common';
import { CurrentUser } from '../auth/auth.decorators';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { GroupsService } from '../groups/groups.service';
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
    const pipelines = this.registry.list().map((pipeline) => ({
      name: pipeline.name,
      shortName: pipeline.shortName,
      description: pipeline.description,
      allowedSuffixes: pipeline.allowedSuffixes,
      selected: rerun?.pipelineKey === pipeline.key,
      presets: presets.filter((preset) => preset.pipelineKey === pipeline.key),
      flagList: Object.entries(pipeline.flags).map(([name, spec]) => ({
        name,
        longName: spec.longName,
        checked: rerun?.pipelineKey === pipeline.key ? Boolean(rerun.flags[name]) : spec.default,
      })),
    }));
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
      products: products.map((product) => ({
        ...product,
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
}
