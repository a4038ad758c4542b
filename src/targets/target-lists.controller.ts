import { BadRequestException, Body, Controller, Get, Param, Post, Render, Res } from '@nestjs/common';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { SessionUser } from '../users/user.entity';
import { TargetsService } from './targets.service';
import { ParseRowIdPipe, rowIdList } from '../common/request-parsing';

@Controller('target-lists')
export class TargetListsController {
  constructor(private readonly targets: TargetsService) {}

  @Get()
  @Render('target-lists/index')
  async index(@CurrentUser() user: SessionUser) {
    return { title: 'Target lists', lists: await this.targets.allLists(user) };
  }

  @Post()
  async create(@Body('name') name: string, @Res() res: Response) {
    const list = await this.targets.createList(name);
    res.redirect(303, `/targets?list=${list.id}`);
  }

  @Post(':id/add')
  async add(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Body('targetIds') targetIds: unknown,
    @Res() res: Response,
  ) {
    const ids = rowIdList(targetIds, 'target');
    if (!ids.length) throw new BadRequestException('Tick at least one target to add to the list');
    const list = await this.targets.findList(id);
    await this.targets.addToList(list, ids, user);
    res.redirect(303, `/targets?list=${list.id}`);
  }

  @Post(':id/remove')
  async removeTarget(@Param('id', ParseRowIdPipe) id: number, @Body('targetId') targetId: string, @Res() res: Response) {
    const list = await this.targets.findList(id);
    const [target] = rowIdList(targetId, 'target');
    await this.targets.removeFromList(list, target);
    res.redirect(303, `/targets?list=${list.id}`);
  }

  @Post(':id/delete')
  async remove(@Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    await this.targets.deleteList(await this.targets.findList(id));
    res.redirect(303, '/target-lists');
  }
}
