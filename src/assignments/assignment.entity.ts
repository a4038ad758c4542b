import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Classroom } from '../classrooms/classroom.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { Target } from '../targets/target.entity';
import { User } from '../users/user.entity';

/** A pipeline an assignment allows, optionally with the preset it should start from. */
export interface AssignmentPipeline {
  name: string;
  presetId: number | null;
}

/** The evening's work a teacher sets a class: a target, what to work from, which pipelines, and when it is due. */
@Entity('assignments')
@Index('assignments_classroom_due_idx', ['classroomId', 'dueAt'])
export class Assignment {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'classroom_id' })
  classroomId: number;

  @ManyToOne(() => Classroom, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'classroom_id' })
  classroom: Classroom;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  /** Markdown, rendered without raw HTML (assignment-markdown.ts). */
  @Column({ type: 'text', default: '' })
  instructions: string;

  @Column({ name: 'target_id' })
  targetId: number;

  @ManyToOne(() => Target, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'target_id' })
  target: Target;

  /** The frames to work from; null: students bring their own. */
  @Column({ name: 'group_id', type: 'int', nullable: true })
  groupId: number | null;

  @ManyToOne(() => DataProductGroup, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'group_id' })
  group: DataProductGroup | null;

  @Column({ type: 'jsonb', default: [] })
  pipelines: AssignmentPipeline[];

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  /** After the due date, every student of the class sees the hand-ins (runs and answers). */
  @Column({ name: 'share_after_due', type: 'boolean', default: false })
  shareAfterDue: boolean;

  /** Closed: no more runs or hand-ins. */
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  /** When the "due tomorrow" reminder went out (once). */
  @Column({ name: 'reminded_at', type: 'timestamptz', nullable: true })
  remindedAt: Date | null;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  createdById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_id' })
  createdBy: User | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
