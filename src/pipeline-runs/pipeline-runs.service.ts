import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { InjectQueue } from '@nestjs/bull';
import { BadRequestException, ConflictException, ForbiddenException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { EntityManager, In, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { APP_VERSION } from '../config/paths';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { MAX_JOB_ATTEMPTS, PIPELINES_QUEUE } from '../queue/queue.module';
import { checkedSharing, sharingChoices, sharingLabel } from '../sharing/sharing-request';
import { ShareOption } from '../sharing/share-choice';
import { canChange, canView, ownedColumns, visibleWhere } from '../sharing/sharing-policy';
import { Owned } from '../sharing/visibility';
import { canViewTarget } from '../targets/target-access';
import { Target } from '../targets/target.entity';
import { SessionUser } from '../users/user.entity';
import { LogLineEvent, PipelineEventsService } from './pipeline-events.service';
import { insertLinesParams, insertLinesSql } from './log-line-rows';
import { LogLevel } from './pipeline-log-line.entity';
import { isWorkflow, PipelineRegistryService, RegisteredEntry, RegisteredWorkflow } from '../pipeline-registry/pipeline-registry.service';
import { stepValues } from '../workflows/workflow-definition';
import { PipelineRunStep } from './pipeline-run-step.entity';
import { ClaimedStep, RunStepsService, stepsProvenance } from './run-steps.service';
import { PipelinePreset } from './pipeline-preset.entity';
import { PipelineRun, PipelineState } from './pipeline-run.entity';
import { resolveParams } from '../pipeline-sdk/pipeline-params';
import { hasAllowedSuffix, resolveFlags } from '../pipeline-sdk/pipeline-process';
import { ParamsRefusedException } from './params-refused.exception';
import { preparedQuery } from '../database/prepared-query';
import { hydrateRow } from '../database/hydrate-row';
import { isRowId, PG_INTEGER_MAX } from '../common/request-parsing';

/** Read once: os.hostname() is a system call each time. */
const HOSTNAME = os.hostname();

/** Bull job ids are strings; a prefix keeps them apart from any other job in the queue. A workflow's steps: one job each. */
export const jobIdFor = (runId: number, step?: number) => (step ? `run-${runId}-step-${step}` : `run-${runId}`);

/** What a job of the pipelines queue carries: a run, and for a workflow run the step to run. */
export interface RunJobData {
  runId: number;
  step?: number;
}

export const TERMINAL_STATES: PipelineState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

/** The ends of a run its requester is told of (notifications, kind `run-ended`). */
const NOTIFIED_ENDS: Partial<Record<PipelineState, string>> = { succeeded: 'succeeded', failed: 'failed', cancelled: 'was cancelled' };

/**
 * The most times a run is started: the first start, and restarts after its worker stopped (a shutdown that
 * interrupted it, or a crash). Each start is counted in `pipeline_runs.attempt`; a run that used them all is
 * not started again.
 */
export const RUN_MAX_ATTEMPTS = MAX_JOB_ATTEMPTS;

/** The log line a restarted run begins its new attempt with. */
export const restartLine = (attempt: number) => `Worker restarted: attempt ${attempt} of ${RUN_MAX_ATTEMPTS}`;

/** The most run ends one notify() carries. */
const MAX_ENDS_PER_NOTIFY = 100;

/** RETURNING of a run's UPDATE: the row, and its target's name for the notification of its end. */
const RETURNING_WITH_TARGET_NAME = '*, (SELECT t.name FROM targets t WHERE t.id = target_id) AS "targetName"';

/** Bull's options for a run's job: one job per run, requeued (not failed) when its worker stops while running it. */
const jobOptions = (runId: number, step?: number) => ({ jobId: jobIdFor(runId, step), removeOnComplete: true, removeOnFail: 1000, attempts: RUN_MAX_ATTEMPTS });

export interface StartRunRequest {
  pipelineName: string;
  targetId: number;
  inputIds: number[];
  flags: Record<string, unknown>;
  /** Typed parameters' values as asked (numbers, or text from a form or the CLI); missing ones: the preset's, else the defaults. */
  params?: Record<string, unknown>;
  /**
   * The preset the run was started from, if any: its parameter values fill in those not asked for, and flag and
   * parameter values that match it are recorded as coming from it.
   */
  presetId?: number;
  /** The assignment it is started for, already checked by AssignmentsService.checkStart. */
  assignmentId?: number | null;
}

/** The parts of the target and of the inputs start() uses. */
type StartTarget = Pick<Target, 'id' | 'name' | 'visibility' | 'ownerId' | 'classroomId'>;
type StartInput = Pick<DataProduct, 'id' | 'targetId' | 'originalName' | 'sha256'>;

/** What a worker needs to start a run, read as it claims it. */
export interface ClaimedRun {
  run: PipelineRun;
  lastLogSeq: number;
  /** Null when the target was deleted after the run was queued. */
  target: Pick<Target, 'id' | 'name' | 'type' | 'ra' | 'dec'> | null;
  /** The input products that still exist, by name. */
  inputs: Array<Pick<DataProduct, 'id' | 'storedPath' | 'originalName' | 'sha256' | 'productType'>>;
}

// The largest Postgres `integer` and what can be a row id: the request-parsing layer's, kept importable from here.
export { isRowId, PG_INTEGER_MAX };

/** Identifier tries with a counted suffix, then with a random one (16.7 million choices per second). */
const COUNTED_SUFFIXES = 5;
const IDENTIFIER_ATTEMPTS = 40;

/** A run identifier `{shortName}_{targetId}_{UTC timestamp}`, with a suffix when that second is taken. */
export function runIdentifier(shortName: string, targetId: number, when: Date, attempt: number): string {
  const stamp = when.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${shortName}_${targetId}_${stamp}${attempt ? `_${attempt + 1}` : ''}`;
}

@Injectable()
export class PipelineRunsService {
  private readonly logger = new Logger('PipelineRuns');
  /** Run ends waiting for their notification (notifyEnds), and the notify() batch in flight. */
  private readonly endsToNotify: Array<{ runId: number; event: Parameters<NotificationsService['notify']>[0][number]; done: () => void }> = [];
  private notifyingEnds?: Promise<void>;
  /** Per base identifier of the current second, the next suffix to try (insertWithUniqueIdentifier). */
  private readonly identifierTries = new Map<string, number>();
  private identifierSecond = 0;

  constructor(
    @InjectRepository(PipelineRun) private readonly runs: Repository<PipelineRun>,
    @InjectRepository(DataProduct) private readonly products: Repository<DataProduct>,
    @InjectRepository(PipelinePreset) private readonly presets: Repository<PipelinePreset>,
    @InjectQueue(PIPELINES_QUEUE) private readonly queue: Queue,
    private readonly registry: PipelineRegistryService,
    private readonly events: PipelineEventsService,
    private readonly notifications: NotificationsService,
    private readonly steps: RunStepsService,
  ) {}

  /** A run as the sharing policy sees it: owned by the student who started it. */
  static owned(run: Pick<PipelineRun, 'requestedById' | 'visibility' | 'classroomId'>): Owned {
    return { ownerId: run.requestedById, visibility: run.visibility, classroomId: run.classroomId };
  }

  /** The policy's SQL condition for runs under alias `alias`. */
  static visibleTo(user: SessionUser, alias = 'r') {
    return visibleWhere(user, ownedColumns(alias, 'requested_by_id'), `${alias}Viewer`);
  }

  /**
   * The flag and parameter values a run of `pipelineName` would get (without a preset): a 400 naming every refused
   * one. For callers that must refuse bad values before doing anything else (the CLI adds its files first).
   */
  checkValues(pipelineName: string, flags: Record<string, unknown>, params: Record<string, unknown> | undefined): void {
    this.resolveValues(this.registry.get(pipelineName), flags, params, null);
  }

  /**
   * A run's flag and parameter values with where each came from: the defaults, then the preset's, then those
   * asked; a 400 for unknown or refused ones (parameters: one message per field).
   */
  private resolveValues(entry: RegisteredEntry, flags: Record<string, unknown>, params: Record<string, unknown> | undefined, preset: PipelinePreset | null) {
    let resolved: ReturnType<typeof resolveFlags>;
    try {
      resolved = resolveFlags(entry.flags, flags);
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
    const flagSources: Record<string, 'default' | 'user' | 'preset'> = { ...resolved.sources };
    const values = ParamsRefusedException.wrap(() => resolveParams(entry.params, params, preset?.params));
    if (preset) {
      for (const [name, value] of Object.entries(resolved.values)) {
        if (name in preset.flags && preset.flags[name] === value) flagSources[name] = 'preset';
      }
      // A value typed into a form equal to the preset's came from the preset.
      for (const [name, value] of Object.entries(values.values)) {
        if (values.sources[name] === 'user' && name in preset.params && preset.params[name] === value) values.sources[name] = 'preset';
      }
    }
    return { flags: resolved.values, flagSources, params: values.values, paramSources: values.sources };
  }

  /** Checks the request, records the run as queued and enqueues its job. */
  async start(user: SessionUser, request: StartRunRequest, options: { enqueue?: boolean } = {}): Promise<PipelineRun> {
    const pipeline = this.registry.get(request.pipelineName);
    const { target, inputs } = await this.targetAndInputs(request.targetId, request.inputIds, user);
    const wrongTarget = inputs.filter((input) => input.targetId !== target.id);
    if (wrongTarget.length) throw new BadRequestException(`${wrongTarget[0].originalName} does not belong to ${target.name}`);
    const refused = inputs.filter((input) => !hasAllowedSuffix(input.originalName, pipeline.allowedSuffixes));
    if (refused.length) {
      throw new BadRequestException(
        `${pipeline.name} takes only ${pipeline.allowedSuffixes.join(', ')} files; not: ${refused.map((p) => p.originalName).join(', ')}`,
      );
    }
    let preset: PipelinePreset | null = null;
    if (request.presetId) {
      preset = await this.presets.findOne({ where: { id: request.presetId } });
      if (!preset || preset.pipelineKey !== pipeline.key) throw new BadRequestException(`That preset is not one of ${pipeline.name}'s`);
    }
    const values = this.resolveValues(pipeline, request.flags, request.params, preset);
    const provenance = {
      pipeline: { key: pipeline.key, kind: pipeline.kind, shortName: pipeline.shortName, version: pipeline.version, ...(isWorkflow(pipeline) ? { workflowVersionId: pipeline.versionId } : { configHash: pipeline.configHash }) },
      flags: Object.fromEntries(Object.entries(values.flags).map(([name, value]) => [name, { value, source: values.flagSources[name] }])),
      params: Object.fromEntries(Object.entries(values.params).map(([name, value]) => [name, { value, source: values.paramSources[name] }])),
      preset: preset?.name ?? null,
      inputs: inputs.map((input) => ({ id: input.id, name: input.originalName, sha256: input.sha256 })),
      appVersion: APP_VERSION,
      requestedBy: user.username,
      requestedFrom: HOSTNAME,
    };
    const fields: Partial<PipelineRun> = {
      pipelineKey: pipeline.key,
      targetId: target.id,
      inputIds: inputs.map((input) => input.id),
      flags: values.flags,
      params: values.params,
      state: 'queued',
      status: 'Waiting for a worker',
      requestedById: user.id,
      assignmentId: request.assignmentId ?? null,
      provenance,
    };
    if (isWorkflow(pipeline)) return this.startWorkflow(pipeline, target, fields, this.workflowSteps(pipeline, values.params), options);

    const run = await this.insertWithUniqueIdentifier(this.runs.manager, pipeline.shortName, target, fields);
    if (options.enqueue !== false) {
      await this.queue.add({ runId: run.id }, jobOptions(run.id));
    }
    this.publishState(run);
    return run;
  }

  /**
   * Each step's flags and every parameter value for one run of a workflow: its fixed values and the student's for
   * those it exposes, filled in with the step pipeline's defaults (checked again: a pipeline may have changed).
   */
  private workflowSteps(workflow: RegisteredWorkflow, runParams: PipelineRun['params']): Array<Partial<PipelineRunStep>> {
    return workflow.steps.map((step) => {
      const pipeline = this.registry.getPipeline(step.pipeline);
      const values = ParamsRefusedException.wrap(() => resolveParams(pipeline.params, stepValues(step, runParams)));
      return { position: step.position, pipelineKey: pipeline.key, flags: step.flags, params: values.values, inputs: step.inputs, keep: step.keep };
    });
  }

  /**
   * A workflow run: the run and its steps in one transaction, the first step not yet done queued (its own job), the
   * ones after it pending. `done`: steps already done, reused from an earlier run (run again from a later step).
   */
  private async startWorkflow(
    workflow: Pick<RegisteredWorkflow, 'shortName' | 'versionId'>,
    target: Pick<Target, 'id'>,
    fields: Partial<PipelineRun>,
    steps: Array<Partial<PipelineRunStep>>,
    options: { enqueue?: boolean },
    done: Array<{ position: number; outputIds: number[]; fromRunId: number }> = [],
  ): Promise<PipelineRun> {
    const first = done.length + 1;
    const run = await this.runs.manager.transaction(async (manager) => {
      const inserted = await this.insertWithUniqueIdentifier(manager, workflow.shortName, target, { ...fields, workflowVersionId: workflow.versionId });
      await this.steps.insert(
        manager,
        steps.map((step) => {
          const reused = done.find((item) => item.position === step.position);
          return {
            ...step,
            runId: inserted.id,
            state: reused ? 'reused' : step.position === first ? 'queued' : 'pending',
            status: reused ? `Reused from run ${reused.fromRunId}` : step.position === first ? 'Waiting for a worker' : '',
            outputIds: reused?.outputIds ?? [],
            reusedFromRunId: reused?.fromRunId ?? null,
          } as Partial<PipelineRunStep>;
        }),
      );
      const reusedOutputs = done.flatMap((item) => item.outputIds);
      if (reusedOutputs.length) {
        // The earlier steps' products belong to this run's outputs too: its group holds every step's.
        const group = await manager.save(
          manager.create(DataProductGroup, {
            name: `${inserted.identifier}_outputs`,
            products: [...new Set(reusedOutputs)].map((id) => ({ id }) as DataProduct),
            createdById: fields.requestedById ?? null,
            visibility: 'private',
            classroomId: null,
          }),
        );
        await manager.query('UPDATE pipeline_runs SET output_group_id = $2 WHERE id = $1', [inserted.id, group.id]);
        inserted.outputGroupId = group.id;
      }
      return inserted;
    });
    if (options.enqueue !== false) await this.queue.add({ runId: run.id, step: first } satisfies RunJobData, jobOptions(run.id, first));
    this.publishState(run);
    return run;
  }

  /**
   * "Run again from step k": a new run of the same workflow version on the same inputs and values, whose steps
   * before k reuse the earlier run's stored outputs (each must have succeeded, or been reused itself).
   */
  async rerunFrom(earlier: PipelineRun, fromStep: number, user: SessionUser): Promise<PipelineRun> {
    if (!earlier.workflowVersionId) throw new BadRequestException('Only a workflow run can be run again from a step');
    const steps = await this.steps.listFor(earlier.id);
    if (!Number.isInteger(fromStep) || fromStep < 1 || fromStep > steps.length) throw new BadRequestException(`Choose a step from 1 to ${steps.length}`);
    const notDone = steps.find((step) => step.position < fromStep && step.state !== 'succeeded' && step.state !== 'reused');
    if (notDone) throw new BadRequestException(`Step ${notDone.position} did not succeed in this run, so the run cannot start again after it`);
    const { target, inputs } = await this.targetAndInputs(earlier.targetId, earlier.inputIds, user);
    const kept = steps.filter((step) => step.position < fromStep);
    const outputs = kept.flatMap((step) => step.outputIds);
    if (outputs.length) {
      const { target: sameTarget, inputs: still } = await this.targetAndInputs(earlier.targetId, outputs, user).catch(() => ({ target: null, inputs: [] as StartInput[] }));
      if (!sameTarget || still.length !== new Set(outputs).size) throw new BadRequestException('Outputs of the earlier steps were deleted: run the workflow from the start');
    }
    const [version] = await this.runs.manager.query('SELECT short_name AS "shortName" FROM workflow_versions WHERE id = $1', [earlier.workflowVersionId]);
    if (!version) throw new BadRequestException('That workflow version no longer exists');
    const provenance = {
      ...earlier.provenance,
      inputs: inputs.map((input) => ({ id: input.id, name: input.originalName, sha256: input.sha256 })),
      rerunOf: { runId: earlier.id, identifier: earlier.identifier, fromStep },
      requestedBy: user.username,
      requestedFrom: HOSTNAME,
      appVersion: APP_VERSION,
    };
    for (const key of ['startedAt', 'finishedAt', 'durationSeconds', 'workerHost', 'workerPid', 'peakRssBytes', 'steps']) delete (provenance as Record<string, unknown>)[key];
    return this.startWorkflow(
      { shortName: version.shortName, versionId: earlier.workflowVersionId },
      target,
      {
        pipelineKey: earlier.pipelineKey,
        targetId: target.id,
        inputIds: earlier.inputIds,
        flags: earlier.flags,
        params: earlier.params,
        state: 'queued',
        status: 'Waiting for a worker',
        requestedById: user.id,
        // Counted for the assignment only when its student runs it again.
        assignmentId: earlier.requestedById === user.id ? earlier.assignmentId : null,
        provenance,
      },
      steps.map((step) => ({ position: step.position, pipelineKey: step.pipelineKey, flags: step.flags, params: step.params, inputs: step.inputs, keep: step.keep })),
      {},
      kept.map((step) => ({ position: step.position, outputIds: step.outputIds, fromRunId: step.reusedFromRunId ?? earlier.id })),
    );
  }

  /** What a run's provenance download says: the run, its target, its provenance, and a workflow run's steps as they stand. */
  async provenanceOf(run: PipelineRun & { target: Target }): Promise<Record<string, unknown>> {
    const steps = run.workflowVersionId ? { steps: stepsProvenance(await this.steps.listFor(run.id)) } : {};
    return { identifier: run.identifier, pipeline: run.pipelineKey, state: run.state, target: { id: run.target.id, name: run.target.name }, ...run.provenance, ...steps };
  }

  /** A run and, for a workflow run, its steps: what the API shows of one run. */
  async withSteps(run: PipelineRun): Promise<{ run: PipelineRun; steps: PipelineRunStep[] }> {
    return { run, steps: run.workflowVersionId ? await this.steps.listFor(run.id) : [] };
  }

  stepsOf(runId: number): Promise<PipelineRunStep[]> {
    return this.steps.listFor(runId);
  }

  setStepStatus(runId: number, position: number, status: string): Promise<void> {
    return this.steps.setStatus(runId, position, status);
  }

  /** A step's outputs are stored (in `manager`'s transaction with them): null when the step is no longer running. */
  stepSucceeded(manager: EntityManager, runId: number, position: number, values: { outputIds: number[]; pointCount: number; provenance: Record<string, unknown> }) {
    return this.steps.succeeded(manager, runId, position, values);
  }

  stepRequeued(runId: number, position: number) {
    return this.steps.requeued(runId, position);
  }

  /** A workflow run ended early: its open step takes the end, the steps after it are skipped. */
  closeSteps(runId: number, state: 'failed' | 'cancelled', message: string | null, provenance?: Record<string, unknown>) {
    return this.steps.closeOpen(runId, state, message, provenance);
  }

  /** A worker takes a step of a workflow run (see RunStepsService.claim); the caller publishes the new state. */
  async claimStep(runId: number, position: number): Promise<(Omit<ClaimedStep, 'run'> & { run: PipelineRun }) | null> {
    const claimed = await this.steps.claim(runId, position, RUN_MAX_ATTEMPTS);
    if (!claimed) return null;
    return { ...claimed, run: this.hydrate(claimed.run) };
  }

  /**
   * A step succeeded and another follows: it waits for a worker, as its own job (unless `enqueue` is false: the
   * CLI runs the steps itself).
   */
  async advance(runId: number, next: number, stepCount: number, options: { enqueue?: boolean; outputGroupId?: number | null } = {}): Promise<PipelineRun | null> {
    await this.steps.queued(runId, next);
    const run = await this.transition(runId, ['running'], {
      status: `Step ${next} of ${stepCount}: waiting for a worker`,
      ...(options.outputGroupId ? { outputGroupId: options.outputGroupId } : {}),
    });
    if (run && options.enqueue !== false) await this.queue.add({ runId, step: next } satisfies RunJobData, jobOptions(runId, next));
    return run;
  }

  /**
   * Inserts the run under the first free identifier. The first few tries count up (`_2`, `_3`, …) so a second run in
   * the same second reads naturally; when a whole class presses Run on one target at once, later tries take a random
   * suffix instead, so concurrent starts stop colliding with each other rather than racing through the same numbers.
   */
  private async insertWithUniqueIdentifier(manager: EntityManager, shortName: string, target: Pick<Target, 'id'>, fields: Partial<PipelineRun>): Promise<PipelineRun> {
    const now = new Date();
    const base = runIdentifier(shortName, target.id, now, 0);
    // Suffixes this process already handed out for this second are skipped (taken synchronously, so starts in flight
    // together take different ones): a class starting together costs one INSERT a run, not one per earlier run.
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.identifierSecond) {
      this.identifierSecond = second;
      this.identifierTries.clear();
    }
    const first = this.identifierTries.get(base) ?? 0;
    for (let attempt = first; attempt < first + IDENTIFIER_ATTEMPTS; attempt++) {
      this.identifierTries.set(base, attempt + 1);
      const identifier = attempt < COUNTED_SUFFIXES ? runIdentifier(shortName, target.id, now, attempt) : `${base}_${randomBytes(3).toString('hex')}`;
      const [sql, params] = manager
        .createQueryBuilder()
        .insert()
        .into(PipelineRun)
        .values({ ...fields, identifier } as QueryDeepPartialEntity<PipelineRun>)
        .orIgnore()
        .returning('*')
        .getQueryAndParameters();
      const { rows } = await preparedQuery(manager, sql, params);
      if (rows.length) return this.hydrate(rows[0]);
    }
    throw new ConflictException('Could not choose a unique run identifier; try again');
  }

  /**
   * The target (404 when missing, 403 when not visible to `user`) and the input products (404 when one is missing,
   * 403 when its target is not visible), in one round trip: start() is on the path of every run.
   */
  private async targetAndInputs(targetId: number, inputIds: number[], user: SessionUser): Promise<{ target: StartTarget; inputs: StartInput[] }> {
    if (!isRowId(targetId)) throw new NotFoundException(`There is no target with id ${targetId}`);
    const ids = inputIds.filter(isRowId);
    const {
      rows: [row],
    } = await preparedQuery<StartTarget & { inputs: Array<StartInput & Owned> }>(
      this.runs.manager,
        `SELECT t.id, t.name, t.visibility, t.owner_id AS "ownerId", t.classroom_id AS "classroomId",
                (SELECT coalesce(json_agg(json_build_object('id', p.id, 'targetId', p.target_id, 'originalName', p.original_name,
                                                            'sha256', p.sha256, 'visibility', p.visibility, 'ownerId', p.uploaded_by_id,
                                                            'classroomId', p.classroom_id) ORDER BY p.id), '[]')
                 FROM data_products p WHERE p.id = ANY($2::int[])) AS inputs
         FROM targets t WHERE t.id = $1`,
        [targetId, ids],
      );
    if (!row) throw new NotFoundException(`There is no target with id ${targetId}`);
    if (!canViewTarget(user, row)) throw new ForbiddenException('This target is private: it is not shared with you');
    if (!inputIds.length) throw new BadRequestException('Tick at least one data product to run the pipeline on');
    const missing = inputIds.filter((id) => !row.inputs.some((input) => input.id === id));
    if (missing.length) throw new NotFoundException(`There is no data product with id ${missing.join(', ')}`);
    if (row.inputs.some((input) => !canView(user, input))) throw new ForbiddenException('A ticked data product is not shared with you');
    const { inputs, ...target } = row;
    return { target, inputs: inputs.map((input) => ({ id: input.id, targetId: input.targetId, originalName: input.originalName, sha256: input.sha256 })) };
  }

  /** A run from a row of pipeline_runs as `RETURNING *` (or row_to_json) gives it. */
  private hydrate(raw: Record<string, unknown>): PipelineRun {
    return hydrateRow(this.runs, raw);
  }

  /**
   * The run if it exists (404) and `user` may see it (403): the sharing policy on the run itself, not on its
   * target, since a run belongs to the student who started it. Its target comes along for the page.
   */
  async findVisible(id: number, user: SessionUser): Promise<PipelineRun & { target: Target }> {
    const run = isRowId(id)
      ? await this.runs
          .createQueryBuilder('r')
          .leftJoinAndSelect('r.requestedBy', 'requester')
          .leftJoinAndSelect('r.outputGroup', 'outputGroup')
          .innerJoinAndSelect('r.target', 'target')
          .where('r.id = :id', { id })
          .getOne()
      : null;
    if (!run) throw new NotFoundException(`There is no pipeline run with id ${id}`);
    if (!canView(user, PipelineRunsService.owned(run))) {
      throw new ForbiddenException('This run is not shared with you: only the student who started it, their teachers and those it is shared with may see it');
    }
    return run;
  }

  inputsOf(run: PipelineRun): Promise<DataProduct[]> {
    return run.inputIds.length ? this.products.find({ where: { id: In(run.inputIds) }, order: { originalName: 'ASC' } }) : Promise.resolve([]);
  }

  /** The runs on a target that `user` may see, newest first, in one query (find() with take would make two). */
  listForTarget(targetId: number, user: SessionUser, limit = 50): Promise<PipelineRun[]> {
    const visible = PipelineRunsService.visibleTo(user);
    return this.runs
      .createQueryBuilder('r')
      .leftJoinAndSelect('r.requestedBy', 'requester')
      .where('r.target_id = :targetId', { targetId })
      .andWhere(visible.sql, visible.params)
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit)
      .getMany();
  }

  /**
   * One page of the runs `user` may see (the sharing policy on each run), newest first, optionally of one target,
   * state or pipeline, or only the user's own, and how many match in all.
   */
  async page(
    user: SessionUser,
    filters: { targetId?: number; state?: string; pipelineKey?: string; mine?: boolean },
    page: { limit: number; offset: number },
  ): Promise<{ items: PipelineRun[]; total: number }> {
    const visible = PipelineRunsService.visibleTo(user);
    const query = this.runs.createQueryBuilder('r').leftJoinAndSelect('r.requestedBy', 'requester').where(visible.sql, visible.params);
    if (filters.targetId !== undefined) query.andWhere('r.target_id = :targetId', { targetId: filters.targetId });
    if (filters.state !== undefined) query.andWhere('r.state = :state', { state: filters.state });
    if (filters.pipelineKey !== undefined) query.andWhere('r.pipeline_key = :pipelineKey', { pipelineKey: filters.pipelineKey });
    if (filters.mine) query.andWhere('r.requested_by_id = :mine', { mine: user.id });
    const [items, total] = await query.orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').offset(page.offset).limit(page.limit).getManyAndCount();
    return { items, total };
  }

  /**
   * Shares a run and what it made, in one transaction: the run, its output group, the output products the run
   * created (members of that group uploaded by the run's requester) and its light-curve points. The owner, their
   * teachers and admins may (canChange); the class must be one of the sharer's (sharingRefusal).
   */
  async share(run: PipelineRun, user: SessionUser, request: { visibility: unknown; classroomId?: unknown }): Promise<PipelineRun & { target: Target }> {
    if (!canChange(user, PipelineRunsService.owned(run))) {
      throw new ForbiddenException('Only the student who started this run, their teacher or an admin may share it');
    }
    const sharing = await checkedSharing(this.runs.manager, user, request, run);
    const shared = await this.runs.manager.transaction(async (manager) => {
      // Locked first, as the runner locks it before storing outputs: outputs stored meanwhile get the new sharing.
      const [locked]: Array<{ requested_by_id: string | null; output_group_id: number | null }> = await manager.query(
        'SELECT requested_by_id, output_group_id FROM pipeline_runs WHERE id = $1 FOR UPDATE',
        [run.id],
      );
      if (!locked) throw new NotFoundException(`There is no pipeline run with id ${run.id}`);
      const values = [sharing.visibility, sharing.classroomId];
      await manager.query('UPDATE pipeline_runs SET visibility = $2, classroom_id = $3, updated_at = now() WHERE id = $1', [run.id, ...values]);
      if (locked.output_group_id !== null) {
        await manager.query(
          'UPDATE data_product_groups SET visibility = $2, classroom_id = $3 WHERE id = $1 AND created_by_id IS NOT DISTINCT FROM $4',
          [locked.output_group_id, ...values, locked.requested_by_id],
        );
        await manager.query(
          `UPDATE data_products SET visibility = $2, classroom_id = $3
            WHERE uploaded_by_id = $4 AND id IN (SELECT data_product_id FROM data_product_group_members WHERE group_id = $1)`,
          [locked.output_group_id, ...values, locked.requested_by_id],
        );
      }
      await manager.query('UPDATE reduced_data SET visibility = $2, classroom_id = $3 WHERE run_id = $1', [run.id, ...values]);
      return { ownerId: locked.requested_by_id, ...sharing };
    });
    // Sockets watching the run that may no longer see it are sent out of its room.
    this.events.accessChanged(run.id, shared);
    return this.findVisible(run.id, user);
  }

  /** The run page's sharing select (for those who may change the run). */
  sharingChoices(user: SessionUser, run: PipelineRun): Promise<ShareOption[]> {
    return sharingChoices(this.runs.manager, user, run);
  }

  /** Whom the run is shared with, in words. */
  sharingLabel(run: Pick<PipelineRun, 'visibility' | 'classroomId'>): Promise<string> {
    return sharingLabel(this.runs.manager, run);
  }

  /** Who may change the run (canChange): a queued run is taken off the queue; a running one is told to stop. */
  async cancel(run: PipelineRun, user: SessionUser): Promise<PipelineRun> {
    if (!canChange(user, PipelineRunsService.owned(run))) {
      throw new ForbiddenException('Only the student who started this run, their teacher or an admin may cancel it');
    }
    if (TERMINAL_STATES.includes(run.state)) return run;
    if (run.workflowVersionId) {
      // A step waiting for a worker (the first, or one between two steps) is taken off the queue; a running one is told.
      const open = await this.steps.open(run.id);
      if (open && open.state !== 'running') {
        const job = await this.queue.getJob(jobIdFor(run.id, open.position));
        const removed = job ? await job.remove().then(() => true, () => false) : true;
        if (removed) {
          const updated = await this.transition(run.id, ['queued', 'running'], { state: 'cancelled', status: 'Cancelled', failureMessage: null, finishedAt: new Date() });
          if (updated) {
            await this.steps.closeOpen(run.id, 'cancelled', null);
            return updated;
          }
        }
      }
    } else if (run.state === 'queued') {
      const job = await this.queue.getJob(jobIdFor(run.id));
      await job?.remove().catch(() => undefined);
      const updated = await this.transition(run.id, ['queued'], { state: 'cancelled', status: 'Cancelled before it started', finishedAt: new Date() });
      if (updated) return updated;
    }
    await this.events.requestCancel(run.id);
    return this.runs.findOneByOrFail({ id: run.id });
  }

  /** Moves a run to new values only if it is still in one of `from`; returns the updated run, or null. */
  async transition(id: number, from: PipelineState[], values: Partial<PipelineRun>): Promise<PipelineRun | null> {
    // The UPDATE returns the row it wrote (and its target's name, for the notification): no second round trip.
    const [sql, params] = this.updateStatement(id, from, values);
    const { rows } = await preparedQuery(this.runs.manager, sql, params);
    return this.afterUpdate(rows, values);
  }

  /**
   * The runner records a run's end: its last log lines (RunLogWriter.finish) and its new state in one statement, one
   * commit, so a run shown ended has every line stored. The lines are stored even when the run is no longer in
   * `from` (as a flush before the transition would have); `announce` pushes them, before the state is published.
   * Should the lines be refused (a database error on their values), the state is still recorded, without them.
   */
  async end(id: number, from: PipelineState[], values: Partial<PipelineRun>, lines: LogLineEvent[], announce: (lines: LogLineEvent[]) => void): Promise<PipelineRun | null> {
    if (!lines.length) return this.transition(id, from, values);
    const [update, params] = this.updateStatement(id, from, values);
    let rows: Array<Record<string, unknown>>;
    try {
      ({ rows } = await preparedQuery(this.runs.manager, `WITH lines AS (${insertLinesSql(params.length + 1)}) ${update}`, [...params, ...insertLinesParams(id, lines)]));
    } catch (error) {
      this.logger.error(`The last ${lines.length} log line(s) of run ${id} were not stored: ${(error as Error).message}`);
      return this.transition(id, from, values);
    }
    announce(lines);
    return this.afterUpdate(rows, values);
  }

  /**
   * The UPDATE of a run still in one of `from`, returning the row and its target's name ("targetName"). Written
   * here rather than by the query builder, whose statement building cost more than the statement on this path; the
   * values are converted as TypeORM converts what it writes (JSON, dates).
   */
  private updateStatement(id: number, from: PipelineState[], values: Partial<PipelineRun>): [string, unknown[]] {
    const driver = this.runs.manager.connection.driver;
    const params: unknown[] = [id, from];
    const sets: string[] = [];
    for (const [property, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const column = this.runs.metadata.findColumnWithPropertyName(property);
      if (!column) throw new TypeError(`A pipeline run has no column ${property}`);
      params.push(driver.preparePersistentValue(value, column));
      sets.push(`"${column.databaseName}" = $${params.length}`);
    }
    sets.push('updated_at = now()');
    return [`UPDATE pipeline_runs SET ${sets.join(', ')} WHERE id = $1 AND state = ANY($2::varchar[]) RETURNING ${RETURNING_WITH_TARGET_NAME}`, params];
  }

  /** What follows a stored change of a run: its state published, and its end (if it ended) notified. */
  private async afterUpdate(rows: Array<Record<string, unknown>>, values: Partial<PipelineRun>): Promise<PipelineRun | null> {
    if (!rows.length) return null;
    const { targetName, ...raw } = rows[0];
    const run = this.hydrate(raw);
    this.publishState(run);
    if (values.state) await this.notifyEnded(run, targetName as string | null);
    return run;
  }

  /**
   * A worker takes a queued run (or one it runs again after a requeue), in one statement, counting the attempt:
   * the run as now stored, the seq of its last stored log line, its target and its inputs (null when the run is
   * gone, already finished, or has used all RUN_MAX_ATTEMPTS; see giveUp). The caller publishes the new state.
   */
  async claim(id: number): Promise<ClaimedRun | null> {
    const { rows } = await preparedQuery<Record<string, unknown> & Pick<ClaimedRun, 'lastLogSeq' | 'target' | 'inputs'>>(
      this.runs.manager,
      `UPDATE pipeline_runs r SET state = 'running', status = 'Starting', started_at = $2, attempt = r.attempt + 1, updated_at = now()
       WHERE r.id = $1 AND r.state IN ('queued', 'running') AND r.attempt < $3
       RETURNING r.*,
         (SELECT coalesce(max(l.seq), 0)::int FROM pipeline_log_lines l WHERE l.run_id = r.id) AS "lastLogSeq",
         (SELECT json_build_object('id', t.id, 'name', t.name, 'type', t.type, 'ra', t.ra, 'dec', t.dec) FROM targets t WHERE t.id = r.target_id) AS target,
         (SELECT coalesce(json_agg(json_build_object('id', p.id, 'storedPath', p.stored_path, 'originalName', p.original_name,
                                                     'sha256', p.sha256, 'productType', p.product_type) ORDER BY p.original_name), '[]')
          FROM data_products p WHERE p.id = ANY(r.input_ids)) AS inputs`,
      [id, new Date(), RUN_MAX_ATTEMPTS],
    );
    if (!rows.length) return null;
    const [{ lastLogSeq, target, inputs, ...raw }] = rows;
    // Not published here: the runner publishes the start once the run has gone on a moment (or sooner, with its
    // first lines), so a run that ends at once publishes its end alone.
    return { run: this.hydrate(raw), lastLogSeq, target, inputs };
  }

  async setStatus(id: number, status: string): Promise<void> {
    const run = await this.transition(id, ['running'], { status: status.slice(0, 500) });
    if (!run) this.logger.debug(`Status of run ${id} not changed: it is no longer running`);
  }

  publishState(run: PipelineRun) {
    this.events.runState(PipelineRunsService.owned(run), {
      runId: run.id,
      targetId: run.targetId,
      state: run.state,
      status: run.status,
      failureMessage: run.failureMessage,
      attempt: run.attempt,
      maxAttempts: RUN_MAX_ATTEMPTS,
      outputGroupId: run.outputGroupId,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
    }, run.assignmentId ?? null);
  }

  /**
   * Tells the student who started a run that it ended (succeeded, failed with its message, or was cancelled), once
   * the state is committed: every state change of a run passes transition() or handOver(), and a run leaves
   * queued/running only once, so this is called once per end, in whichever process ended it (web, worker, CLI).
   * Best effort: a run's end never fails for want of a notification.
   */
  private async notifyEnded(run: PipelineRun, targetName: string | null): Promise<void> {
    const ended = NOTIFIED_ENDS[run.state];
    if (!ended || !run.requestedById) return;
    const pipeline = this.registry.find(run.pipelineKey)?.name ?? run.pipelineKey;
    const body = run.state === 'failed' ? run.failureMessage ?? run.status : `Run ${run.identifier}: ${run.status}`;
    await new Promise<void>((resolve) => {
      this.endsToNotify.push({
        runId: run.id,
        event: { userId: run.requestedById!, kind: 'run-ended', title: `Your run of ${pipeline} on ${targetName ?? 'a deleted target'} ${ended}`, body, link: `/pipeline/${run.id}` },
        done: resolve,
      });
      this.notifyingEnds ??= this.notifyEnds();
    });
  }

  /**
   * The ends of the runs that ended while a notify() was in flight go together in the next one (two statements for
   * them all, not two per run), as a busy worker ends runs faster than one at a time. Each end's caller waits for
   * its own to be done, so a run's job still completes only once its requester is notified.
   */
  private async notifyEnds(): Promise<void> {
    // Ends recorded in this turn of the event loop go together too.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.endsToNotify.length) {
        const batch = this.endsToNotify.splice(0, MAX_ENDS_PER_NOTIFY);
        try {
          await this.notifications.notify(batch.map((end) => end.event));
        } catch (error) {
          this.logger.warn(`Could not notify the end of run(s) ${batch.map((end) => end.runId).join(', ')}: ${(error as Error).message}`);
        }
        for (const end of batch) end.done();
      }
    } finally {
      this.notifyingEnds = undefined;
    }
  }

  /**
   * A run that claim() refused because it has used all its attempts (its workers stopped during each) fails, with
   * a log line and a message saying so; null if it is not such a run.
   */
  async giveUp(id: number): Promise<PipelineRun | null> {
    const message = `Stopped after ${RUN_MAX_ATTEMPTS} attempts: its worker stopped during each of them`;
    const failed = await this.handOver(id, ['queued', 'running'], 'error', message, { state: 'failed', status: 'Failed', failureMessage: message, finishedAt: new Date() }, (run) => run.attempt >= RUN_MAX_ATTEMPTS);
    if (failed?.workflowVersionId) await this.steps.closeOpen(id, 'failed', message);
    return failed;
  }

  /**
   * A run interrupted because its worker is stopping (its lines are stored): queued again for the next worker, or,
   * after its last attempt, marked interrupted, with a log line saying which.
   */
  interrupted(id: number, attempt: number): Promise<PipelineRun | null> {
    if (attempt >= RUN_MAX_ATTEMPTS) {
      return this.handOver(
        id,
        ['running'],
        'warning',
        `Worker stopping: interrupted during attempt ${attempt} of ${RUN_MAX_ATTEMPTS}, its last; the run is not started again`,
        { state: 'interrupted', status: 'Interrupted', failureMessage: `Interrupted: its worker stopped during the last of ${RUN_MAX_ATTEMPTS} attempts. Run it again to retry.`, finishedAt: new Date() },
      );
    }
    return this.handOver(
      id,
      ['running'],
      'warning',
      `Worker stopping: interrupted during attempt ${attempt} of ${RUN_MAX_ATTEMPTS}; the run is queued again and continues on the next worker`,
      { state: 'queued', status: `Waiting for a worker: attempt ${attempt} of ${RUN_MAX_ATTEMPTS} was interrupted when its worker stopped` },
    );
  }

  /**
   * A new state and the log line that explains it, in one transaction, while no worker writes the run's log (it
   * is between workers): the line goes after the last stored one. Both are published once committed.
   */
  private async handOver(
    id: number,
    from: PipelineState[],
    level: LogLevel,
    text: string,
    values: Partial<PipelineRun>,
    applies: (run: Pick<PipelineRun, 'state' | 'attempt'>) => boolean = () => true,
  ): Promise<PipelineRun | null> {
    const done = await this.runs.manager.transaction(async (manager) => {
      const [current]: Array<Pick<PipelineRun, 'state' | 'attempt'>> = await manager.query('SELECT state, attempt FROM pipeline_runs WHERE id = $1 FOR UPDATE', [id]);
      if (!current || !from.includes(current.state) || !applies(current)) return null;
      const [line]: LogLineEvent[] = await manager.query(
        `INSERT INTO pipeline_log_lines (run_id, seq, time, level, text)
         SELECT $1, coalesce(max(seq), 0) + 1, now(), $2, $3 FROM pipeline_log_lines WHERE run_id = $1
         RETURNING run_id AS "runId", seq, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time, level, text`,
        [id, level, text],
      );
      const result = await manager
        .createQueryBuilder()
        .update(PipelineRun)
        .set(values as QueryDeepPartialEntity<PipelineRun>)
        .where('id = :id', { id })
        .returning(RETURNING_WITH_TARGET_NAME)
        .execute();
      const { targetName, ...raw } = result.raw[0];
      return { line, run: this.hydrate(raw), targetName: targetName as string | null };
    });
    if (!done) return null;
    this.events.logLines(id, [done.line]);
    this.publishState(done.run);
    await this.notifyEnded(done.run, done.targetName);
    return done.run;
  }

  /**
   * At boot: runs left queued or running without a live Bull job are queued again, in the order they were made.
   * With the embedded default this is every such run (its Redis keeps nothing across restarts: runs interrupted
   * by the last stop, runs still waiting, and runs whose process died); on servers, runs whose job was lost or
   * ended without the run hearing of it. claim() counts their attempts, so a run whose worker keeps dying stops.
   */
  async requeueOrphans(): Promise<number> {
    const open = await this.runs.find({ where: { state: In(['queued', 'running']) }, order: { id: 'ASC' } });
    let requeued = 0;
    for (const run of open) {
      // A workflow run's job is its open step's; a run with none open (stopped between two steps) queues the next.
      const step = run.workflowVersionId ? await this.steps.open(run.id) : null;
      if (run.workflowVersionId && !step) continue;
      const position = step?.position;
      const job = await this.queue.getJob(jobIdFor(run.id, position));
      const jobState = job ? await job.getState() : null;
      if (job && jobState !== 'completed' && jobState !== 'failed') continue;
      // A finished job would keep the run's job id taken.
      await job?.remove().catch(() => undefined);
      const waiting =
        run.state === 'running' && step?.state !== 'pending'
          ? { state: 'queued' as const, status: `Waiting for a worker: attempt ${run.attempt} of ${RUN_MAX_ATTEMPTS} stopped with its worker` }
          : { state: 'queued' as const };
      const updated = await this.transition(run.id, [run.state], waiting);
      if (!updated) continue;
      if (position) await this.steps.queued(run.id, position);
      await this.queue.add({ runId: run.id, step: position } satisfies RunJobData, jobOptions(run.id, position));
      requeued++;
    }
    return requeued;
  }
}

