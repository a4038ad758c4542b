import { Controller, Get, Param, ParseIntPipe, Render } from '@nestjs/common';
import { CurrentUser } from '../auth/auth.decorators';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { GroupsService } from '../groups/groups.service';
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
  ) {}

  @Get(':id')
  @Render('targets/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number) {
    const target = await this.targets.findVisible(id, user);
    const [products, lists, lightCurve, allGroups] = await Promise.all([
      this.products.listForTarget(target.id),
      this.targets.listsContaining(target.id),
      this.reducedData.lightCurve(target.id),
      this.groups.list(user),
    ]);
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
      products: products.map((product) => ({
        ...product,
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
