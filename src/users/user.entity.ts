import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type UserRole = 'teacher' | 'student';
export const USER_ROLES: readonly UserRole[] = ['teacher', 'student'];

@Entity('users')
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** What a request carries about its user: never the password hash. */
export interface SessionUser {
  id: string;
  username: string;
  role: UserRole;
}
