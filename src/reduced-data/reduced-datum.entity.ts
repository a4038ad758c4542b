import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DataProduct } from '../data-products/data-product.entity';
import { Target } from '../targets/target.entity';
import { Visibility } from '../sharing/visibility';
import { PointSourceKind } from './light-curve-series';

export type ReducedDatumSource = PointSourceKind;

/** One measurement, e.g. a photometry point {magnitude, error, filter}. */
@Entity('reduced_data')
// Unique per (target, data type, owner, time, value): re-ingesting adds nothing to one owner's points, and another
// owner's identical points stay theirs (an expression index; migration ClassesAndSharing).
@Index('reduced_data_identity_key', { synchronize: false })
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

  /** Whose point it is: the uploader, the student whose run measured it, or the API caller. */
  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId: string | null;

  @Column({ type: 'varchar', length: 8, default: 'private' })
  visibility: Visibility;

  @Column({ name: 'classroom_id', type: 'int', nullable: true })
  classroomId: number | null;

  /** Where the point came from; with the filter it names the series: an uploaded file, a run, or an API batch. */
  @Column({ name: 'source_kind', type: 'varchar', length: 8, default: 'api' })
  sourceKind: ReducedDatumSource;

  @Column({ name: 'run_id', type: 'int', nullable: true })
  runId: number | null;

  /** Points sent in one API call share a batch id. */
  @Column({ name: 'batch_id', type: 'uuid', nullable: true })
  batchId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
