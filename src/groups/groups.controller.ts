import { Body, Controller, ForbiddenException, Get, Param, ParseIntPipe, Post, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { DataProductsService } from '../data-products/data-products.service';
import { pickerChoices } from '../pipelines/pipeline-picker';
import { PipelinePresetsService } from '../pipelines/pipeline-presets.service';
import { PipelineRegistryService } from '../pipelines/pipeline-registry.service';
import { PipelineRunsService } from '../pipelines/pipeline-runs.service';
import { idList } from '../targets/target-lists.controller';
import { SessionUser } from '../users/user.entity';
import { GroupsService } from './groups.service';

/** Where to go after a form: back to the page it came from when that is one of ours. */
function backTo(req: Request, fallback: string): string {
  const next = req.body?.next;
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : fallback;
}

@Controller('groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly registry: PipelineRegistryService,
    private readonly presets: PipelinePresetsService,
    private readonly runs: PipelineRunsService,
  ) {}

  @Get()
  @Render('groups/index')
  async index(@CurrentUser() user: SessionUser) {
    return { title: 'Data product groups', groups: await this.groups.list(user) };
  }

  @Get(':id')
  @Render('groups/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number) {
    const group = await this.groups.findForViewer(id, user);
    const images = group.products.filter((product) => DataProductsService.previewable([product]).length > 0);
    // A run belongs to one target, so the picker is offered when the group's frames are all of one target.
    const targets = [...new Map(group.products.map((product) => [product.target.id, product.target])).values()];
    const singleTarget = targets.length === 1 ? targets[0] : null;
    const [allGroups, presets, runs] = await Promise.all([
      this.groups.list(user),
      this.presets.list(),
      singleTarget ? this.runs.listForTarget(singleTarget.id) : Promise.resolve([]),
    ]);
    return {
      title: group.name,
      group,
      canManage: user.role === 'teacher' || group.createdById === user.id,
      galleryProducts: images.map((product) => ({ ...product, targetName: singleTarget ? null : product.target.name })),
      allGroups: allGroups.filter((other) => other.id !== group.id),
      uploadDefaultName: `${group.name}_selection`,
      target: singleTarget,
      runs,
      pipelines: singleTarget ? pickerChoices(this.registry.list(), presets) : [],
      mixedTargets: targets.length > 1,
    };
  }

  /** Create a group from the products ticked on a target page. */
  @Post()
  async create(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const group = await this.groups.create(String(body.name ?? ''), idList(body.productIds, 'data product'), user);
    setFlash(req, 'info', `Created group "${group.name}" with ${group.products.length} product(s).`);
    res.redirect(303, backTo(req, `/groups/${group.id}`));
  }

  @Post('add')
  async addToExisting(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const [groupId] = idList(body.groupId, 'group');
    const { group, added } = await this.groups.add(groupId ?? NaN, idList(body.productIds, 'data product'), user);
    setFlash(req, 'info', `Added ${added} product(s) to "${group.name}".`);
    res.redirect(303, backTo(req, `/groups/${group.id}`));
  }

  @Post(':id/remove')
  async removeProduct(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseIntPipe) id: number,
    @Body('productId') productId: string,
    @Res() res: Response,
  ) {
    await this.assertCanManage(id, user);
    const [product] = idList(productId, 'data product');
    await this.groups.removeProduct(id, product);
    res.redirect(303, `/groups/${id}`);
  }

  @Post(':id/delete')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Res() res: Response) {
    await this.assertCanManage(id, user);
    await this.groups.delete(id);
    res.redirect(303, '/groups');
  }

  private async assertCanManage(id: number, user: SessionUser) {
    const group = await this.groups.find(id);
    if (user.role !== 'teacher' && group.createdById !== user.id) {
      throw new ForbiddenException('Only the group creator or a teacher may change this group');
    }
  }
}
