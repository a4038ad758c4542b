import * as fs from 'node:fs';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { ClassroomMember } from '../classrooms/classroom-member.entity';
import { Classroom } from '../classrooms/classroom.entity';
import { ClassroomsService } from '../classrooms/classrooms.service';
import { formatJoinCode } from '../classrooms/join-code';
import { decodeRosterBytes } from '../classrooms/roster-csv.reader';
import { decodeCsvBytes } from '../common/csv-reader';
import { LiveConnectionsService } from '../live/live-connections.service';
import { AccountsService } from '../users/accounts.service';
import { generatePassphrase } from '../users/passphrase';
import { SessionUser, User, USER_ROLES, UserRole } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ImportSharingRefused, TargetCsvService, TargetImportRejected } from '../targets/target-csv.service';

/** A refusal worth one line on stderr (the CLI prints it without a stack and exits 1). */
export class CliError extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
  }
}

export interface UserRow {
  username: string;
  role: UserRole;
  displayName: string | null;
  active: boolean;
  createdAt: string;
}

export interface TargetImportResult {
  owner: string;
  created: Array<{ line: number; id: number; name: string }>;
  visibility: string;
  classroomId: number | null;
  shareLabel: string;
}

export interface RosterImportResult {
  classroom: { id: number; name: string };
  created: Array<{ username: string; displayName: string; password: string }>;
  enrolled: Array<{ username: string; displayName: string }>;
}

/**
 * What the account and class commands do, on the same services as the web pages, so a command line account or
 * class is made by the same rules (username pattern, generated passphrases, join codes, roster format).
 */
@Injectable()
export class CliCommandsService {
  constructor(
    private readonly users: UsersService,
    private readonly accounts: AccountsService,
    private readonly classrooms: ClassroomsService,
    @InjectRepository(User) private readonly userRows: Repository<User>,
    @InjectRepository(Classroom) private readonly classroomRows: Repository<Classroom>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly live: LiveConnectionsService,
    private readonly targetCsv: TargetCsvService,
  ) {}

  /** Without a password one is generated, returned to print once, and must be changed at the first login. */
  async createUser(input: { username: string; password?: string; role: string; displayName?: string }): Promise<{ user: User; generatedPassword: string | null }> {
    if (!USER_ROLES.includes(input.role as UserRole)) throw new CliError(`--role must be one of: ${USER_ROLES.join(', ')} (not "${input.role}")`);
    const generatedPassword = input.password === undefined ? generatePassphrase() : null;
    const user = await this.users.create(input.username, input.password ?? generatedPassword!, input.role as UserRole, {
      displayName: input.displayName,
      mustChangePassword: generatedPassword !== null,
    });
    return { user, generatedPassword };
  }

  async listUsers(): Promise<UserRow[]> {
    const users = await this.users.list();
    return users.map((u) => ({ username: u.username, role: u.role, displayName: u.displayName, active: u.active, createdAt: u.createdAt.toISOString() }));
  }

  /**
   * Deactivates the account and ends its sessions at once (their rows go); its API tokens stop because token
   * look-ups skip inactive users; on servers its open pages' live connections end too. The last active admin
   * stays, so someone can still run the portal.
   */
  async deactivateUser(username: string): Promise<{ alreadyInactive: boolean; sessionsEnded: number }> {
    const user = await this.userByName(username);
    if (user.active && user.role === 'admin') {
      const admins = await this.userRows.count({ where: { role: 'admin', active: true } });
      if (admins <= 1) throw new CliError(`"${username}" is the only active admin; make another admin first`);
    }
    const result = await this.dataSource.transaction(async (manager) => {
      if (user.active) await manager.update(User, { id: user.id }, { active: false, deactivatedAt: new Date() });
      return { alreadyInactive: !user.active, sessionsEnded: await this.accounts.endSessions(user.id, undefined, manager) };
    });
    await this.live.endForUsers([user.id]);
    return result;
  }

  /** Lets a deactivated account log in again (its password unchanged); true when it was deactivated. */
  async activateUser(username: string): Promise<{ wasInactive: boolean }> {
    const user = await this.userByName(username);
    if (!user.active) await this.userRows.update({ id: user.id }, { active: true, deactivatedAt: null });
    return { wasInactive: !user.active };
  }

  /** A class taught by `teacherUsername` (a teacher or an admin): its id and join code as students type it. */
  async createClass(teacherUsername: string, name: string): Promise<{ id: number; name: string; joinCode: string }> {
    const teacher = await this.userByName(teacherUsername);
    if (!teacher.active) throw new CliError(`"${teacherUsername}" is deactivated`);
    const classroom = await this.classrooms.create({ teacherId: teacher.id, name });
    return { id: classroom.id, name: classroom.name, joinCode: formatJoinCode(classroom.joinCode ?? '') };
  }

