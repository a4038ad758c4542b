import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';
import type { NotificationKind } from './notification-kinds';

/** Something that happened for one user, shown by the bell and on /notifications until read. Written by NotificationsService only. */
@Entity('notifications')
@Index('notifications_user_id_idx', ['userId', 'id'])
@Index('notifications_user_unread_idx', ['userId', 'id'], { where: '"read_at" IS NULL' })
export class Notification {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'PK_notifications' })
  id: number;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_notifications_user' })
  user?: User;

  @Column({ type: 'varchar', length: 32 })
  kind: NotificationKind;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'text', nullable: true })
  body: string | null;

  /** A path in the portal (`/pipeline/12`), never another site. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  link: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt: Date | null;
}
