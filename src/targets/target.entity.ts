import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Classroom } from '../classrooms/classroom.entity';
import { Visibility } from '../sharing/visibility';
import { User } from '../users/user.entity';

export type TargetType = 'sidereal' | 'non_sidereal';
/** See sharing/visibility.ts. */
export type TargetVisibility = Visibility;

/** Orbital-element schemes, as TOM Toolkit names them. */
export const NON_SIDEREAL_SCHEMES = ['MPC_MINOR_PLANET', 'MPC_COMET', 'JPL_MAJOR_PLANET', 'EPHEMERIS'] as const;
export type NonSiderealScheme = (typeof NON_SIDEREAL_SCHEMES)[number];

@Entity('targets')
@Index('targets_name_lower_key', { synchronize: false })
// (name, id): the order of /targets, so a page of it is an index range (migration PageIndexes).
@Index('targets_name_id_idx', { synchronize: false })
export class Target {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  aliases: string[];

  @Column({ type: 'varchar', length: 16, default: 'sidereal' })
  type: TargetType;

  /** Degrees, ICRS. */
  @Column({ type: 'double precision', nullable: true })
  ra: number | null;

  /** Degrees. */
  @Column({ type: 'double precision', nullable: true })
  dec: number | null;

  @Column({ type: 'double precision', nullable: true, default: 2000 })
  epoch: number | null;

  /** mas/yr */
  @Column({ name: 'pm_ra', type: 'double precision', nullable: true })
  pmRa: number | null;

  /** mas/yr */
  @Column({ name: 'pm_dec', type: 'double precision', nullable: true })
  pmDec: number | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  scheme: NonSiderealScheme | null;

  /** Orbital elements for non-sidereal targets (epoch_of_elements, inclination, ...). */
  @Column({ type: 'jsonb', default: {} })
  elements: Record<string, number | string>;

  /** Free key/value fields, like TOM's extra fields. */
  @Column({ type: 'jsonb', default: {} })
  extra: Record<string, string>;

  @Column({ type: 'varchar', length: 8, default: 'private' })
  visibility: TargetVisibility;

  /** The class it is shared with when `visibility` is 'class'. */
  @Column({ name: 'classroom_id', type: 'int', nullable: true })
  classroomId: number | null;

  @ManyToOne(() => Classroom, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'classroom_id', foreignKeyConstraintName: 'targets_classroom_id_fkey' })
  classroom: Classroom | null;

  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'owner_id' })
  owner: User | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
