import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

/** A named set of flag and parameter values a teacher saved for a pipeline ("Quick look", "Full reduction"). */
@Entity('pipeline_presets')
@Index('pipeline_presets_key_name_key', ['pipelineKey', 'name'], { unique: true })
export class PipelinePreset {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'pipeline_key', type: 'varchar', length: 100 })
  pipelineKey: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'jsonb', default: {} })
  flags: Record<string, boolean>;

  /** The typed parameters' values it sets (the others keep their defaults). */
  @Column({ type: 'jsonb', default: {} })
  params: Record<string, number | string | null>;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  createdById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_id' })
  createdBy: User | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