  /**
   * The roster import of the /classes page, acting as the class's first teacher (or else an admin). Any bad row
   * refuses the whole file: nothing is created.
   */
  async importRoster(classroomId: number, file: string): Promise<RosterImportResult> {
    const classroom = await this.classroomRows.findOne({ where: { id: classroomId } });
    if (!classroom) throw new CliError(`There is no class ${classroomId}`);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (error) {
      throw new CliError((error as NodeJS.ErrnoException).code === 'ENOENT' ? `No such file: ${file}` : `Cannot read ${file}: ${(error as Error).message}`);
    }
    const actor = await this.actorFor(classroom);
    try {
      const result = await this.classrooms.importRoster(classroom.id, decodeRosterBytes(bytes), actor);
      return { classroom: { id: classroom.id, name: classroom.name }, ...result };
    } catch (error) {
      const details = error instanceof BadRequestException ? (error.getResponse() as { details?: Array<{ line: number; reason: string }> }).details : undefined;
      if (details?.length) {
        throw new CliError(`${file}: ${details.length} bad ${details.length === 1 ? 'row' : 'rows'}; nothing was created`, details.map((d) => `line ${d.line}: ${d.reason}`));
      }
      throw error;
    }
  }

  /**
   * The target import of /targets/import: a CSV in TOM Toolkit's format, as `as` (else the first active admin), the
   * targets shared as `visibility` and `classId` say (a class `as` may share with). Any bad line refuses the whole
   * file: nothing is created.
   */
  async importTargets(file: string, options: { as?: string; visibility?: string; classId?: string }): Promise<TargetImportResult> {
    const account = options.as
      ? await this.userRows.findOne({ where: { username: options.as } })
      : await this.userRows.findOne({ where: { role: 'admin', active: true }, order: { createdAt: 'ASC' } });
    if (!account) throw new CliError(options.as ? `There is no user "${options.as}"` : 'No admin account exists: create one or pass --as USER');
    const actor = await this.users.findSessionUser(account.id);
    if (!actor || !account.active) throw new CliError(`The account "${account.username}" is deactivated`);
    if (options.classId !== undefined && !/^\d{1,10}$/.test(options.classId)) throw new CliError(`--class takes a class id (a whole number), not "${options.classId}"`);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (error) {
      throw new CliError((error as NodeJS.ErrnoException).code === 'ENOENT' ? `No such file: ${file}` : `Cannot read ${file}: ${(error as Error).message}`);
    }
    try {
      const result = await this.targetCsv.import(decodeCsvBytes(bytes), actor, { visibility: options.visibility, classroomId: options.classId });
      return {
        owner: account.username,
        created: result.created,
        visibility: result.share.visibility,
        classroomId: result.share.visibility === 'class' ? result.share.classroomId : null,
        shareLabel: result.shareLabel,
      };
    } catch (error) {
      if (error instanceof TargetImportRejected) {
        const n = error.details.length;
        throw new CliError(`${file}: ${n} bad ${n === 1 ? 'line' : 'lines'}; nothing was created`, error.details.map((d) => `line ${d.line}: ${d.reason}`));
      }
      if (error instanceof ImportSharingRefused) throw new CliError(`--visibility/--class: ${error.reason}`);
      if (error instanceof BadRequestException) throw new CliError(`${file}: ${error.message}`);
      throw error;
    }
  }

  private async actorFor(classroom: Classroom): Promise<SessionUser> {
    const teacher = await this.dataSource
      .getRepository(ClassroomMember)
      .createQueryBuilder('m')
      .innerJoin(User, 'u', 'u.id = m.user_id')
      .where('m.classroom_id = :id AND m.role = :role AND u.active', { id: classroom.id, role: 'teacher' })
      .orderBy('m.joined_at', 'ASC')
      .getOne();
    const admin = teacher ? null : await this.userRows.findOne({ where: { role: 'admin', active: true }, order: { createdAt: 'ASC' } });
    const actor = teacher ? await this.users.findSessionUser(teacher.userId) : admin ? await this.users.findSessionUser(admin.id) : null;
    if (!actor) throw new CliError(`Class ${classroom.id} has no active teacher and there is no active admin to import for it`);
    return actor;
  }

  private async userByName(username: string): Promise<User> {
    const user = await this.userRows.findOne({ where: { username } });
    if (!user) throw new CliError(`There is no user "${username}"`);
    return user;
  }
}
