import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import type { Viewer } from '../sharing/sharing-policy';

/** admin: runs the portal and sees everything; teacher: runs classes; student. */
export type UserRole = 'admin' | 'teacher' | 'student';
export const USER_ROLES: readonly UserRole[] = ['admin', 'teacher', 'student'];

@Entity('users')
// Unique in any case when set (lower(email)), made by the Notifications migration.
@Index('users_email_lower_key', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 150, unique: true })
  username: string;

  /** scrypt$N$r$p$salt$hash, see password-hasher.ts */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16 })
  role: UserRole;

  /** The name shown beside the user's work; the username when not set. */
  @Column({ name: 'display_name', type: 'varchar', length: 150, nullable: true })
  displayName: string | null;

  /** A deactivated user cannot log in, and their sessions and API tokens stop working at once. */
  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Set when the portal generated the password: the next login must choose a new one. */
  @Column({ name: 'must_change_password', type: 'boolean', default: false })
  mustChangePassword: boolean;

  /** Where notifications are emailed (when the user's choices say so); set by the user on /profile or by an admin. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * What a request carries about its user: never the password hash. It is also the sharing policy's Viewer (the
 * user's classes and students), read in the same query as the user on every request, so changes apply at once.
 */
export interface SessionUser extends Viewer {
  id: string;
  username: string;
  role: UserRole;
  displayName: string | null;
  mustChangePassword: boolean;
}
