import { Body, Controller, Delete, Get, HttpCode, Logger, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { GroupsService } from '../groups/groups.service';
import { SessionUser } from '../users/user.entity';
import { ExportsService } from '../exports/exports.service';
import { sendZip } from '../exports/zip-stream';
import { ApiMissing, ApiResource, ApiZipDownload } from './api-docs.decorators';
import { groupSummaryView, groupView } from './api-presenters';
import { ErrorDto, ProductIdsDto } from './dto/common.dto';
import { AddedDto, CreateGroupDto, GroupDetailDto, GroupDto, UpdateGroupDto } from './dto/group.dto';
import { asksToShare, shareRequest } from './dto/sharing.dto';
import { ApiPageResponse, Page, paged, PaginationQueryDto } from './pagination';
import { ParseRowIdPipe } from '../common/request-parsing';

@ApiResource('groups')
@Controller('api/groups')
export class GroupsApiController {
  private readonly logger = new Logger('GroupsApi');

  constructor(
    private readonly groups: GroupsService,
    private readonly exports: ExportsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Groups you may see, newest first',
    description: 'Yours, your students\' (teachers), those shared with your classes and the public ones. `productCount` counts the products in each that you may see.',
  })
  @ApiPageResponse(GroupDto)
  async list(@CurrentUser() user: SessionUser, @Query() query: PaginationQueryDto): Promise<Page<GroupDto>> {
    return paged(await this.groups.page(user, query), query, groupSummaryView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A group you may see, with the products in it that you may see' })
  @ApiOkResponse({ type: GroupDetailDto })
  @ApiMissing('group')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<GroupDetailDto> {
    return groupView(await this.groups.findForViewer(id, user));
  }

  @Get(':id/download')
  @ApiOperation({
    summary: 'The products in a group that you may see, as one zip, under their uploaded names',
    description:
      'Streamed as it is made (no Content-Length). Repeated names are numbered before the suffix ("a.fits", "a (2).fits"); ' +
      'a product in the group that is not shared with you is left out; a group with none you may see gives an empty zip. 403/404 as `GET /api/groups/{id}`.',
  })
  @ApiZipDownload('the zip, named after the group')
  @ApiMissing('group')
  async download(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response): Promise<void> {
    const archive = await this.exports.groupArchive(id, user);
    await sendZip(res, archive.downloadName, archive.sources, this.logger);
  }

  @Post()
  @ApiOperation({ summary: 'Make a group from data products you may see', description: 'Private to you and your teachers unless `visibility` says otherwise.' })
  @ApiCreatedResponse({ type: GroupDetailDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'a group of that name exists' })
  @ApiMissing('data product')
  async create(@CurrentUser() user: SessionUser, @Body() body: CreateGroupDto): Promise<GroupDetailDto> {
    const sharing = asksToShare(body) ? shareRequest(body) : undefined;
    const group = await this.groups.create(body.name, body.productIds, user, sharing);
    return groupView(await this.groups.findForViewer(group.id, user));
  }

  @Post(':id/products')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add data products you may see to a group you may change', description: 'Its maker, their teachers or an admin.' })
  @ApiOkResponse({ type: AddedDto })
  @ApiMissing('group or data product')
  async add(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: ProductIdsDto): Promise<AddedDto> {
    const { added } = await this.groups.add(id, body.productIds, user);
    return { added, group: groupView(await this.groups.findForViewer(id, user)) };
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Rename or share a group: private, with a class, or public',
    description: 'Its maker, their teachers or an admin. A class must be one you are in (400 otherwise). The products in it keep their own sharing.',
  })
  @ApiOkResponse({ type: GroupDetailDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'a group of that name exists' })
  @ApiMissing('group')
  async update(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: UpdateGroupDto): Promise<GroupDetailDto> {
    const sharing = asksToShare(body) ? shareRequest(body) : {};
    await this.groups.update(id, user, { name: body.name, ...sharing });
    return groupView(await this.groups.findForViewer(id, user));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a group (its products stay)', description: 'Its maker, their teachers or an admin.' })
  @ApiNoContentResponse()
  @ApiMissing('group')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<void> {
    await this.groups.deleteAs(id, user);
  }
}
