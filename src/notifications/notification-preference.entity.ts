import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';
import type { NotificationKind } from './notification-kinds';

/**
 * A user's choice for one kind of notification. No row means the defaults: shown in the portal, and emailed when
 * the user has an email address. Written by NotificationsService only.
 */
@Entity('notification_preferences')
export class NotificationPreference {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_notification_preferences' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_notification_preferences_user' })
  user?: User;

  @PrimaryColumn({ type: 'varchar', length: 32, primaryKeyConstraintName: 'PK_notification_preferences' })
  kind: NotificationKind;

  @Column({ name: 'in_portal', type: 'boolean', default: true })
  inPortal: boolean;

  @Column({ name: 'by_email', type: 'boolean', default: true })
  byEmail: boolean;
}
