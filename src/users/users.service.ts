import { isUuid } from '../common/request-parsing';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { LiveConnectionsService } from '../live/live-connections.service';
import { cleanDisplayName } from './account-rules';
import { generatePassphrase } from './passphrase';
import { hashPassword, verifyPassword } from './password-hasher';
import { SessionUser, User, USER_ROLES, UserRole } from './user.entity';
import { preparedQuery } from '../database/prepared-query';

export const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{2,150}$/;
export const USERNAME_RULE = 'usernames are 2-150 letters, digits or . _ @ -';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly live: LiveConnectionsService,
  ) {}

  /**
   * Creates an account. `mustChangePassword` is for passwords the portal generated (shown once to whoever made the
   * account): the user must choose a new one at the next login.
   */
  async create(
    username: string,
    password: string,
    role: UserRole,
    options: { displayName?: string | null; mustChangePassword?: boolean } = {},
  ): Promise<User> {
    if (!USERNAME_PATTERN.test(username)) {
      throw new BadRequestException('Username must be 2-150 letters, digits or . _ @ -');
    }
    if (!USER_ROLES.includes(role)) throw new BadRequestException(`Role must be one of: ${USER_ROLES.join(', ')}`);
    if (password.length < 8) throw new BadRequestException('Password must be at least 8 characters');
    // The text rule for display names (common/text.ts), for every caller: pages, API, CLI and demo alike.
    let displayName: string | null;
    try {
      displayName = cleanDisplayName(options.displayName);
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
    if (await this.users.exist({ where: { username } })) {
      throw new ConflictException(`User "${username}" already exists`);
    }
    return this.users.save(
      this.users.create({
        username,
        role,
        passwordHash: await hashPassword(password),
        displayName,
        mustChangePassword: options.mustChangePassword ?? false,
      }),
    );
  }

  /**
   * Student accounts made inside the caller's transaction, with the rules of create(): a roster import makes many at
   * once, a sign-up makes one with its enrolment. The caller hashes the passwords first (password-hasher), so no
   * transaction waits on scrypt; a taken username fails the transaction (unique index).
   */
  async insertStudents(
    manager: EntityManager,
    accounts: Array<{ username: string; passwordHash: string; displayName: string | null; mustChangePassword: boolean }>,
  ): Promise<User[]> {
    const bad = accounts.find((account) => !USERNAME_PATTERN.test(account.username));
    if (bad) throw new BadRequestException(`"${bad.username}" is not a valid username: ${USERNAME_RULE}`);
    if (accounts.length === 0) return [];
    const repository = manager.getRepository(User);
    const users = accounts.map((account) => repository.create({ ...account, role: 'student', displayName: account.displayName?.trim() || null }));
    // One multi-row INSERT; TypeORM writes the generated ids back into the entities.
    await repository.insert(users);
    return users;
  }

  /**
   * A new generated password for the account, which must be changed at the next login; returned to show once. The
   * account's sessions end with the old password (whoever was using it is logged out), and so do their live
   * connections.
   */
  async resetPassword(userId: string): Promise<{ user: User; password: string }> {
    const user = await this.users.findOne({ where: { id: userId } });
    if (!user) throw new NotFoundException('There is no such user');
    const password = generatePassphrase();
    const passwordHash = await hashPassword(password);
    await this.users.manager.transaction(async (manager) => {
      await manager.update(User, { id: user.id }, { passwordHash, mustChangePassword: true });
      await manager.query(`DELETE FROM sessions WHERE sess::jsonb #>> '{passport,user}' = $1`, [user.id]);
    });
    await this.live.endForUsers([user.id]);
    return { user: Object.assign(user, { mustChangePassword: true }), password };
  }

  /** The user for these credentials, or null; takes the same time for unknown users as for wrong passwords. */
  async authenticate(username: string, password: string): Promise<SessionUser | null> {
    const result = await this.checkCredentials(username, password);
    return 'user' in result ? result.user : null;
  }

  /**
   * A login attempt's outcome: the user, or why not. "deactivated" is told only to whoever knows the password, so
   * a guesser cannot learn which accounts exist or are switched off.
   */
  async checkCredentials(username: string, password: string): Promise<{ user: SessionUser } | { refused: 'wrong' | 'deactivated' }> {
    const user = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username })
      .getOne();
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return { refused: 'wrong' };
    if (!user.active) return { refused: 'deactivated' };
    const sessionUser = await this.findSessionUser(user.id);
    return sessionUser ? { user: sessionUser } : { refused: 'deactivated' };
  }

  /**
   * An operator's new password for the account (the CLI): as with a reset, whoever was logged in with the old one
   * is logged out, sessions and live connections alike. Returns how many sessions ended.
   */
  async setPassword(username: string, password: string): Promise<{ sessionsEnded: number }> {
    if (password.length < 8) throw new BadRequestException('Password must be at least 8 characters');
    const user = await this.users.findOne({ where: { username } });
    if (!user) throw new NotFoundException(`There is no user "${username}"`);
    const passwordHash = await hashPassword(password);
    const sessionsEnded = await this.users.manager.transaction(async (manager) => {
      await manager.update(User, { id: user.id }, { passwordHash });
      const [, ended] = await manager.query(`DELETE FROM sessions WHERE sess::jsonb #>> '{passport,user}' = $1`, [user.id]);
      return Number(ended) || 0;
    });
    await this.live.endForUsers([user.id]);
    return { sessionsEnded };
  }

  /**
   * The request's user with what the sharing policy needs (classes, taught classes, their students), or null for
   * an unknown or deactivated account. Every request asks (roles, classes and deactivation apply at once), so one
   * plain query rather than entities.
   */
  async findSessionUser(id: string): Promise<SessionUser | null> {
    if (!isUuid(id)) return null;
    const {
      rows: [user],
    } = await preparedQuery<SessionUser>(this.users.manager, SESSION_USER_SQL, [id]);
    return user ?? null;
  }

  count(): Promise<number> {
    return this.users.count();
  }

  list(): Promise<User[]> {
    return this.users.find({ order: { username: 'ASC' } });
  }
}

// A valid hash of a random password, so an unknown username costs one scrypt like a known one.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');


const SESSION_USER_SQL = `
  SELECT u.id, u.username, u.role, u.display_name AS "displayName", u.must_change_password AS "mustChangePassword",
         array(SELECT m.classroom_id FROM classroom_members m WHERE m.user_id = u.id ORDER BY 1) AS "memberOf",
         array(SELECT m.classroom_id FROM classroom_members m WHERE m.user_id = u.id AND m.role = 'teacher' ORDER BY 1) AS "teaches",
         array(SELECT DISTINCT s.user_id FROM classroom_members t
                 JOIN classroom_members s ON s.classroom_id = t.classroom_id AND s.role = 'student'
                WHERE t.user_id = u.id AND t.role = 'teacher')::text[] AS "studentIds"
    FROM users u WHERE u.id = $1 AND u.active`;
