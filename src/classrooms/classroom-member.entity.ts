import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';
import { Classroom } from './classroom.entity';

export type ClassroomRole = 'teacher' | 'student';

/** A user's place in a class: its teachers (co-teachers alike) and its roster of students. */
@Entity('classroom_members')
@Index('classroom_members_user_idx', ['userId'])
@Check('classroom_members_role_check', `"role" IN ('teacher', 'student')`)
export class ClassroomMember {
  @PrimaryColumn({ name: 'classroom_id', type: 'int' })
  classroomId: number;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  role: ClassroomRole;

  @ManyToOne(() => Classroom, (classroom) => classroom.members, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'classroom_id', foreignKeyConstraintName: 'classroom_members_classroom_id_fkey' })
  classroom: Classroom;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'classroom_members_user_id_fkey' })
  user: User;

  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' })
  joinedAt: Date;
}
