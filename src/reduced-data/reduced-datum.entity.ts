import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Classroom } from '../classrooms/classroom.entity';
import { DataProduct } from '../data-products/data-product.entity';
import { PipelineRun } from '../pipeline-runs/pipeline-run.entity';
import { Target } from '../targets/target.entity';
import { User } from '../users/user.entity';
import { Visibility } from '../sharing/visibility';
import { PointSourceKind } from './light-curve-series';

export type ReducedDatumSource = PointSourceKind;

/**
 * One measurement, e.g. a photometry point: `value` {magnitude, error, filter}, with its `limit` and `facility`
 * beside it. A non-detection has magnitude and error null and a limit.
 */
@Entity('reduced_data')
// Unique per (target, data type, owner, time, value, limit, facility): re-ingesting adds nothing to one owner's
// points, and another owner's identical points stay theirs. An expression index (owner and limit through coalesce,
// so points without them are still one point each); migrations ClassesAndSharing and PhotometryLimits.
@Index('reduced_data_identity_key', { synchronize: false })
// A run's points (partial: most points come from uploads or the API).
@Index('reduced_data_run_idx', ['runId'], { where: '"run_id" IS NOT NULL' })
export class ReducedDatum {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'target_id' })
  targetId: number;

  @ManyToOne(() => Target, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'target_id' })
  target: Target;

  @Column({ name: 'data_product_id', type: 'int', nullable: true })
  dataProductId: number | null;

  // Deleting a data product deletes the measurements read from it, as in TOM Toolkit.
  @ManyToOne(() => DataProduct, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'data_product_id' })
  dataProduct: DataProduct | null;

  @Column({ name: 'data_type', type: 'varchar', length: 32 })
  dataType: string;

  @Column({ name: 'source_name', type: 'varchar', length: 255, default: '' })
  sourceName: string;

  @Column({ type: 'timestamptz' })
  timestamp: Date;

  @Column({ type: 'jsonb' })
  value: Record<string, unknown>;

  /**
   * The limiting magnitude reported with the measurement (TOM Toolkit's `limit`): for a non-detection (magnitude
   * null) the object was fainter than this. Null when none was given.
   */
  @Column({ name: 'limit', type: 'double precision', nullable: true })
  limit: number | null;

  /**
   * The survey or telescope that measured the point (ZTF, ATLAS…; TOM Toolkit's `source` column), '' when not
   * known. Named apart from sourceName, which is where the series came from (a file, a run, an API batch).
   */
  @Column({ type: 'varchar', length: 64, default: '' })
  facility: string;

  /** Whose point it is: the uploader, the student whose run measured it, or the API caller. */
  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'reduced_data_owner_id_fkey' })
  owner: User | null;

  @Column({ type: 'varchar', length: 8, default: 'private' })
  visibility: Visibility;

  @Column({ name: 'classroom_id', type: 'int', nullable: true })
  classroomId: number | null;

  @ManyToOne(() => Classroom, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'classroom_id', foreignKeyConstraintName: 'reduced_data_classroom_id_fkey' })
  classroom: Classroom | null;

  /** Where the point came from; with the filter it names the series: an uploaded file, a run, or an API batch. */
  @Column({ name: 'source_kind', type: 'varchar', length: 8, default: 'api' })
  sourceKind: ReducedDatumSource;

  @Column({ name: 'run_id', type: 'int', nullable: true })
  runId: number | null;

  // Deleting a run deletes the points it measured.
  @ManyToOne(() => PipelineRun, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'reduced_data_run_id_fkey' })
  run: PipelineRun | null;

  /** Points sent in one API call share a batch id. */
  @Column({ name: 'batch_id', type: 'uuid', nullable: true })
  batchId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
