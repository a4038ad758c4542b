import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';
import { WorkflowStepSpec } from './workflow-definition';

/** Where a workflow was declared: the server's config file, or composed by a teacher at /pipelines/new. */
export type WorkflowSource = 'config' | 'composed';

/**
 * One version of a workflow (table workflow_versions): an ordered list of steps, each a registered pipeline.
 * A workflow is never edited in place: saving it adds the next version, and a run records the one it ran.
 */
@Entity('workflow_versions')
@Index('workflow_versions_name_version_key', ['name', 'version'], { unique: true })
export class WorkflowVersion {
  @PrimaryGeneratedColumn()
  id: number;

  /** The workflow's display name, as the picker and runs show it (its registry key). */
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'short_name', type: 'varchar', length: 60 })
  shortName: string;

  /** 1 for the first version of the name, then one more per save. */
  @Column({ type: 'int' })
  version: number;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'jsonb' })
  steps: WorkflowStepSpec[];

  @Column({ type: 'varchar', length: 10 })
  source: WorkflowSource;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  createdById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_id' })
  createdBy: User | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
