import { BadRequestException, Body, Controller, Get, Param, ParseIntPipe, Post, Render, Res } from '@nestjs/common';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { SessionUser } from '../users/user.entity';
import { TargetsService } from './targets.service';

/** Posted ids arrive as a string or an array of strings; anything else is a bad request. */
export function idList(value: unknown, what = 'item'): number[] {
  const raw = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const ids = raw.map((item) => Number(item));
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) throw new BadRequestException(`Invalid ${what} id`);
  return [...new Set(ids)];
}

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
    const trimmed = String(name ?? '').trim();
    if (!trimmed || trimmed.length > 100) throw new BadRequestException('A list name of 1 to 100 characters is required');
    const list = await this.targets.createList(trimmed);
    res.redirect(303, `/targets?list=${list.id}`);
  }

  @Post(':id/add')
  async add(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseIntPipe) id: number,
    @Body('targetIds') targetIds: unknown,
    @Res() res: Response,
  ) {
    const ids = idList(targetIds, 'target');
    if (!ids.length) throw new BadRequestException('Tick at least one target to add to the list');
    const list = await this.targets.findList(id);
    await this.targets.addToList(list, ids, user);
    res.redirect(303, `/targets?list=${list.id}`);
  }

  @Post(':id/remove')
  async removeTarget(@Param('id', ParseIntPipe) id: number, @Body('targetId') targetId: string, @Res() res: Response) {
    const list = await this.targets.findList(id);
    const [target] = idList(targetId, 'target');
    await this.targets.removeFromList(list, target);
    res.redirect(303, `/targets?list=${list.id}`);
  }

  @Post(':id/delete')
  async remove(@Param('id', ParseIntPipe) id: number, @Res() res: Response) {
    await this.targets.deleteList(await this.targets.findList(id));
    res.redirect(303, '/target-lists');
  }
}
