import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import { GroupsService } from '../groups/groups.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { groupSummaryView, groupView } from './api-presenters';
import { ErrorDto, ProductIdsDto } from './dto/common.dto';
import { AddedDto, CreateGroupDto, GroupDetailDto, GroupDto } from './dto/group.dto';
import { ApiPageResponse, Page, paged, PaginationQueryDto } from './pagination';

@ApiResource('groups')
@Controller('api/groups')
export class GroupsApiController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @ApiOperation({ summary: 'Groups holding products you may see (and the groups you made), newest first' })
  @ApiPageResponse(GroupDto)
  async list(@CurrentUser() user: SessionUser, @Query() query: PaginationQueryDto): Promise<Page<GroupDto>> {
    return paged(await this.groups.page(user, query), query, groupSummaryView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A group with the products in it that you may see' })
  @ApiOkResponse({ type: GroupDetailDto })
  @ApiMissing('group')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number): Promise<GroupDetailDto> {
    return groupView(await this.groups.findForViewer(id, user));
  }

  @Post()
  @ApiOperation({ summary: 'Make a group from data products you may see' })
  @ApiCreatedResponse({ type: GroupDetailDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'a group of that name exists' })
  @ApiMissing('data product')
  async create(@CurrentUser() user: SessionUser, @Body() body: CreateGroupDto): Promise<GroupDetailDto> {
    const group = await this.groups.create(body.name, body.productIds, user);
    return groupView(await this.groups.findForViewer(group.id, user));
  }

  @Post(':id/products')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add data products you may see to a group' })
  @ApiOkResponse({ type: AddedDto })
  @ApiMissing('group or data product')
  async add(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Body() body: ProductIdsDto): Promise<AddedDto> {
    const { added } = await this.groups.add(id, body.productIds, user);
    return { added, group: groupView(await this.groups.findForViewer(id, user)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a group (its products stay)', description: 'The group\'s creator or a teacher.' })
  @ApiNoContentResponse()
  @ApiMissing('group')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number): Promise<void> {
    await this.groups.deleteAs(id, user);
  }
}
