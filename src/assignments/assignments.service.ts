import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { canManageClassroom, canSeeClassroom } from '../classrooms/classroom-access';
import { isRowId, rowIdFrom } from '../common/request-parsing';
import { checkText, TextField } from '../common/text';
import { GroupsService } from '../groups/groups.service';
import { NotificationsService } from '../notifications/notifications.service';
import { PipelineEventsService } from '../pipeline-runs/pipeline-events.service';
import { PipelinePresetsService } from '../pipeline-runs/pipeline-presets.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { canView, isAdmin } from '../sharing/sharing-policy';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { assignmentStatus, AssignmentStatus, sparklinePoints } from './assignment-status';
import { Assignment, AssignmentPipeline } from './assignment.entity';
import { HandIn } from './hand-in.entity';

/** What a teacher sends to post or change an assignment (form fields or API JSON; checked here). */
export interface AssignmentInput {
  classId?: unknown;
  title?: unknown;
  instructions?: unknown;
  targetId?: unknown;
  groupId?: unknown;
  pipelines?: unknown;
  presetIds?: unknown;
  dueAt?: unknown;
  shareAfterDue?: unknown;
}

/** One student's row of the progress table. */
export interface ProgressRow {
  studentId: string;
  username: string;
  name: string;
  status: AssignmentStatus;
  overdue: boolean;
  latestRun: { id: number; identifier: string; state: string; failureMessage: string | null; createdAt: Date } | null;
  /** The run the result comes from: the one handed in, else the latest. */
  resultRunId: number | null;
  thumbnailProductId: number | null;
  points: number;
  sparkline: string;
  handIn: { runId: number | null; answer: string | null; value: number | null; handedInAt: Date; late: boolean; feedback: string | null; grade: string | null } | null;
}

/** An assignment as one user's list shows it. */
export interface AssignmentSummary {
  assignment: Assignment;
  className: string;
  targetName: string;
  canTeach: boolean;
  /** The viewer's own standing (students). */
  status: AssignmentStatus | null;
  overdue: boolean;
  /** For teachers: hand-ins so far, of how many students. */
  handedIn: number;
  students: number;
}

const MAX_PIPELINES = 20;

/**
 * A run counts for an assignment when it was started for it, or is on its target with one of its pipelines (run
 * before "Start" was pressed). One condition for the hand-in check and the hand-in form's choices; $1–$3 are
 * runForAssignmentParams.
 */
const RUN_FOR_ASSIGNMENT = '(assignment_id = $1 OR (target_id = $2 AND pipeline_key = ANY($3)))';
const runForAssignmentParams = (assignment: Assignment) => [assignment.id, assignment.targetId, assignment.pipelines.map((p) => p.name)];
const DUE_AT_RULE = 'a date and time, e.g. 2026-12-10T18:00';

/**
 * Assignments and hand-ins: the only writer of `assignments` and `hand_ins`. Who may do what is the class's
 * membership as the session user carries it: its members see an assignment, its teachers (and admins) post, change
 * and close it, read its progress and give feedback; its students start runs for it and hand in.
 */
@Injectable()
export class AssignmentsService {
  constructor(
    @InjectRepository(Assignment) private readonly assignments: Repository<Assignment>,
    @InjectRepository(HandIn) private readonly handIns: Repository<HandIn>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly targets: TargetsService,
    private readonly groups: GroupsService,
    private readonly registry: PipelineRegistryService,
    private readonly presets: PipelinePresetsService,
    private readonly events: PipelineEventsService,
    private readonly notifications: NotificationsService,
  ) {}

  static canSee(viewer: SessionUser, assignment: Pick<Assignment, 'classroomId'>): boolean {
    return canSeeClassroom(viewer, assignment.classroomId);
  }

  static canTeach(viewer: SessionUser, assignment: Pick<Assignment, 'classroomId'>): boolean {
    return canManageClassroom(viewer, assignment.classroomId);
  }

  /** A student of the class (not a teacher of it): the one who starts runs for it and hands in. */
  static isStudentOf(viewer: SessionUser, assignment: Pick<Assignment, 'classroomId'>): boolean {
    return viewer.memberOf.includes(assignment.classroomId) && !viewer.teaches.includes(assignment.classroomId);
  }

