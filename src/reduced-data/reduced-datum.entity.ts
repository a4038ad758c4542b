import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DataProduct } from '../data-products/data-product.entity';
import { Target } from '../targets/target.entity';

/** One measurement, e.g. a photometry point {magnitude, error, filter}. */
@Entity('reduced_data')
@Index('reduced_data_identity_key', ['targetId', 'dataType', 'timestamp', 'value'], { unique: true })
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
