import { isUuid } from '../common/request-parsing';
import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { LiveConnectionsService } from '../live/live-connections.service';
import { canManageAccount, isAdmin, Viewer } from '../sharing/sharing-policy';
import { AccountRuleError, cleanDisplayName, cleanEmail, newPasswordProblem } from './account-rules';
import { generatePassphrase } from './passphrase';
import { hashPassword, verifyPassword } from './password-hasher';
import { User, USER_ROLES, UserRole } from './user.entity';
import { UsersService } from './users.service';

export interface AccountFilters {
  /** Part of a username or display name, any case. */
  q?: string;
  role?: UserRole;
  active?: boolean;
}

export interface AccountChanges {
  role?: UserRole;
  active?: boolean;
  /** null or blank clears it (the username is shown instead). */
  displayName?: string | null;
  /** Admins only; null or blank clears it. Unique in any case. */
  email?: string | null;
}

/** The current password given on /profile was wrong: a failed login for the throttle, a 400 for the page. */
export class WrongCurrentPasswordException extends BadRequestException {
  constructor() {
    super('Your current password is not right');
  }
}

/** The unique index on lower(email) refused the address (migration Notifications). */
const EMAIL_TAKEN = 'users_email_lower_key';
const emailTaken = (error: unknown) => {
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driver?.code === '23505' && driver.constraint === EMAIL_TAKEN;
};
const emailTakenException = () => new ConflictException('That email address is already used by another account');

const likeEscape = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Runs a pure rule and turns its complaint into a 400. */
function rule<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AccountRuleError) throw new BadRequestException(error.message);
    throw error;
  }
}

/**
 * Account administration (/admin/users, /api/users) and a user's own password and name (/profile). Who may manage
 * whom is the sharing policy's canManageAccount; roles and activation are the admins'. An admin cannot demote or
 * deactivate themself, so the portal always keeps an admin who can undo a mistake.
 */