  /** After the due date, when the teacher chose so, the class sees each other's hand-ins. */
  static handInsOpenToClass(viewer: SessionUser, assignment: Assignment, now = new Date()): boolean {
    return AssignmentsService.canTeach(viewer, assignment) || (AssignmentsService.canSee(viewer, assignment) && assignment.shareAfterDue && now >= assignment.dueAt);
  }

  async findVisible(id: number, viewer: SessionUser): Promise<Assignment> {
    const assignment = isRowId(id) ? await this.assignments.findOne({ where: { id }, relations: { target: true, classroom: true, group: true } }) : null;
    if (!assignment) throw new NotFoundException(`There is no assignment with id ${id}`);
    if (!AssignmentsService.canSee(viewer, assignment)) throw new ForbiddenException('This assignment is for another class');
    return assignment;
  }

  async findTaught(id: number, viewer: SessionUser): Promise<Assignment> {
    const assignment = await this.findVisible(id, viewer);
    if (!AssignmentsService.canTeach(viewer, assignment)) throw new ForbiddenException("Only the class's teachers may do this");
    return assignment;
  }

  /** The assignments of the viewer's classes, by due date: a student's with their status, a teacher's with counts. */
  async listFor(viewer: SessionUser, now = new Date()): Promise<AssignmentSummary[]> {
    const classes = isAdmin(viewer) ? null : viewer.memberOf;
    if (classes && !classes.length) return [];
    const rows = await this.assignments
      .createQueryBuilder('a')
      .leftJoinAndSelect('a.classroom', 'c')
      .leftJoinAndSelect('a.target', 't')
      .where(classes ? 'a.classroom_id IN (:...classes)' : 'TRUE', { classes })
      .orderBy('a.closed_at IS NULL', 'DESC')
      .addOrderBy('a.due_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
    if (!rows.length) return [];
    const ids = rows.map((a) => a.id);
    const [mine, counts] = await Promise.all([
      this.dataSource.query(
        `SELECT a.id,
                (SELECT r.state FROM pipeline_runs r WHERE r.assignment_id = a.id AND r.requested_by_id = $2
                  ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS state,
                (SELECT h.late FROM hand_ins h WHERE h.assignment_id = a.id AND h.student_id = $2) AS late
           FROM assignments a WHERE a.id = ANY($1)`,
        [ids, viewer.id],
      ),
      this.dataSource.query(
        `SELECT a.id,
                (SELECT count(*)::int FROM hand_ins h WHERE h.assignment_id = a.id) AS handed_in,
                (SELECT count(*)::int FROM classroom_members m WHERE m.classroom_id = a.classroom_id AND m.role = 'student') AS students
           FROM assignments a WHERE a.id = ANY($1)`,
        [ids],
      ),
    ]);
    const mineById = new Map<number, { state: string | null; late: boolean | null }>(mine.map((row: any) => [row.id, row]));
    const countsById = new Map<number, { handed_in: number; students: number }>(counts.map((row: any) => [row.id, row]));
    return rows.map((assignment) => {
      const canTeach = AssignmentsService.canTeach(viewer, assignment);
      const own = mineById.get(assignment.id);
      const standing = AssignmentsService.isStudentOf(viewer, assignment)
        ? assignmentStatus(own?.state ? { state: own.state } : null, own?.late === null || own?.late === undefined ? null : { late: own.late }, assignment.dueAt, now)
        : null;
      return {
        assignment,
        className: assignment.classroom.name,
        targetName: assignment.target.name,
        canTeach,
        status: standing?.status ?? null,
        overdue: standing?.overdue ?? false,
        handedIn: countsById.get(assignment.id)?.handed_in ?? 0,
        students: countsById.get(assignment.id)?.students ?? 0,
      };
    });
  }

  async create(viewer: SessionUser, input: AssignmentInput): Promise<Assignment> {
    const classId = rowIdFrom(input.classId);
    if (classId === null) throw new BadRequestException('Choose the class the assignment is for');
    if (!canManageClassroom(viewer, classId)) throw new ForbiddenException('You can set assignments only for classes you teach');
    const [classroom] = await this.dataSource.query('SELECT id FROM classrooms WHERE id = $1', [classId]);
    if (!classroom) throw new BadRequestException(`There is no class with id ${classId}`);
    const fields = await this.checkedFields(viewer, classId, input, { requireFuture: true });
    const saved = await this.assignments.save(this.assignments.create({ ...fields, classroomId: classId, createdById: viewer.id }));
    const assignment = await this.findVisible(saved.id, viewer);
    const students = await this.membersOf(classId, 'student');
    await this.notifications.notify(
      students.map((userId) => ({
        userId,
        kind: 'assignment-new' as const,
        title: `New assignment: ${assignment.title}`,
        body: `${assignment.classroom.name}, on ${assignment.target.name}; due ${assignment.dueAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
        link: `/assignments/${assignment.id}`,
      })),
    );
    return assignment;
  }

  async update(id: number, viewer: SessionUser, input: AssignmentInput): Promise<Assignment> {
    const assignment = await this.findTaught(id, viewer);
    const fields = await this.checkedFields(viewer, assignment.classroomId, { ...AssignmentsService.inputOf(assignment), ...definedOnly(input) }, { requireFuture: false });
    // Moving the due date again sends the reminder again.
    const remindedAt = fields.dueAt.getTime() !== assignment.dueAt.getTime() ? null : assignment.remindedAt;
    await this.assignments.update({ id }, { ...fields, remindedAt });
    // Hand-ins count as late against the due date as it is now.
    await this.dataSource.query('UPDATE hand_ins SET late = handed_in_at > $2 WHERE assignment_id = $1', [id, fields.dueAt]);
    return this.findVisible(id, viewer);
  }

  async setClosed(id: number, viewer: SessionUser, closed: boolean): Promise<Assignment> {
    const assignment = await this.findTaught(id, viewer);
    await this.assignments.update({ id }, { closedAt: closed ? (assignment.closedAt ?? new Date()) : null });
    return this.findVisible(id, viewer);
  }

  /** Deletes the assignment and its hand-ins; the runs stay, no longer linked. */
  async remove(id: number, viewer: SessionUser): Promise<Assignment> {
    const assignment = await this.findTaught(id, viewer);
    await this.assignments.delete({ id });
    return assignment;
  }

  /**
   * Whether `viewer` may start this run for the assignment: a member of its class (teachers try it out too), the
   * assignment open, its target (when the caller names one), one of its pipelines. Returns the assignment; throws a
   * message otherwise.
   */
  async checkStart(viewer: SessionUser, assignmentId: number, run: { targetId?: number; pipelineName: string }): Promise<Assignment> {
    const assignment = await this.findVisible(assignmentId, viewer);
    if (assignment.closedAt) throw new BadRequestException(`"${assignment.title}" is closed: no more runs for it`);
    if (run.targetId !== undefined && assignment.targetId !== run.targetId) throw new BadRequestException(`"${assignment.title}" is about ${assignment.target.name}, not this target`);
    if (!assignment.pipelines.some((p) => p.name === run.pipelineName)) {
      throw new BadRequestException(`"${assignment.title}" allows ${assignment.pipelines.map((p) => p.name).join(', ')}, not ${run.pipelineName}`);
    }
    return assignment;
  }

  /** What "Start" ticks on the target page: the group's frames the student may see, the first pipeline and its preset. */
  async startChoices(assignment: Assignment, viewer: SessionUser): Promise<{ inputIds: number[]; pipeline: AssignmentPipeline | null }> {
    let inputIds: number[] = [];
    if (assignment.groupId !== null) {
      const group = await this.groups.findForViewer(assignment.groupId, viewer).catch(() => null);
      inputIds = (group?.products ?? []).filter((product) => product.targetId === assignment.targetId).map((product) => product.id);
    }
    return { inputIds, pipeline: assignment.pipelines[0] ?? null };
  }

  /** A student hands in one of their succeeded runs for the assignment, with an answer; replaces an earlier one. */
  async handIn(id: number, viewer: SessionUser, input: { runId?: unknown; answer?: unknown; value?: unknown }, now = new Date()): Promise<HandIn> {
    const assignment = await this.findVisible(id, viewer);
    if (!AssignmentsService.isStudentOf(viewer, assignment)) throw new ForbiddenException('Only the students of the class hand in');
    if (assignment.closedAt) throw new BadRequestException(`"${assignment.title}" is closed: hand-ins are no longer taken`);
    const runId = rowIdFrom(input.runId);
    if (runId === null) throw new BadRequestException('Choose the run you hand in');
    const [run] = await this.dataSource.query(
      `SELECT state, requested_by_id AS "ownerId", ${RUN_FOR_ASSIGNMENT} AS "forThis" FROM pipeline_runs WHERE id = $4`,
      [...runForAssignmentParams(assignment), runId],
    );
    if (!run || run.ownerId !== viewer.id) throw new BadRequestException('Hand in a run of your own');
    if (run.state !== 'succeeded') throw new BadRequestException('Hand in a run that succeeded');
    if (!run.forThis) throw new BadRequestException(`That run is not one for "${assignment.title}"`);
    const answer = textOrNull(input.answer, 'answer');
    const value = numberOrNull(input.value);
    const late = now > assignment.dueAt;
    await this.dataSource.query(
      `INSERT INTO hand_ins (assignment_id, student_id, run_id, answer, value, handed_in_at, late)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (assignment_id, student_id) DO UPDATE
         SET run_id = EXCLUDED.run_id, answer = EXCLUDED.answer, value = EXCLUDED.value,
             handed_in_at = EXCLUDED.handed_in_at, late = EXCLUDED.late`,
      [assignment.id, viewer.id, runId, answer, value, now, late],
    );
    this.events.assignmentProgress({ assignmentId: assignment.id, studentId: viewer.id, runId, state: 'handed in' });
    const who = viewer.displayName || viewer.username;
    await this.notifications.notify(
      (await this.membersOf(assignment.classroomId, 'teacher')).map((userId) => ({
        userId,
        kind: 'hand-in' as const,
        title: `${who} handed in "${assignment.title}"${late ? ' (late)' : ''}`,
        body: answer ?? undefined,
        link: `/assignments/${assignment.id}/progress`,
      })),
    );
    return (await this.handIns.findOne({ where: { assignmentId: assignment.id, studentId: viewer.id } }))!;
  }

  async handInOf(assignmentId: number, studentId: string): Promise<HandIn | null> {
    return this.handIns.findOne({ where: { assignmentId, studentId } });
  }

  /** The viewer's succeeded runs that may be handed in for the assignment, newest first. */
  async handInChoices(assignment: Assignment, viewer: SessionUser): Promise<Array<{ id: number; identifier: string; pipelineKey: string; finishedAt: Date | null }>> {
    return this.dataSource.query(
      `SELECT id, identifier, pipeline_key AS "pipelineKey", finished_at AS "finishedAt" FROM pipeline_runs
        WHERE requested_by_id = $4 AND state = 'succeeded' AND ${RUN_FOR_ASSIGNMENT}
        ORDER BY created_at DESC, id DESC LIMIT 50`,
      [...runForAssignmentParams(assignment), viewer.id],
    );
  }

  /** The teacher's word on a student's hand-in: feedback and an optional grade. */
  async giveFeedback(id: number, studentId: string, viewer: SessionUser, input: { feedback?: unknown; grade?: unknown }): Promise<HandIn> {
    const assignment = await this.findTaught(id, viewer);
    const handIn = await this.handIns.findOne({ where: { assignmentId: assignment.id, studentId } });
    if (!handIn) throw new NotFoundException('That student has not handed in yet');
    const feedback = textOrNull(input.feedback, 'feedback');
    const grade = textOrNull(input.grade, 'grade');
    await this.handIns.update({ id: handIn.id }, { feedback, grade, feedbackAt: new Date(), feedbackById: viewer.id });
    this.events.assignmentProgress({ assignmentId: assignment.id, studentId, runId: handIn.runId, state: 'feedback' });
    await this.notifications.notify([
      { userId: studentId, kind: 'feedback', title: `Feedback on "${assignment.title}"${grade ? `: ${grade}` : ''}`, body: feedback ?? undefined, link: `/assignments/${assignment.id}` },
    ]);
    return (await this.handIns.findOne({ where: { id: handIn.id } }))!;
  }

  /** One row per student of the class: where they stand, their latest run, the result at a glance, the hand-in. */
  async progress(assignment: Assignment, now = new Date()): Promise<ProgressRow[]> {
    const students: Array<{ id: string; username: string; name: string }> = await this.dataSource.query(
      `SELECT u.id, u.username, coalesce(nullif(u.display_name, ''), u.username) AS name
         FROM classroom_members m JOIN users u ON u.id = m.user_id
        WHERE m.classroom_id = $1 AND m.role = 'student' ORDER BY lower(coalesce(nullif(u.display_name, ''), u.username)), u.username`,
      [assignment.classroomId],
    );
    const latest: any[] = await this.dataSource.query(
      `SELECT DISTINCT ON (requested_by_id) id, identifier, requested_by_id AS "studentId", state, failure_message AS "failureMessage",
              output_group_id AS "outputGroupId", created_at AS "createdAt"
         FROM pipeline_runs WHERE assignment_id = $1 ORDER BY requested_by_id, created_at DESC, id DESC`,
      [assignment.id],
    );
    const handIns = await this.handIns.find({ where: { assignmentId: assignment.id } });
    const latestBy = new Map(latest.map((run) => [run.studentId as string, run]));
    const handInBy = new Map(handIns.map((handIn) => [handIn.studentId, handIn]));
    const resultRuns = students.map((s) => handInBy.get(s.id)?.runId ?? latestBy.get(s.id)?.id ?? null).filter((id): id is number => id !== null);
    const [thumbnails, curves] = resultRuns.length
      ? await Promise.all([
          this.dataSource.query(
            `SELECT DISTINCT ON (r.id) r.id AS "runId", p.id AS "productId"
               FROM pipeline_runs r JOIN data_product_group_members m ON m.group_id = r.output_group_id
               JOIN data_products p ON p.id = m.data_product_id
              WHERE r.id = ANY($1) AND p.thumbnail_path IS NOT NULL ORDER BY r.id, p.id`,
            [resultRuns],
          ),
          this.dataSource.query(
            `SELECT run_id AS "runId", count(*)::int AS points,
                    array_agg((value->>'magnitude')::float8 ORDER BY timestamp) FILTER (WHERE jsonb_typeof(value->'magnitude') = 'number') AS magnitudes
               FROM reduced_data WHERE run_id = ANY($1) GROUP BY run_id`,
            [resultRuns],
          ),
        ])
      : [[], []];
    const thumbnailBy = new Map<number, number>(thumbnails.map((row: any) => [row.runId, row.productId]));
    const curveBy = new Map<number, { points: number; magnitudes: number[] | null }>(curves.map((row: any) => [row.runId, row]));
    return students.map((student) => {
      const run = latestBy.get(student.id) ?? null;
      const handIn = handInBy.get(student.id) ?? null;
      const { status, overdue } = assignmentStatus(run, handIn, assignment.dueAt, now);
      const resultRunId = handIn?.runId ?? run?.id ?? null;
      const curve = resultRunId !== null ? curveBy.get(resultRunId) : undefined;
      return {
        studentId: student.id,
        username: student.username,
        name: student.name,
        status,
        overdue,
        latestRun: run ? { id: run.id, identifier: run.identifier, state: run.state, failureMessage: run.failureMessage, createdAt: run.createdAt } : null,
        resultRunId,
        thumbnailProductId: resultRunId !== null ? (thumbnailBy.get(resultRunId) ?? null) : null,
        points: curve?.points ?? 0,
        sparkline: sparklinePoints(curve?.magnitudes ?? []),
        handIn: handIn
          ? { runId: handIn.runId, answer: handIn.answer, value: handIn.value, handedInAt: handIn.handedInAt, late: handIn.late, feedback: handIn.feedback, grade: handIn.grade }
          : null,
      };
    });
  }

  /** The light curves of every hand-in, one series per student, for the "compare" plot. */
  async handInCurves(assignment: Assignment): Promise<Array<{ label: string; points: Array<{ t: string; mag: number; err: number | null }> }>> {
    const rows: any[] = await this.dataSource.query(
      `SELECT coalesce(nullif(u.display_name, ''), u.username) AS label, d.timestamp AS t, (d.value->>'magnitude')::float8 AS mag,
              CASE WHEN jsonb_typeof(d.value->'error') = 'number' THEN (d.value->>'error')::float8 END AS err
         FROM hand_ins h JOIN users u ON u.id = h.student_id JOIN reduced_data d ON d.run_id = h.run_id
        WHERE h.assignment_id = $1 AND jsonb_typeof(d.value->'magnitude') = 'number'
        ORDER BY label, d.timestamp`,
      [assignment.id],
    );
    const series = new Map<string, Array<{ t: string; mag: number; err: number | null }>>();
    for (const row of rows) {
      if (!series.has(row.label)) series.set(row.label, []);
      series.get(row.label)!.push({ t: new Date(row.t).toISOString(), mag: row.mag, err: row.err });
    }
    return [...series].map(([label, points]) => ({ label, points }));
  }

  /** What the assignment form offers: the classes the viewer teaches, targets and groups a class could open, pipelines and presets. */
  async formChoices(viewer: SessionUser) {
    const classes: Array<{ id: number; name: string }> = await this.dataSource.query(
      isAdmin(viewer) ? 'SELECT id, name FROM classrooms ORDER BY lower(name), id' : 'SELECT id, name FROM classrooms WHERE id = ANY($1) ORDER BY lower(name), id',
      isAdmin(viewer) ? [] : [viewer.teaches],
    );
    const targets: Array<{ id: number; name: string; visibility: string }> = await this.dataSource.query(
      `SELECT id, name, visibility FROM targets
        WHERE visibility = 'public' OR (visibility = 'class' AND classroom_id = ANY($1)) ORDER BY lower(name), id LIMIT 500`,
      [isAdmin(viewer) ? classes.map((c) => c.id) : viewer.teaches],
    );
    const [groups, presets] = await Promise.all([this.groups.choices(viewer), this.presets.list()]);
    const pipelines = this.registry.list().map((pipeline) => ({
      name: pipeline.name,
      presets: presets.filter((preset) => preset.pipelineKey === pipeline.key).map((preset) => ({ id: preset.id, name: preset.name })),
    }));
    return { classes, targets, groups, pipelines };
  }

  /**
   * "Due tomorrow": for each open assignment due within `withinMs` whose reminder has not gone out, the students
   * who have not handed in are told once. The claim is one UPDATE, so with several web processes only one sends.
   */
  async sendDueReminders(now = new Date(), withinMs = 24 * 3_600_000): Promise<number> {
    // An UPDATE through TypeORM answers [rows, count].
    const [due]: [Array<{ id: number; title: string; classroom_id: number; due_at: Date }>, number] = await this.dataSource.query(
      `UPDATE assignments SET reminded_at = $1
        WHERE reminded_at IS NULL AND closed_at IS NULL AND due_at > $1 AND due_at <= $2
        RETURNING id, title, classroom_id, due_at`,
      [now, new Date(now.getTime() + withinMs)],
    );
    let told = 0;
    for (const assignment of due) {
      const waiting: Array<{ id: string }> = await this.dataSource.query(
        `SELECT m.user_id AS id FROM classroom_members m
          WHERE m.classroom_id = $1 AND m.role = 'student'
            AND NOT EXISTS (SELECT 1 FROM hand_ins h WHERE h.assignment_id = $2 AND h.student_id = m.user_id)`,
        [assignment.classroom_id, assignment.id],
      );
      await this.notifications.notify(
        waiting.map(({ id }) => ({
          userId: id,
          kind: 'due-soon' as const,
          title: `Due soon: ${assignment.title}`,
          body: `Due ${new Date(assignment.due_at).toISOString().slice(0, 16).replace('T', ' ')} UTC, and you have not handed in yet.`,
          link: `/assignments/${assignment.id}`,
        })),
      );
      told += waiting.length;
    }
    return told;
  }

  private async membersOf(classroomId: number, role: 'student' | 'teacher'): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query('SELECT user_id AS id FROM classroom_members WHERE classroom_id = $1 AND role = $2', [classroomId, role]);
    return rows.map((row) => row.id);
  }

  /** The form's or the API's fields as stored: every one checked, with a message naming the field. */
  private async checkedFields(viewer: SessionUser, classId: number, input: AssignmentInput, options: { requireFuture: boolean }) {
    const title = checkText(input.title, 'assignmentTitle', { required: true });
    if (title.error !== undefined) throw new BadRequestException(title.error);
    const instructions = checkText(input.instructions, 'instructions');
    if (instructions.error !== undefined) throw new BadRequestException(instructions.error);
    const targetId = rowIdFrom(input.targetId);
    if (targetId === null) throw new BadRequestException('Choose the target');
    const target = await this.targets.findVisible(targetId, viewer);
    // The class must be able to open the target's page and run on it.
    if (!(target.visibility === 'public' || (target.visibility === 'class' && target.classroomId === classId))) {
      throw new BadRequestException(`Share ${target.name} with the class (or make it public) first: its students could not open it`);
    }
    let groupId: number | null = null;
    if (input.groupId !== undefined && input.groupId !== null && input.groupId !== '') {
      groupId = rowIdFrom(input.groupId);
      if (groupId === null) throw new BadRequestException('The group must be a group id, or none for "bring your own frames"');
      const group = await this.groups.findForViewer(groupId, viewer);
      const classViewer = { id: '', role: 'student' as const, memberOf: [classId], teaches: [], studentIds: [] };
      if (!canView(classViewer, { ownerId: group.createdById, visibility: group.visibility, classroomId: group.classroomId })) {
        throw new BadRequestException(`Share the group "${group.name}" with the class (or make it public) first: its students could not see its frames`);
      }
    }
    const names = listOf(input.pipelines).map(String);
    if (!names.length) throw new BadRequestException('Choose at least one pipeline');
    if (names.length > MAX_PIPELINES) throw new BadRequestException(`At most ${MAX_PIPELINES} pipelines`);
    const pipelines: AssignmentPipeline[] = [];
    for (const name of new Set(names)) {
      const pipeline = this.registry.find(name);
      if (!pipeline) throw new BadRequestException(`Unknown pipeline "${name}"`);
      pipelines.push({ name: pipeline.name, presetId: null });
    }
    const presetIds = listOf(input.presetIds).filter((raw) => raw !== '' && raw !== null);
    if (presetIds.length) {
      const all = await this.presets.list();
      for (const raw of presetIds) {
        const presetId = rowIdFrom(raw);
        const preset = presetId === null ? undefined : all.find((p) => p.id === presetId);
        if (!preset) throw new BadRequestException(`There is no preset with id ${String(raw)}`);
        const pipeline = pipelines.find((p) => p.name === preset.pipelineKey);
        if (!pipeline) throw new BadRequestException(`The preset "${preset.name}" is for ${preset.pipelineKey}, which the assignment does not allow`);
        pipeline.presetId = preset.id;
      }
    }
    const dueAt = dateFrom(input.dueAt);
    if (!dueAt) throw new BadRequestException(`The due date must be ${DUE_AT_RULE}`);
    if (options.requireFuture && dueAt.getTime() <= Date.now()) throw new BadRequestException('The due date is in the past');
    const shareAfterDue = input.shareAfterDue === true || input.shareAfterDue === 'on' || input.shareAfterDue === 'true';
    return { title: title.value, instructions: instructions.value, targetId, groupId, pipelines, dueAt, shareAfterDue };
  }

  /** An assignment as the fields it was made from (a change starts from them). */
  static inputOf(assignment: Assignment): AssignmentInput {
    return {
      title: assignment.title,
      instructions: assignment.instructions,
      targetId: assignment.targetId,
      groupId: assignment.groupId,
      pipelines: assignment.pipelines.map((p) => p.name),
      presetIds: assignment.pipelines.map((p) => p.presetId).filter((id) => id !== null),
      dueAt: assignment.dueAt,
      shareAfterDue: assignment.shareAfterDue,
    };
  }
}

function definedOnly(input: AssignmentInput): AssignmentInput {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

function listOf(raw: unknown): unknown[] {
  if (raw === undefined || raw === null || raw === '') return [];
  return Array.isArray(raw) ? raw : [raw];
}

function textOrNull(raw: unknown, field: TextField): string | null {
  const checked = checkText(raw, field);
  if (checked.error !== undefined) throw new BadRequestException(checked.error);
  return checked.value || null;
}

function numberOrNull(raw: unknown): number | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim().length <= 40 ? Number(raw.trim()) : Number.NaN;
  if (!Number.isFinite(value)) throw new BadRequestException('The value must be a number, e.g. 14.2');
  return value;
}

/** A due date from an ISO string (with or without a zone: without one it is UTC) or a Date. */
function dateFrom(raw: unknown): Date | null {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : raw;
  if (typeof raw !== 'string' || raw.length > 40) return null;
  const text = raw.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) return null;
  const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}
