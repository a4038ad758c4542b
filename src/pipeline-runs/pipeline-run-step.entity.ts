import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PipelineRun } from './pipeline-run.entity';

/**
 * A step's state. `pending`: an earlier step has not finished; `queued`: its job waits for a worker; `reused`: a
 * run again from a later step took this step's outputs from an earlier run; `skipped`: an earlier step failed or
 * the run was cancelled.
 */
export const STEP_STATES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'reused'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** Which products a step works on: the run's inputs, or what the step before it made. */
export type StepInputs = 'run' | 'previous';

/** One step of a workflow run (table pipeline_run_steps): a registered pipeline with its values, run as its own job. */
@Entity('pipeline_run_steps')
@Index('pipeline_run_steps_run_position_key', ['runId', 'position'], { unique: true })
export class PipelineRunStep {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'run_id' })
  runId: number;

  @ManyToOne(() => PipelineRun, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id' })
  run: PipelineRun;

  /** 1 for the first step. */
  @Column({ type: 'int' })
  position: number;

  /** The registered pipeline the step runs (its display name). */
  @Column({ name: 'pipeline_key', type: 'varchar', length: 100 })
  pipelineKey: string;

  @Column({ type: 'jsonb', default: {} })
  flags: Record<string, boolean>;

  /** Every parameter's value for this step: the workflow's fixed ones and the student's for those exposed. */
  @Column({ type: 'jsonb', default: {} })
  params: Record<string, number | string | null>;

  @Column({ type: 'varchar', length: 8 })
  inputs: StepInputs;

  /** From the step before: only products with these endings or types (empty: what the step's pipeline takes). */
  @Column({ type: 'jsonb', default: {} })
  keep: { suffixes?: string[]; productTypes?: string[] };

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  state: StepState;

  @Column({ type: 'text', default: '' })
  status: string;

  @Column({ name: 'failure_message', type: 'text', nullable: true })
  failureMessage: string | null;

  @Column({ type: 'int', default: 0 })
  attempt: number;

  /** The data products the step made (or, when reused, that the earlier run's step made). */
  @Column({ name: 'output_ids', type: 'int', array: true, default: () => "'{}'" })
  outputIds: number[];

  /** Light-curve points the step stored. */
  @Column({ name: 'point_count', type: 'int', default: 0 })
  pointCount: number;

  /** The run whose step outputs this one reused. */
  @Column({ name: 'reused_from_run_id', type: 'int', nullable: true })
  reusedFromRunId: number | null;

  /** The seq of the step's first log line: the run page's step sections start there. */
  @Column({ name: 'first_log_seq', type: 'int', nullable: true })
  firstLogSeq: number | null;

  /** The pipeline's version and the step's values with their timing, recorded as it ends. */
  @Column({ type: 'jsonb', default: {} })
  provenance: Record<string, unknown>;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
