import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Assignment } from '../assignments/assignment.entity';
import { Classroom } from '../classrooms/classroom.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { Target } from '../targets/target.entity';
import { User } from '../users/user.entity';
import { Visibility } from '../sharing/visibility';
import { WorkflowVersion } from '../workflows/workflow-version.entity';

export const PIPELINE_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

/** One run of a registered pipeline over some of a target's data products (table pipeline_runs, DESIGN's PipelineProcess). */
@Entity('pipeline_runs')
// (target_id, created_at DESC, id DESC) and (created_at DESC, id DESC): runs newest first (migration RunIndexes).
@Index('pipeline_runs_target_created_idx', { synchronize: false })
@Index('pipeline_runs_created_idx', { synchronize: false })
// (requested_by_id, created_at DESC): an owner's runs newest first (migration ClassesAndSharing).
@Index('pipeline_runs_owner_idx', { synchronize: false })
@Index('pipeline_runs_assignment_idx', ['assignmentId', 'requestedById'])
export class PipelineRun {
  @PrimaryGeneratedColumn()
  id: number;

  /** Key of the pipeline in the registry (its display name). */
  @Column({ name: 'pipeline_key', type: 'varchar', length: 100 })
  pipelineKey: string;

  @Column({ type: 'varchar', length: 200, unique: true })
  identifier: string;

  @Column({ name: 'target_id' })
  targetId: number;

  @ManyToOne(() => Target, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'target_id' })
  target: Target;

  /** Ids of the input data products. */
  @Column({ name: 'input_ids', type: 'int', array: true, default: () => "'{}'" })
  inputIds: number[];

  @Column({ type: 'jsonb', default: {} })
  flags: Record<string, boolean>;

  /** For a workflow run: the version of the workflow it ran (its steps are in pipeline_run_steps). */
  @Column({ name: 'workflow_version_id', type: 'int', nullable: true })
  workflowVersionId: number | null;

  @ManyToOne(() => WorkflowVersion, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'workflow_version_id' })
  workflowVersion: WorkflowVersion | null;

  /** Every typed parameter's value, checked at start (null: an optional one left empty). */
  @Column({ type: 'jsonb', default: {} })
  params: Record<string, number | string | null>;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  state: PipelineState;

  /** Free text for the current step. */
  @Column({ type: 'text', default: '' })
  status: string;

  @Column({ name: 'failure_message', type: 'text', nullable: true })
  failureMessage: string | null;

  /** How many times a worker has started this run: 0 while queued for the first time, 2 after one restart. */
  @Column({ type: 'int', default: 0 })
  attempt: number;

  @Column({ name: 'output_group_id', type: 'int', nullable: true })
  outputGroupId: number | null;

  @ManyToOne(() => DataProductGroup, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'output_group_id' })
  outputGroup: DataProductGroup | null;

  @Column({ name: 'requested_by_id', type: 'uuid', nullable: true })
  requestedById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'requested_by_id' })
  requestedBy: User | null;

  /** What ran, on what, with which versions: enough to reproduce the run. */
  @Column({ type: 'jsonb', default: {} })
  provenance: Record<string, unknown>;

  /** Who may see it besides its owner (see sharing/visibility.ts). */
  @Column({ type: 'varchar', length: 8, default: 'private' })
  visibility: Visibility;

  /** The class it is shared with when `visibility` is 'class'. */
  @Column({ name: 'classroom_id', type: 'int', nullable: true })
  classroomId: number | null;

  @ManyToOne(() => Classroom, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'classroom_id', foreignKeyConstraintName: 'pipeline_runs_classroom_id_fkey' })
  classroom: Classroom | null;

  /** The assignment this run was started for (its progress table and hand-ins read it). */
  @Column({ name: 'assignment_id', type: 'int', nullable: true })
  assignmentId: number | null;

  @ManyToOne(() => Assignment, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'assignment_id' })
  assignment: Assignment | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
