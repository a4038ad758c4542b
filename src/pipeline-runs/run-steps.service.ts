import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { hydrateRow } from '../database/hydrate-row';
import { PipelineEventsService, RunStepEvent } from './pipeline-events.service';
import { PipelineRunStep, StepState } from './pipeline-run-step.entity';
import { ClaimedRun } from './pipeline-runs.service';

/** A step a worker has taken, with its run as claim() gives it and the products the step works on. */
export interface ClaimedStep extends Omit<ClaimedRun, 'run'> {
  /** The run's row as the claim left it (PipelineRunsService.claimStep converts it). */
  run: Record<string, unknown>;
  step: PipelineRunStep;
  /** How many steps the run has. */
  stepCount: number;
}

/** The steps still to run: a step not yet at an end. */
const OPEN_STEP_STATES: StepState[] = ['pending', 'queued', 'running'];

/** The one writer of pipeline_run_steps: a workflow run's steps, their states, outputs and provenance. */
@Injectable()
export class RunStepsService {
  constructor(
    @InjectRepository(PipelineRunStep) private readonly steps: Repository<PipelineRunStep>,
    private readonly events: PipelineEventsService,
  ) {}

  /** A new run's steps, in the transaction that inserts the run. */
  async insert(manager: EntityManager, steps: Array<Partial<PipelineRunStep>>): Promise<void> {
    await manager.createQueryBuilder().insert().into(PipelineRunStep).values(steps as Array<QueryDeepPartialEntity<PipelineRunStep>>).execute();
  }

  listFor(runId: number): Promise<PipelineRunStep[]> {
    return this.steps.find({ where: { runId }, order: { position: 'ASC' } });
  }

  /** The step that runs next or now: the first not at an end (null when none is left). */
  async open(runId: number): Promise<PipelineRunStep | null> {
    const steps = await this.listFor(runId);
    return steps.find((step) => OPEN_STEP_STATES.includes(step.state)) ?? null;
  }

  /**
   * A worker takes step `position` of a run, in one statement with the run (now running, its attempt the step's):
   * null when the run is no longer open, the step not queued or running, or it used all `maxAttempts`. Its inputs
   * are the run's, or the previous step's outputs, as the step says; the caller keeps those its pipeline takes.
   */
  async claim(runId: number, position: number, maxAttempts: number): Promise<ClaimedStep | null> {
    const [row]: Array<Record<string, unknown>> = await this.steps.manager.query(
      `WITH s AS (
         UPDATE pipeline_run_steps s SET state = 'running', status = 'Starting', started_at = $3, attempt = s.attempt + 1, finished_at = NULL,
           first_log_seq = (SELECT coalesce(max(l.seq), 0) + 1 FROM pipeline_log_lines l WHERE l.run_id = s.run_id)
         WHERE s.run_id = $1 AND s.position = $2 AND s.state IN ('queued', 'running') AND s.attempt < $4
           AND EXISTS (SELECT 1 FROM pipeline_runs r WHERE r.id = s.run_id AND r.state IN ('queued', 'running'))
         RETURNING s.*),
       r AS (
         UPDATE pipeline_runs r SET state = 'running', status = 'Step ' || s.position || ' of ' || (SELECT count(*) FROM pipeline_run_steps c WHERE c.run_id = r.id) || ': starting',
           started_at = coalesce(r.started_at, $3), attempt = s.attempt, updated_at = now()
         FROM s WHERE r.id = s.run_id
         RETURNING r.*)
       SELECT row_to_json(s) AS step, row_to_json(r) AS run,
         (SELECT count(*)::int FROM pipeline_run_steps c WHERE c.run_id = $1) AS "stepCount",
         s.first_log_seq - 1 AS "lastLogSeq",
         (SELECT json_build_object('id', t.id, 'name', t.name, 'type', t.type, 'ra', t.ra, 'dec', t.dec) FROM targets t WHERE t.id = r.target_id) AS target,
         (SELECT coalesce(json_agg(json_build_object('id', p.id, 'storedPath', p.stored_path, 'originalName', p.original_name,
                                                     'sha256', p.sha256, 'productType', p.product_type) ORDER BY p.original_name), '[]')
          FROM data_products p
          WHERE p.id = ANY(CASE WHEN s.inputs = 'run' THEN r.input_ids
                                ELSE (SELECT prev.output_ids FROM pipeline_run_steps prev WHERE prev.run_id = $1 AND prev.position = s.position - 1) END)) AS inputs
       FROM s, r`,
      [runId, position, new Date(), maxAttempts],
    );
    if (!row) return null;
    const step = hydrateRow(this.steps, row.step as Record<string, unknown>);
    this.publish(step);
    return {
      step,
      run: row.run as Record<string, unknown>,
      stepCount: row.stepCount as number,
      lastLogSeq: row.lastLogSeq as number,
      target: row.target as ClaimedRun['target'],
      inputs: row.inputs as ClaimedRun['inputs'],
    };
  }

