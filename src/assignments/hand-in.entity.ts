import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PipelineRun } from '../pipeline-runs/pipeline-run.entity';
import { User } from '../users/user.entity';
import { Assignment } from './assignment.entity';

/** A student's answer to an assignment: one of their succeeded runs, a short answer, and the teacher's feedback. */
@Entity('hand_ins')
@Index('hand_ins_assignment_student_key', ['assignmentId', 'studentId'], { unique: true })
export class HandIn {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'assignment_id' })
  assignmentId: number;

  @ManyToOne(() => Assignment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'assignment_id' })
  assignment: Assignment;

  @Column({ name: 'student_id', type: 'uuid' })
  studentId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'student_id' })
  student: User;

  /** The run handed in; null only if that run was deleted since. */
  @Column({ name: 'run_id', type: 'int', nullable: true })
  runId: number | null;

  @ManyToOne(() => PipelineRun, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'run_id' })
  run: PipelineRun | null;

  @Column({ type: 'text', nullable: true })
  answer: string | null;

  /** A number the assignment asks for (a magnitude, a period...). */
  @Column({ type: 'double precision', nullable: true })
  value: number | null;

  @Column({ name: 'handed_in_at', type: 'timestamptz' })
  handedInAt: Date;

  @Column({ type: 'boolean', default: false })
  late: boolean;

  @Column({ type: 'text', nullable: true })
  feedback: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  grade: string | null;

  @Column({ name: 'feedback_at', type: 'timestamptz', nullable: true })
  feedbackAt: Date | null;

  @Column({ name: 'feedback_by_id', type: 'uuid', nullable: true })
  feedbackById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'feedback_by_id' })
  feedbackBy: User | null;
}
