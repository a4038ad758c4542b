import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Classroom } from '../classrooms/classroom.entity';
import { Target } from '../targets/target.entity';
import { User } from '../users/user.entity';
import { Visibility } from '../sharing/visibility';

export const PRODUCT_TYPES = ['fits_image', 'photometry', 'spectroscopy', 'image', 'timelapse', 'other'] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

@Entity('data_products')
@Index(['targetId', 'sha256'])
// (target_id, created_at DESC, id DESC): a target's products newest first, a page at a time (migration PageIndexes).
@Index('data_products_target_created_idx', { synchronize: false })
// (target_id, product_type, created_at DESC, id DESC): a target's newest timelapse.
@Index('data_products_target_type_created_idx', { synchronize: false })
// An owner's products (migration ClassesAndSharing).
@Index('data_products_owner_idx', ['uploadedById'])
export class DataProduct {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'target_id' })
  targetId: number;

  @ManyToOne(() => Target, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'target_id' })
  target: Target;

  /** Path relative to DATA_DIR, chosen by the server. */
  @Column({ name: 'stored_path', type: 'varchar', length: 255, unique: true })
  storedPath: string;

  /** The uploader's file name, cleaned for display and downloads; never used as a path. */
  @Column({ name: 'original_name', type: 'varchar', length: 255 })
  originalName: string;

  @Column({ name: 'product_type', type: 'varchar', length: 32 })
  productType: ProductType;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  size: number;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  /** Path relative to DATA_DIR of a PNG preview, when one has been made. */
  @Column({ name: 'thumbnail_path', type: 'varchar', length: 255, nullable: true })
  thumbnailPath: string | null;

  /** Why no preview could be made (e.g. the file has no image); null while one is pending or once it exists. */
  @Column({ name: 'preview_error', type: 'varchar', length: 500, nullable: true })
  previewError: string | null;

  @Column({ type: 'boolean', default: false })
  featured: boolean;

  @Column({ name: 'uploaded_by_id', type: 'uuid', nullable: true })
  uploadedById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'uploaded_by_id' })
  uploadedBy: User | null;

  /** Who may see it besides its owner (see sharing/visibility.ts). */
  @Column({ type: 'varchar', length: 8, default: 'private' })
  visibility: Visibility;

  /** The class it is shared with when `visibility` is 'class'. */
  @Column({ name: 'classroom_id', type: 'int', nullable: true })
  classroomId: number | null;

  @ManyToOne(() => Classroom, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'classroom_id', foreignKeyConstraintName: 'data_products_classroom_id_fkey' })
  classroom: Classroom | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
