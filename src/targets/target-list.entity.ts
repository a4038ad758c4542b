import { Column, CreateDateColumn, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn } from 'typeorm';
import { Target } from './target.entity';

/** A named grouping of targets (TOM's "target grouping"), e.g. "Tonight's variables". */
@Entity('target_lists')
export class TargetList {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100, unique: true })
  name: string;

  @ManyToMany(() => Target, { onDelete: 'CASCADE' })
  @JoinTable({
    name: 'target_list_targets',
    joinColumn: { name: 'target_list_id' },
    inverseJoinColumn: { name: 'target_id' },
  })
  targets: Target[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
