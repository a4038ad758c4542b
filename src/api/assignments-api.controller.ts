import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Assignment } from '../assignments/assignment.entity';
import { AssignmentsService, AssignmentSummary, ProgressRow } from '../assignments/assignments.service';
import { HandIn } from '../assignments/hand-in.entity';
import { CurrentUser } from '../auth/auth.decorators';
import { ParseRowIdPipe } from '../common/request-parsing';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { AssignmentDto, CreateAssignmentDto, HandInDto, HandInRequestDto, ProgressRowDto, UpdateAssignmentDto } from './dto/assignment.dto';

const assignmentView = (assignment: Assignment, viewer: SessionUser, status: string | null = null): AssignmentDto => ({
  id: assignment.id,
  classId: assignment.classroomId,
  className: assignment.classroom.name,
  title: assignment.title,
  instructions: assignment.instructions,
  targetId: assignment.targetId,
  targetName: assignment.target.name,
  groupId: assignment.groupId,
  pipelines: assignment.pipelines,
  dueAt: assignment.dueAt.toISOString(),
  shareAfterDue: assignment.shareAfterDue,
  closedAt: assignment.closedAt ? assignment.closedAt.toISOString() : null,
  canTeach: AssignmentsService.canTeach(viewer, assignment),
  status,
});

const handInView = (handIn: Pick<HandIn, 'runId' | 'answer' | 'value' | 'handedInAt' | 'late' | 'feedback' | 'grade'>): HandInDto => ({
  runId: handIn.runId,
  answer: handIn.answer,
  value: handIn.value,
  handedInAt: new Date(handIn.handedInAt).toISOString(),
  late: handIn.late,
  feedback: handIn.feedback,
  grade: handIn.grade,
});

const progressView = (row: ProgressRow): ProgressRowDto => ({
  studentId: row.studentId,
  username: row.username,
  name: row.name,
  status: row.status,
  overdue: row.overdue,
  latestRunId: row.latestRun?.id ?? null,
  latestRunIdentifier: row.latestRun?.identifier ?? null,
  latestRunState: row.latestRun?.state ?? null,
  failureMessage: row.latestRun?.failureMessage ?? null,
  thumbnailProductId: row.thumbnailProductId,
  points: row.points,
  handInRunId: row.handIn?.runId ?? null,
  handedInAt: row.handIn ? new Date(row.handIn.handedInAt).toISOString() : null,
  late: row.handIn?.late ?? false,
  answer: row.handIn?.answer ?? null,
  value: row.handIn?.value ?? null,
  feedback: row.handIn?.feedback ?? null,
  grade: row.handIn?.grade ?? null,
});

/** Assignments over the API: the same service and rules as the /assignments pages. */
@ApiResource('assignments')
@Controller('api/assignments')
export class AssignmentsApiController {
  constructor(private readonly assignments: AssignmentsService) {}

  @Get()
  @ApiOperation({ summary: 'Your assignments', description: "A student's own (with their status), a teacher's classes'; by due date." })
  @ApiOkResponse({ type: [AssignmentDto] })
  async list(@CurrentUser() user: SessionUser): Promise<AssignmentDto[]> {
    return (await this.assignments.listFor(user)).map((item: AssignmentSummary) => assignmentView(item.assignment, user, item.status));
  }

  @Post()
  @ApiOperation({ summary: 'Post an assignment to a class you teach' })
  @ApiCreatedResponse({ type: AssignmentDto })
  @ApiMissing('target or group')
  async create(@CurrentUser() user: SessionUser, @Body() body: CreateAssignmentDto): Promise<AssignmentDto> {
    return assignmentView(await this.assignments.create(user, body), user);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One assignment (its class\'s members)' })
  @ApiOkResponse({ type: AssignmentDto })
  @ApiMissing('assignment')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<AssignmentDto> {
    return assignmentView(await this.assignments.findVisible(id, user), user);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change, close or reopen an assignment (its teachers)' })
  @ApiOkResponse({ type: AssignmentDto })
  @ApiMissing('assignment')
  async update(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: UpdateAssignmentDto): Promise<AssignmentDto> {
    const { closed, ...changes } = body;
    let assignment = Object.keys(changes).length ? await this.assignments.update(id, user, changes) : await this.assignments.findTaught(id, user);
    if (closed !== undefined) assignment = await this.assignments.setClosed(id, user, closed);
    return assignmentView(assignment, user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an assignment and its hand-ins (its teachers); the runs stay' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiMissing('assignment')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<void> {
    await this.assignments.remove(id, user);
  }

  @Post(':id/hand-in')
  @ApiOperation({ summary: 'Hand in one of your succeeded runs, with an answer', description: 'Replaces an earlier hand-in; after the due date it is marked late.' })
  @ApiCreatedResponse({ type: HandInDto })
  @ApiMissing('assignment')
  async handIn(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: HandInRequestDto): Promise<HandInDto> {
    return handInView(await this.assignments.handIn(id, user, body));
  }

  @Get(':id/progress')
  @ApiOperation({ summary: "The class's progress (its teachers): one row per student" })
  @ApiOkResponse({ type: [ProgressRowDto] })
  @ApiMissing('assignment')
  async progress(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<ProgressRowDto[]> {
    const assignment = await this.assignments.findTaught(id, user);
    return (await this.assignments.progress(assignment)).map(progressView);
  }
}
