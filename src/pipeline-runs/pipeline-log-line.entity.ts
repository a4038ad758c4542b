import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PipelineRun } from './pipeline-run.entity';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** A log line of a run; (process, seq) is unique so a reconnecting page can ask for "after seq N". */
@Entity('pipeline_log_lines')
@Index('pipeline_log_lines_run_seq_key', ['runId', 'seq'], { unique: true })
export class PipelineLogLine {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'run_id' })
  runId: number;

  @ManyToOne(() => PipelineRun, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id' })
  process: PipelineRun;

  @Column({ type: 'int' })
  seq: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  time: Date;

  @Column({ type: 'varchar', length: 8, default: 'info' })
  level: LogLevel;

  @Column({ type: 'text' })
  text: string;
}