  /** A running step's status text (its progress bar reads "i/n" in it). */
  async setStatus(runId: number, position: number, status: string): Promise<void> {
    await this.update(this.steps.manager, runId, position, ['running'], { status });
  }

  /** A step that did its work: its outputs (stored in `manager`'s transaction with them) and its provenance. */
  succeeded(manager: EntityManager, runId: number, position: number, values: { outputIds: number[]; pointCount: number; provenance: Record<string, unknown> }): Promise<PipelineRunStep | null> {
    return this.update(manager, runId, position, ['running'], { ...values, state: 'succeeded', status: 'Finished', finishedAt: new Date() });
  }

  /** The next step waits for a worker. */
  queued(runId: number, position: number): Promise<PipelineRunStep | null> {
    return this.update(this.steps.manager, runId, position, ['pending', 'queued', 'running'], { state: 'queued', status: 'Waiting for a worker' });
  }

  /** A step handed back to the queue by its worker's stop. */
  requeued(runId: number, position: number): Promise<PipelineRunStep | null> {
    return this.update(this.steps.manager, runId, position, ['running', 'queued'], { state: 'queued', status: 'Waiting for a worker' });
  }

  /**
   * The run ended early (a failure, a cancel, a time limit): its open step takes `state` with the message and its
   * provenance, the steps after it are skipped.
   */
  async closeOpen(runId: number, state: 'failed' | 'cancelled', message: string | null, provenance?: Record<string, unknown>): Promise<void> {
    const open = await this.open(runId);
    if (!open) return;
    await this.update(this.steps.manager, runId, open.position, OPEN_STEP_STATES, {
      state,
      status: state === 'failed' ? 'Failed' : 'Cancelled',
      failureMessage: message,
      finishedAt: new Date(),
      ...(provenance ? { provenance } : {}),
    });
    // The steps after it that had not ended are skipped, in one statement; each is published as before.
    const skipped = await this.steps.manager
      .createQueryBuilder()
      .update(PipelineRunStep)
      .set({ state: 'skipped', status: 'Skipped' } as QueryDeepPartialEntity<PipelineRunStep>)
      .where('run_id = :runId AND position > :position AND state IN (:...from)', { runId, position: open.position, from: OPEN_STEP_STATES })
      .returning('*')
      .execute();
    const steps = (skipped.raw as Array<Record<string, unknown>>).map((raw) => hydrateRow(this.steps, raw)).sort((a, b) => a.position - b.position);
    for (const step of steps) this.publish(step);
  }

  private async update(manager: EntityManager, runId: number, position: number, from: StepState[], values: Partial<PipelineRunStep>): Promise<PipelineRunStep | null> {
    const result = await manager
      .createQueryBuilder()
      .update(PipelineRunStep)
      .set(values as QueryDeepPartialEntity<PipelineRunStep>)
      .where('run_id = :runId AND position = :position AND state IN (:...from)', { runId, position, from })
      .returning('*')
      .execute();
    if (!result.raw.length) return null;
    const step = hydrateRow(this.steps, result.raw[0]);
    this.publish(step);
    return step;
  }

  publish(step: PipelineRunStep): void {
    this.events.runStep(stepEvent(step));
  }
}

/** What a run page hears of a step (socket event 'run-step'). */
export function stepEvent(step: PipelineRunStep): RunStepEvent {
  return {
    runId: step.runId,
    position: step.position,
    pipeline: step.pipelineKey,
    state: step.state,
    status: step.status,
    failureMessage: step.failureMessage,
    attempt: step.attempt,
    outputCount: step.outputIds.length,
    pointCount: step.pointCount,
    firstLogSeq: step.firstLogSeq,
    startedAt: step.startedAt?.toISOString() ?? null,
    finishedAt: step.finishedAt?.toISOString() ?? null,
  };
}

/** The steps as provenance records them: each one's pipeline version, values, inputs, timing and outputs. */
export function stepsProvenance(steps: PipelineRunStep[]): Array<Record<string, unknown>> {
  return steps.map((step) => ({
    step: step.position,
    pipeline: step.pipelineKey,
    state: step.state,
    ...(step.reusedFromRunId ? { reusedFromRunId: step.reusedFromRunId } : {}),
    outputIds: step.outputIds,
    pointCount: step.pointCount,
    ...step.provenance,
  }));
}
