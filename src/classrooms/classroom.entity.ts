import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';
import { ClassroomMember } from './classroom-member.entity';

/** A class ("class" in the UI; `class` is a keyword): the unit of sharing. Teachers and students are its members. */
@Entity('classrooms')
export class Classroom {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** Lets a student join (or sign up) without an admin; null once turned off for good, regenerated on request. */
  @Column({ name: 'join_code', type: 'varchar', length: 32, nullable: true, unique: true })
  joinCode: string | null;

  @Column({ name: 'join_code_enabled', type: 'boolean', default: true })
  joinCodeEnabled: boolean;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  createdById: string | null;

  // Constraint names here and in the other entities are the ones the migrations made (Postgres's defaults).
  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_id', foreignKeyConstraintName: 'classrooms_created_by_id_fkey' })
  createdBy: User | null;

  @OneToMany(() => ClassroomMember, (member) => member.classroom)
  members: ClassroomMember[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
