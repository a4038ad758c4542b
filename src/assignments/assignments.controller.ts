import { BadRequestException, Body, Controller, Get, Param, Post, Query, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { toCsv } from '../common/csv-writer';
import { setFlash } from '../common/flash';
import { isUuid, optionalRowIdParam, ParseRowIdPipe, rowIdList } from '../common/request-parsing';
import { flagsFromForm, paramsFromForm } from '../pipeline-runs/pipeline-form';
import { startOrReturnToPicker } from '../pipeline-runs/picker-refusal';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRunsService } from '../pipeline-runs/pipeline-runs.service';
import { SessionUser } from '../users/user.entity';
import { renderInstructions } from './assignment-markdown';
import { statusClass } from './assignment-status';
import { Assignment } from './assignment.entity';
import { AssignmentInput, AssignmentsService, ProgressRow } from './assignments.service';

/** `<input type="datetime-local">` value of a date, in UTC (the form's script shows and sends local time). */
const localInputValue = (date: Date) => date.toISOString().slice(0, 16);

/**
 * The form sends the due date as the browser's local time plus its offset (public/js/assignment-form.js); without
 * the script the time is read as UTC, and the form says so.
 */
function dueAtOf(body: Record<string, unknown>): unknown {
  const due = body.dueAt;
  const offset = typeof body.timezoneOffset === 'string' && /^-?\d{1,3}$/.test(body.timezoneOffset) ? Number(body.timezoneOffset) : null;
  if (typeof due !== 'string' || offset === null || Math.abs(offset) > 840 || /(Z|[+-]\d{2}:?\d{2})$/.test(due)) return due;
  const sign = offset <= 0 ? '+' : '-';
  const minutes = Math.abs(offset);
  return `${due}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function inputOf(body: Record<string, unknown>): AssignmentInput {
  return {
    classId: body.classId,
    title: body.title,
    instructions: body.instructions,
    targetId: body.targetId,
    groupId: body.groupId,
    pipelines: body.pipelines,
    presetIds: body.presetIds,
    dueAt: dueAtOf(body),
    shareAfterDue: body.shareAfterDue ?? false,
  };
}

/** A progress row as the table and its CSV show it. */
export function progressView(row: ProgressRow) {
  return { ...row, statusClass: statusClass(row.status) };
}

/**
 * The assignment pages: a user's list, posting and editing (teachers), an assignment with "Start" and "Hand in"
 * (students), the progress table with feedback, its CSV and the compare plot (teachers).
 */
@Controller('assignments')
export class AssignmentsController {
  constructor(
    private readonly assignments: AssignmentsService,
    private readonly registry: PipelineRegistryService,
    private readonly runs: PipelineRunsService,
  ) {}

  @Get()
  @Render('assignments/index')
  async index(@CurrentUser() user: SessionUser) {
    const items = await this.assignments.listFor(user);
    return {
      title: 'Assignments',
      items: items.map((item) => ({ ...item, statusClass: item.status ? statusClass(item.status) : '' })),
      canSetAssignments: user.role === 'admin' || user.teaches.length > 0,
    };
  }

  @Get('new')
  @Roles('teacher', 'admin')
  async newForm(@CurrentUser() user: SessionUser, @Query() query: Record<string, unknown>, @Res() res: Response) {
    const classId = optionalRowIdParam(query.classId, 'classId') ?? null;
    const inAWeek = new Date(Date.now() + 7 * 86_400_000);
    inAWeek.setUTCHours(18, 0, 0, 0);
    await this.renderForm(res, user, { classId, dueAt: localInputValue(inAWeek), pipelines: [], presetIds: [] }, null, 200);
  }

  @Post()
  @Roles('teacher', 'admin')
  async create(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    try {
      const assignment = await this.assignments.create(user, inputOf(body));
      setFlash(req, 'info', `Posted "${assignment.title}" to ${assignment.classroom.name}.`);
      res.redirect(303, `/assignments/${assignment.id}`);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      await this.renderForm(res, user, formValues(body), error.message, 400);
    }
  }

  @Get(':id')
  @Render('assignments/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const assignment = await this.assignments.findVisible(id, user);
    const canTeach = AssignmentsService.canTeach(user, assignment);
    const isStudent = AssignmentsService.isStudentOf(user, assignment);
    const now = new Date();
    const [handIn, runChoices, classHandIns] = await Promise.all([
      isStudent ? this.assignments.handInOf(assignment.id, user.id) : Promise.resolve(null),
      isStudent ? this.assignments.handInChoices(assignment, user) : Promise.resolve([]),
      !canTeach && AssignmentsService.handInsOpenToClass(user, assignment, now) ? this.assignments.progress(assignment, now) : Promise.resolve(null),
    ]);
    return {
      title: assignment.title,
      assignment,
      instructionsHtml: renderInstructions(assignment.instructions),
      canTeach,
      isStudent,
      closed: Boolean(assignment.closedAt),
      pastDue: now > assignment.dueAt,
      handIn,
      runChoices: runChoices.map((run) => ({ ...run, selected: handIn?.runId === run.id })),
      classHandIns: classHandIns?.filter((row) => row.handIn),
    };
  }

  @Get(':id/edit')
  @Roles('teacher', 'admin')
  async editForm(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const assignment = await this.assignments.findTaught(id, user);
    await this.renderForm(res, user, valuesOf(assignment), null, 200, assignment);
  }

  @Post(':id')
  @Roles('teacher', 'admin')
  async update(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const assignment = await this.assignments.findTaught(id, user);
    try {
      await this.assignments.update(id, user, { ...inputOf(body), classId: undefined, shareAfterDue: body.shareAfterDue ?? false, presetIds: body.presetIds ?? [] });
      setFlash(req, 'info', 'Saved the assignment.');
      res.redirect(303, `/assignments/${id}`);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      await this.renderForm(res, user, { ...formValues(body), classId: assignment.classroomId }, error.message, 400, assignment);
    }
  }

  @Post(':id/close')
  @Roles('teacher', 'admin')
  async close(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const assignment = await this.assignments.setClosed(id, user, true);
    setFlash(req, 'info', `Closed "${assignment.title}": no more runs or hand-ins for it.`);
    res.redirect(303, `/assignments/${id}`);
  }

  @Post(':id/reopen')
  @Roles('teacher', 'admin')
  async reopen(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const assignment = await this.assignments.setClosed(id, user, false);
    setFlash(req, 'info', `Reopened "${assignment.title}".`);
    res.redirect(303, `/assignments/${id}`);
  }

  @Post(':id/delete')
  @Roles('teacher', 'admin')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const assignment = await this.assignments.remove(id, user);
    setFlash(req, 'info', `Deleted "${assignment.title}"; the runs made for it stay.`);
    res.redirect(303, '/assignments');
  }

  /** The target page's picker, opened from "Start": the run is checked against the assignment and linked to it. */
  @Post(':id/runs')
  async startRun(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const pipeline = this.registry.get(String(body.pipeline ?? ''));
    const assignment = await this.assignments.checkStart(user, id, { pipelineName: pipeline.name });
    const choice = {
      pipelineName: pipeline.name,
      targetId: assignment.targetId,
      inputIds: rowIdList(body.productIds, 'data product'),
      flags: flagsFromForm(pipeline, body),
      params: paramsFromForm(pipeline, body),
      presetId: optionalRowIdParam(body[`preset:${pipeline.name}`], 'preset'),
      assignmentId: assignment.id,
    };
    const prefill = { ...choice, pipelineKey: pipeline.key, flags: choice.flags as Record<string, boolean> };
    const pickerUrl = `/targets/${assignment.targetId}?assignment=${assignment.id}#run`;
    const run = await startOrReturnToPicker(req, res, pickerUrl, prefill, () => this.runs.start(user, choice));
    if (!run) return;
    if (req.accepts(['html', 'json']) === 'json') return res.status(201).json({ id: run.id, identifier: run.identifier, state: run.state });
    res.redirect(303, `/pipeline/${run.id}`);
  }

  @Post(':id/hand-in')
  async handIn(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const handIn = await this.assignments.handIn(id, user, { runId: body.runId, answer: body.answer, value: body.value });
    setFlash(req, 'info', handIn.late ? 'Handed in, after the due date: it is marked late.' : 'Handed in. You can replace it until the assignment is closed.');
    res.redirect(303, `/assignments/${id}`);
  }

  @Get(':id/progress')
  @Render('assignments/progress')
  async progress(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const assignment = await this.assignments.findTaught(id, user);
    const rows = await this.assignments.progress(assignment);
    return {
      title: `Progress: ${assignment.title}`,
      assignment,
      rows: rows.map(progressView),
      counts: { students: rows.length, handedIn: rows.filter((row) => row.handIn).length, failed: rows.filter((row) => row.status === 'failed').length },
    };
  }

  /** The rows alone, for the live table: the page asks again when the socket says a student's row changed. */
  @Get(':id/progress/rows')
  @Render('assignments/progress-rows')
  async progressRows(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const assignment = await this.assignments.findTaught(id, user);
    return { layout: false, assignment, rows: (await this.assignments.progress(assignment)).map(progressView) };
  }

  @Get(':id/progress.csv')
  async progressCsv(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const assignment = await this.assignments.findTaught(id, user);
    const rows = await this.assignments.progress(assignment);
    const csv = toCsv(
      ['student', 'username', 'status', 'overdue', 'latest run', 'run state', 'failure', 'light-curve points', 'answer', 'value', 'handed in at', 'late', 'grade', 'feedback'],
      rows.map((row) => [
        row.name,
        row.username,
        row.status,
        row.overdue ? 'yes' : 'no',
        row.latestRun?.identifier ?? '',
        row.latestRun?.state ?? '',
        row.latestRun?.failureMessage ?? '',
        row.points,
        row.handIn?.answer ?? '',
        row.handIn?.value ?? '',
        row.handIn ? row.handIn.handedInAt.toISOString() : '',
        row.handIn ? (row.handIn.late ? 'yes' : 'no') : '',
        row.handIn?.grade ?? '',
        row.handIn?.feedback ?? '',
      ]),
    );
    const name = `${assignment.title.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 80) || 'assignment'}-progress.csv`;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="assignment-${assignment.id}-progress.csv"; filename*=UTF-8''${encodeURIComponent(name)}`);
    res.send(csv);
  }

  @Post(':id/feedback/:studentId')
  @Roles('teacher', 'admin')
  async feedback(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Param('studentId') studentId: string,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    if (!isUuid(studentId)) throw new BadRequestException('There is no such student');
    await this.assignments.giveFeedback(id, studentId, user, { feedback: body.feedback, grade: body.grade });
    setFlash(req, 'info', 'Feedback saved.');
    res.redirect(303, `/assignments/${id}/progress#student-${studentId}`);
  }

  @Get(':id/compare')
  @Render('assignments/compare')
  async compare(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const assignment = await this.assignments.findVisible(id, user);
    if (!AssignmentsService.handInsOpenToClass(user, assignment)) await this.assignments.findTaught(id, user);
    return { title: `Compare: ${assignment.title}`, assignment };
  }

  @Get(':id/compare.json')
  async compareJson(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const assignment = await this.assignments.findVisible(id, user);
    if (!AssignmentsService.handInsOpenToClass(user, assignment)) await this.assignments.findTaught(id, user);
    return { series: await this.assignments.handInCurves(assignment) };
  }

  private async renderForm(res: Response, user: SessionUser, values: Record<string, unknown>, error: string | null, status: number, assignment?: Assignment) {
    const choices = await this.assignments.formChoices(user);
    const chosen = new Set((values.pipelines as string[]) ?? []);
    const presetIds = new Set(((values.presetIds as unknown[]) ?? []).map(Number));
    res.status(status).render('assignments/form', {
      title: assignment ? `Edit: ${assignment.title}` : 'New assignment',
      assignment: assignment ?? null,
      error,
      values,
      classes: choices.classes.map((c) => ({ ...c, selected: c.id === Number(values.classId) })),
      targets: choices.targets.map((t) => ({ ...t, selected: t.id === Number(values.targetId) })),
      groups: choices.groups.map((g) => ({ ...g, selected: g.id === Number(values.groupId) })),
      pipelines: choices.pipelines.map((p) => ({
        ...p,
        checked: chosen.has(p.name),
        presets: p.presets.map((preset) => ({ ...preset, selected: presetIds.has(preset.id) })),
      })),
    });
  }
}

/** What the form showed, to show it again with the message (nothing typed is lost). */
function formValues(body: Record<string, unknown>): Record<string, unknown> {
  const list = (raw: unknown) => (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
  return {
    ...inputOf(body),
    pipelines: list(body.pipelines),
    presetIds: list(body.presetIds).filter((id) => id !== ''),
    dueAt: body.dueAt,
    shareAfterDue: body.shareAfterDue === 'on',
  };
}

function valuesOf(assignment: Assignment): Record<string, unknown> {
  return { ...AssignmentsService.inputOf(assignment), classId: assignment.classroomId, dueAt: localInputValue(assignment.dueAt) };
}
