import { BadRequestException, Body, ConflictException, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import { targetToForm } from '../targets/dto/target-form';
import { TargetFields } from '../targets/dto/target-form';
import { Target } from '../targets/target.entity';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { targetView } from './api-presenters';
import { ErrorDto } from './dto/common.dto';
import { CreateTargetDto, TargetDto, targetFieldsOf, TargetSearchQueryDto, targetSearchOf, UpdateTargetDto } from './dto/target.dto';
import { ApiPageResponse, Page, paged } from './pagination';
import { ParseRowIdPipe } from '../common/request-parsing';

@ApiResource('targets')
@Controller('api/targets')
export class TargetsApiController {
  constructor(private readonly targets: TargetsService) {}

  @Get()
  @ApiOperation({ summary: 'Targets you may see', description: 'Search by name or alias (`q`), cone (`ra`, `dec`, `radius`; nearest first, with `distance`), or target list (`list`).' })
  @ApiPageResponse(TargetDto)
  @ApiMissing('target list')
  async list(@CurrentUser() user: SessionUser, @Query() query: TargetSearchQueryDto): Promise<Page<TargetDto>> {
    const search = targetSearchOf(query);
    if (query.list !== undefined) search.listId = (await this.targets.findList(query.list)).id;
    return paged(await this.targets.searchPage(user, search, query), query, ({ target, distance }) => targetView(target, distance));
  }

  @Get(':id')
  @ApiOkResponse({ type: TargetDto })
  @ApiMissing('target')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<TargetDto> {
    return targetView(await this.targets.findVisible(id, user));
  }

  @Post()
  @ApiOperation({
    summary: 'Create a target',
    description: 'Same rules as the form: sidereal targets need ra and dec (degrees or sexagesimal), names and aliases are unique; visibility "class" needs a `classroomId` of a class you are in (400 otherwise).',
  })
  @ApiCreatedResponse({ type: TargetDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'the name or an alias names another target' })
  async create(@CurrentUser() user: SessionUser, @Body() body: CreateTargetDto): Promise<TargetDto> {
    const fields = await this.checkedFields(user, targetFieldsOf(body));
    const target = await this.targets.create(fields, user);
    return targetView(await this.targets.findVisible(target.id, user));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change some of a target\'s fields, its sharing included', description: 'The owner, their teachers or an admin. `classroomId` alone shares with that class.' })
  @ApiOkResponse({ type: TargetDto })
  @ApiConflictResponse({ type: ErrorDto })
  @ApiMissing('target')
  async update(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: UpdateTargetDto): Promise<TargetDto> {
    const target = await this.targets.findEditable(id, user);
    const fields = await this.checkedFields(user, targetFieldsOf(body, targetToForm(target)), target);
    await this.targets.update(target, fields);
    return targetView(await this.targets.findVisible(target.id, user));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a target with its data products, reduced data and runs', description: 'The owner, their teachers or an admin.' })
  @ApiNoContentResponse()
  @ApiMissing('target')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<void> {
    await this.targets.remove(await this.targets.findEditable(id, user));
  }

  /** The fields if their sharing is allowed (400 otherwise: a class the user is not in) and their names are free (409). */
  private async checkedFields(user: SessionUser, fields: TargetFields, target?: Target): Promise<TargetFields> {
    const problem = await this.targets.sharingProblem(user, fields, target);
    if (problem) throw new BadRequestException({ message: problem, errors: { classroomId: [problem] } });
    const clashes = await this.targets.nameClashes(fields, target?.id);
    if (Object.keys(clashes).length) {
      const errors = Object.fromEntries(Object.entries(clashes).map(([field, message]) => [field, [message]]));
      throw new ConflictException({ message: Object.values(clashes)[0], errors });
    }
    return fields;
  }
}
