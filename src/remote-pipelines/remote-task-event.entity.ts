import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PipelineRun } from '../pipeline-runs/pipeline-run.entity';

export const REMOTE_EVENT_KINDS = ['status', 'progress', 'log', 'output', 'done', 'failed'] as const;
export type RemoteEventKind = (typeof REMOTE_EVENT_KINDS)[number];

/**
 * An event a processing service sent about a remote run (table remote_task_events), accepted and waiting for the
 * run's worker, which reads them in order. Its (run, event id) is unique: a replayed event is refused.
 */
@Entity('remote_task_events')
@Index('remote_task_events_run_event_key', ['runId', 'eventId'], { unique: true })
export class RemoteTaskEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'run_id' })
  runId: number;

  @ManyToOne(() => PipelineRun, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id' })
  run: PipelineRun;

  /** The service's id for the event. */
  @Column({ name: 'event_id', type: 'varchar', length: 100 })
  eventId: string;

  @Column({ type: 'varchar', length: 10 })
  kind: RemoteEventKind;

  /** The event's fields as checked (status text, i and n, log lines, an output's name and types, a message). */
  @Column({ type: 'jsonb', default: {} })
  payload: Record<string, unknown>;

  /** An output's file, kept under DATA_DIR until the run ends (stored as its output only when "done" comes). */
  @Column({ name: 'file_path', type: 'text', nullable: true })
  filePath: string | null;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}