@Injectable()
export class AccountsService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly usersService: UsersService,
    private readonly live: LiveConnectionsService,
  ) {}

  async search(filters: AccountFilters, page: { limit: number; offset: number }): Promise<{ items: User[]; total: number }> {
    const query = this.users.createQueryBuilder('u');
    if (filters.q) {
      query.andWhere(`(u.username ILIKE :q ESCAPE '\\' OR u.display_name ILIKE :q ESCAPE '\\')`, { q: `%${likeEscape(filters.q)}%` });
    }
    if (filters.role) query.andWhere('u.role = :role', { role: filters.role });
    if (filters.active !== undefined) query.andWhere('u.active = :active', { active: filters.active });
    const [items, total] = await query.orderBy('u.username', 'ASC').skip(page.offset).take(page.limit).getManyAndCount();
    return { items, total };
  }

  /** The account, if `actor` may manage it; another's account is "not found" to whoever may not. */
  async get(actor: Viewer, id: string): Promise<User> {
    const user = isUuid(id) ? await this.users.findOne({ where: { id } }) : null;
    if (!user || !canManageAccount(actor, user)) throw new NotFoundException('There is no such user');
    return user;
  }

  /** An account with a generated password, shown once by the caller; it must be changed at the first login. */
  async create(actor: Viewer, input: { username: string; role: UserRole; displayName?: string | null }): Promise<{ user: User; password: string }> {
    if (!isAdmin(actor)) throw new ForbiddenException('Only admins may create accounts here');
    const displayName = rule(() => cleanDisplayName(input.displayName));
    const password = generatePassphrase();
    const user = await this.usersService.create(String(input.username ?? '').trim(), password, input.role, { displayName, mustChangePassword: true });
    return { user, password };
  }

  /**
   * Changes role, activation and display name together or not at all. Deactivating ends the account's sessions in
   * the same transaction (their rows go); its API tokens stop because token look-ups skip inactive users. After a
   * deactivation or a new role the account's live connections end too, so its pages re-join as who it is now.
   */
  async update(actor: Viewer, id: string, changes: AccountChanges): Promise<User> {
    const user = await this.get(actor, id);
    const patch: Partial<User> = {};
    if (changes.role !== undefined && changes.role !== user.role) {
      if (!isAdmin(actor)) throw new ForbiddenException('Only admins may change roles');
      if (!USER_ROLES.includes(changes.role)) throw new BadRequestException(`Role must be one of: ${USER_ROLES.join(', ')}`);
      if (user.id === actor.id) throw new BadRequestException('You cannot change your own role; another admin must do it');
      patch.role = changes.role;
    }
    if (changes.active !== undefined && changes.active !== user.active) {
      if (!isAdmin(actor)) throw new ForbiddenException('Only admins may deactivate or reactivate accounts');
      if (user.id === actor.id) throw new BadRequestException('You cannot deactivate your own account; another admin must do it');
      patch.active = changes.active;
      patch.deactivatedAt = changes.active ? null : new Date();
    }
    if (changes.displayName !== undefined) {
      const displayName = rule(() => cleanDisplayName(changes.displayName));
      if (displayName !== user.displayName) patch.displayName = displayName;
    }
    if (changes.email !== undefined) {
      const email = rule(() => cleanEmail(changes.email));
      if (email !== user.email) {
        if (!isAdmin(actor)) throw new ForbiddenException("Only admins may change another account's email address");
        patch.email = email;
      }
    }
    if (Object.keys(patch).length === 0) return user;
    await this.dataSource
      .transaction(async (manager) => {
        await manager.update(User, { id: user.id }, patch);
        if (patch.active === false) await this.endSessions(user.id, undefined, manager);
      })
      .catch((error) => {
        throw emailTaken(error) ? emailTakenException() : error;
      });
    if (patch.active === false || patch.role !== undefined) await this.live.endForUsers([user.id]);
    return Object.assign(user, patch);
  }

  /**
   * A new generated password (shown once by the caller) that must be changed at the next login; the account's
   * sessions end, so whoever had it is logged out. Your own password is changed on /profile instead.
   */
  async resetPassword(actor: Viewer, id: string): Promise<{ user: User; password: string }> {
    const user = await this.get(actor, id);
    if (user.id === actor.id) throw new BadRequestException('Change your own password on your profile page instead');
    return this.usersService.resetPassword(user.id);
  }

  /**
   * The user's own new password: the current one must be right, the new one typed twice and different. Clears the
   * "must change" mark, and ends the user's other sessions and their live connections (`keepSessionId` is the one
   * making the change).
   */
  async changeOwnPassword(userId: string, input: { current: string; next: string; confirm: string }, keepSessionId?: string): Promise<void> {
    const user = await this.users.createQueryBuilder('u').addSelect('u.passwordHash').where('u.id = :id', { id: userId }).getOne();
    if (!user || !user.active) throw new NotFoundException('There is no such user');
    if (!(await verifyPassword(input.current, user.passwordHash))) throw new WrongCurrentPasswordException();
    const problem = newPasswordProblem(input.next, input.confirm, input.current);
    if (problem) throw new BadRequestException(problem);
    const passwordHash = await hashPassword(input.next);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(User, { id: user.id }, { passwordHash, mustChangePassword: false });
      await this.endSessions(user.id, keepSessionId, manager);
    });
    await this.live.endForUsers([user.id], { exceptSessionId: keepSessionId });
  }

  async setOwnDisplayName(userId: string, value: unknown): Promise<string | null> {
    const displayName = rule(() => cleanDisplayName(value));
    await this.users.update({ id: userId }, { displayName });
    return displayName;
  }

  /** The user's own email address (null when none), for /profile. */
  async ownEmail(userId: string): Promise<string | null> {
    const user = await this.users.findOne({ where: { id: userId }, select: { id: true, email: true } });
    return user?.email ?? null;
  }

  /**
   * The user's own email address, where notifications are sent (src/notifications/): cleaned and checked by
   * cleanEmail (400 with the reason), null or blank clears it; one used by another account (in any case) is a 409.
   */
  async setOwnEmail(userId: string, value: unknown): Promise<string | null> {
    const email = rule(() => cleanEmail(value));
    await this.users.update({ id: userId }, { email }).catch((error) => {
      throw emailTaken(error) ? emailTakenException() : error;
    });
    return email;
  }

  /** Deletes the user's stored sessions (but `exceptSessionId`); their next request is not logged in. */
  async endSessions(userId: string, exceptSessionId?: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [, ended] = await manager.query(
      `DELETE FROM sessions WHERE sess::jsonb #>> '{passport,user}' = $1 AND sid IS DISTINCT FROM $2`,
      [userId, exceptSessionId ?? null],
    );
    return Number(ended) || 0;
  }
}

