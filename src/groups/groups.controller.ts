import { Body, Controller, Get, Param, Post, Query, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { pageView, parsePageRequest } from '../common/paging';
import { DataProductsService } from '../data-products/data-products.service';
import { pickerChoices } from '../pipeline-runs/pipeline-picker';
import { PipelinePresetsService } from '../pipeline-runs/pipeline-presets.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRunsService } from '../pipeline-runs/pipeline-runs.service';
import { SessionUser } from '../users/user.entity';
import { GroupsService } from './groups.service';
import { ParseRowIdPipe, rowIdList } from '../common/request-parsing';

/** Where to go after a form: back to the page it came from when that is one of ours. */
function backTo(req: Request, fallback: string): string {
  const next = req.body?.next;
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : fallback;
}

const GROUPS_PER_PAGE = 50;
const MAX_GROUPS_PER_PAGE = 200;

@Controller('groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly registry: PipelineRegistryService,
    private readonly presets: PipelinePresetsService,
    private readonly runs: PipelineRunsService,
  ) {}

  /** The groups the viewer may see, a page at a time. */
  @Get()
  @Render('groups/index')
  async index(@CurrentUser() user: SessionUser, @Query() query: Record<string, unknown>) {
    const paging = parsePageRequest(query, GROUPS_PER_PAGE, MAX_GROUPS_PER_PAGE);
    const page = await this.groups.page(user, paging);
    return {
      title: 'Data product groups',
      groups: page.items.map((group) => ({ ...group, mine: group.createdBy === user.username })),
      pager: pageView('/groups', {}, { ...paging, total: page.total, shown: page.items.length }, GROUPS_PER_PAGE, { one: 'group', many: 'groups' }),
    };
  }

  @Get(':id')
  @Render('groups/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const group = await this.groups.findForViewer(id, user);
    const canManage = GroupsService.canManage(group, user);
    const images = group.products.filter((product) => DataProductsService.previewable([product]).length > 0);
    // A run belongs to one target, so the picker is offered when the group's frames are all of one target.
    const targets = [...new Map(group.products.map((product) => [product.target.id, product.target])).values()];
    const singleTarget = targets.length === 1 ? targets[0] : null;
    const [allGroups, presets, runs, sharing, sharedWith] = await Promise.all([
      this.groups.choices(user),
      this.presets.list(),
      singleTarget ? this.runs.listForTarget(singleTarget.id, user) : Promise.resolve([]),
      canManage ? this.groups.sharingChoices(user, group) : Promise.resolve([]),
      this.groups.sharingLabel(group),
    ]);
    return {
      title: group.name,
      group,
      canManage,
      sharing,
      sharedWith,
      galleryProducts: images.map((product) => ({ ...product, targetName: singleTarget ? null : product.target.name })),
      allGroups: allGroups.filter((other) => other.id !== group.id),
      uploadDefaultName: `${group.name}_selection`,
      target: singleTarget,
      runs,
      pipelines: singleTarget ? pickerChoices(this.registry.list(), presets) : [],
      mixedTargets: targets.length > 1,
    };
  }

  /** Create a group from the products ticked on a target page: private to its maker until shared. */
  @Post()
  async create(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const group = await this.groups.create(String(body.name ?? ''), rowIdList(body.productIds, 'data product'), user);
    setFlash(req, 'info', `Created group "${group.name}" with ${group.products.length} product(s). Only you and your teachers see it until you share it.`);
    res.redirect(303, backTo(req, `/groups/${group.id}`));
  }

  @Post('add')
  async addToExisting(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const [groupId] = rowIdList(body.groupId, 'group');
    const { group, added } = await this.groups.add(groupId ?? NaN, rowIdList(body.productIds, 'data product'), user);
    setFlash(req, 'info', `Added ${added} product(s) to "${group.name}".`);
    res.redirect(303, backTo(req, `/groups/${group.id}`));
  }

  @Post(':id/remove')
  async removeProduct(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Body('productId') productId: string,
    @Res() res: Response,
  ) {
    const [product] = rowIdList(productId, 'data product');
    await this.groups.removeProduct(id, product, user);
    res.redirect(303, `/groups/${id}`);
  }

  @Post(':id/rename')
  async rename(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body('name') name: unknown, @Req() req: Request, @Res() res: Response) {
    const group = await this.groups.update(id, user, { name });
    setFlash(req, 'info', `Renamed the group to "${group.name}".`);
    res.redirect(303, `/groups/${id}`);
  }

  /** The group page's "Sharing" form: `sharing` is private, class:<id> or public. */
  @Post(':id/sharing')
  async share(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body('visibility') visibility: unknown, @Req() req: Request, @Res() res: Response) {
    const group = await this.groups.update(id, user, { visibility });
    setFlash(req, 'info', `The group is shared with ${await this.groups.sharingLabel(group)}. Products in it are seen by those they are shared with.`);
    res.redirect(303, `/groups/${id}`);
  }

  @Post(':id/delete')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const group = await this.groups.deleteAs(id, user);
    setFlash(req, 'info', `Deleted the group "${group.name}"; its data products stay.`);
    res.redirect(303, '/groups');
  }
}
