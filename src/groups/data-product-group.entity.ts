import { Column, CreateDateColumn, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Classroom } from '../classrooms/classroom.entity';
import { DataProduct } from '../data-products/data-product.entity';
import { User } from '../users/user.entity';
import { Visibility } from '../sharing/visibility';

@Entity('data_product_groups')
@Index('data_product_groups_owner_name_key', { synchronize: false })
export class DataProductGroup {
  @PrimaryGeneratedColumn()
  id: number;

  /** Unique per owner (an expression index; migration ClassesAndSharing), so a clash reveals only one's own groups. */
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @ManyToMany(() => DataProduct, { onDelete: 'CASCADE' })
  @JoinTable({
    name: 'data_product_group_members',
    joinColumn: { name: 'group_id' },
    inverseJoinColumn: { name: 'data_product_id' },
  })
  products: DataProduct[];

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  createdById: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_id' })
  createdBy: User | null;

  /** Who may see it besides its owner (see sharing/visibility.ts). */
  @Column({ type: 'varchar', length: 8, default: 'private' })
  visibility: Visibility;

  /** The class it is shared with when `visibility` is 'class'. */
  @Column({ name: 'classroom_id', type: 'int', nullable: true })
  classroomId: number | null;

  @ManyToOne(() => Classroom, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'classroom_id', foreignKeyConstraintName: 'data_product_groups_classroom_id_fkey' })
  classroom: Classroom | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
