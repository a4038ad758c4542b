import { BadRequestException, Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse } from '@nestjs/swagger';
import { Request } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ThrottleJoinCodeGuesses } from '../auth/join-code-throttle';
import { ClassroomDetail, ClassroomPerson, ClassroomsService, ClassroomSummary } from '../classrooms/classrooms.service';
import { RosterUploadInterceptor, rosterTextOf } from '../classrooms/roster-upload.interceptor';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import {
  ClassDetailDto,
  ClassDto,
  ClassMemberDto,
  CreateClassDto,
  ImportRosterDto,
  JoinClassDto,
  JoinResultDto,
  RosterImportResultDto,
  RosterPreviewDto,
} from './dto/classroom.dto';
import { ErrorDto } from './dto/common.dto';
import { ApiPageResponse, Page, paged, PaginationQueryDto } from './pagination';
import { ParseRowIdPipe } from '../common/request-parsing';

const classView = (c: ClassroomSummary): ClassDto => ({
  id: c.id,
  name: c.name,
  createdAt: new Date(c.createdAt).toISOString(),
  myRole: c.myRole,
  canManage: c.canManage,
  joinCode: c.joinCode,
  joinCodeEnabled: c.joinCodeEnabled,
  teacherNames: c.teacherNames,
  studentCount: c.studentCount,
});

const memberView = (p: ClassroomPerson): ClassMemberDto => ({
  id: p.userId,
  username: p.username,
  displayName: p.displayName,
  role: p.role,
  joinedAt: new Date(p.joinedAt).toISOString(),
  active: p.active,
  mustChangePassword: p.mustChangePassword,
});

const detailView = (c: ClassroomDetail): ClassDetailDto => ({
  ...classView(c),
  teachers: c.teachers.map(memberView),
  students: c.students ? c.students.map(memberView) : null,
});

const ROSTER_BODY = {
  schema: {
    oneOf: [
      { type: 'object', properties: { csv: { type: 'string' } }, required: ['csv'] },
      { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] },
    ],
  },
  description: 'JSON `{ "csv": "..." }` (up to 100 kB), or multipart/form-data with the CSV file in the field `file` (up to 2 MiB)',
};

/** Classes over the API: the same service and rules as the /classes pages. */
@ApiResource('classes')
@Controller('api/classes')
export class ClassroomsApiController {
  constructor(
    private readonly classrooms: ClassroomsService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your classes', description: 'The classes you teach or are a student in; every class for admins. Join codes only for those who manage the class.' })
  @ApiPageResponse(ClassDto)
  async list(@CurrentUser() user: SessionUser, @Query() query: PaginationQueryDto): Promise<Page<ClassDto>> {
    return paged(await this.classrooms.listFor(user, query), query, classView);
  }

  @Post()
  @Roles('teacher', 'admin')
  @ApiOperation({ summary: 'Create a class', description: 'Teachers and admins. You become its teacher; it gets a join code, turned on.' })
  @ApiCreatedResponse({ type: ClassDetailDto })
  async create(@CurrentUser() user: SessionUser, @Body() body: CreateClassDto): Promise<ClassDetailDto> {
    const classroom = await this.classrooms.create({ teacherId: user.id, name: body.name });
    return detailView(await this.classrooms.detail(classroom.id, await this.reloaded(user)));
  }

  /** Separate from the other routes so that join-code guesses can be throttled on their own. */
  @Post('join')
  @ThrottleJoinCodeGuesses()
  @HttpCode(200)
  @ApiOperation({ summary: 'Join a class with its code', description: 'Student accounts. A wrong or turned-off code is 400 and changes nothing; joining a class you are in already says so (`alreadyMember`).' })
  @ApiOkResponse({ type: JoinResultDto })
  async joinByCode(@CurrentUser() user: SessionUser, @Body() body: JoinClassDto): Promise<JoinResultDto> {
    const { classroom, alreadyMember } = await this.classrooms.joinByCode(user, body.code);
    return { class: classView(await this.classrooms.detail(classroom.id, await this.reloaded(user))), alreadyMember };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A class', description: 'For its members and admins; `students` (the roster) only for its teachers and admins.' })
  @ApiOkResponse({ type: ClassDetailDto })
  @ApiMissing('class')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<ClassDetailDto> {
    return detailView(await this.classrooms.detail(id, user));
  }

  @Post(':id/import/preview')
  @HttpCode(200)
  @UseInterceptors(RosterUploadInterceptor)
  @ApiOperation({ summary: 'What importing a roster would do, line by line', description: 'Writes nothing. The class\'s teachers and admins.' })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody(ROSTER_BODY)
  @ApiOkResponse({ type: RosterPreviewDto })
  @ApiMissing('class')
  async preview(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() _body: ImportRosterDto, @Req() req: Request): Promise<RosterPreviewDto> {
    const { lines, errors, counts, ignoredColumns } = await this.classrooms.previewRoster(id, this.rosterText(req), user);
    return { lines, errors, counts, ignoredColumns };
  }

  @Post(':id/import')
  @UseInterceptors(RosterUploadInterceptor)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Import a roster: make student accounts and enrol existing students',
    description:
      'The class\'s teachers and admins. All or nothing: any bad line is 400 with `details: [{ line, reason }]` and nothing is made. New accounts get generated passwords, returned only in this answer and to be changed at the first login.',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody(ROSTER_BODY)
  @ApiCreatedResponse({ type: RosterImportResultDto })
  @ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'a roster over 2 MiB (a JSON body over 100 kB)' })
  @ApiMissing('class')
  async importRoster(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() _body: ImportRosterDto, @Req() req: Request): Promise<RosterImportResultDto> {
    return this.classrooms.importRoster(id, this.rosterText(req), user);
  }

  private rosterText(req: Request): string {
    const text = rosterTextOf(req);
    if (!text.trim()) throw new BadRequestException('Send the roster as JSON { "csv": "..." } or as a CSV file in the multipart field "file"');
    return text;
  }

  /** The caller with the class they just made or joined: the request's user was loaded before. */
  private async reloaded(user: SessionUser): Promise<SessionUser> {
    return (await this.users.findSessionUser(user.id)) ?? user;
  }
}
