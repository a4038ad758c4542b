import { isUuid } from '../common/request-parsing';
import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError, Repository } from 'typeorm';
import { checkText } from '../common/text';
import { LiveConnectionsService } from '../live/live-connections.service';
import { isRowId } from '../pipeline-runs/pipeline-runs.service';
import { canManageAccount, isAdmin } from '../sharing/sharing-policy';
import { AccountRuleError, cleanDisplayName, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, newPasswordProblem } from '../users/account-rules';
import { generatePassphrase } from '../users/passphrase';
import { hashPassword } from '../users/password-hasher';
import { SessionUser, User } from '../users/user.entity';
import { USERNAME_PATTERN, USERNAME_RULE, UsersService } from '../users/users.service';
import { canManageClassroom, canSeeClassroom } from './classroom-access';
import { ClassroomMember, ClassroomRole } from './classroom-member.entity';
import { Classroom } from './classroom.entity';
import { formatJoinCode, generateJoinCode, normalizeJoinCode } from './join-code';
import { readRosterCsv, RosterProblem } from './roster-csv.reader';
import { ExistingAccount, planRoster, RosterAction, rosterErrors, usernamesToLookUp } from './roster-plan';

/** A class as a list shows it to one user. */
export interface ClassroomSummary {
  id: number;
  name: string;
  createdAt: Date;
  /** The user's place in the class; null for an admin who is not a member. */
  myRole: ClassroomRole | null;
  /** Teachers of the class and admins: roster, join code, imports. */
  canManage: boolean;
  /** "ABCD-EF23", only for those who manage the class. */
  joinCode: string | null;
  joinCodeEnabled: boolean;
  teacherNames: string[];
  studentCount: number;
}

export interface ClassroomPerson {
  userId: string;
  username: string;
  displayName: string;
  role: ClassroomRole;
  joinedAt: Date;
  active: boolean;
  /** Still on a generated password (has not logged in and chosen one). */
  mustChangePassword: boolean;
}

/** A class with its teachers, and its students for those who manage it (null for its students). */
export interface ClassroomDetail extends ClassroomSummary {
  teachers: ClassroomPerson[];
  students: ClassroomPerson[] | null;
}

export interface RosterPreview {
  classroom: { id: number; name: string };
  /** Every line with a student or a problem, in the file's order. */
  lines: RosterAction[];
  /** The lines that stop the import; empty when it can go ahead. */
  errors: RosterProblem[];
  counts: { create: number; enrol: number; member: number; error: number };
  /** Header columns that were not used (e-mail and the like). */
  ignoredColumns: string[];
}

export interface RosterImportResult {
  created: Array<{ username: string; displayName: string; password: string }>;
  enrolled: Array<{ username: string; displayName: string }>;
}

export interface SignUpInput {
  code: string;
  username: string;
  displayName: string;
  password: string;
  confirmPassword: string;
}

/** A roster with bad lines: 400 with `details: [{ line, reason }]`; nothing was created or enrolled. */
export class RosterImportRejected extends BadRequestException {
  constructor(readonly details: RosterProblem[]) {
    super({ message: `The roster has ${details.length} problem${details.length === 1 ? '' : 's'}; nothing was imported. Fix the lines below and try again.`, details });
  }
}

/** A join code that lets nobody in (unknown, or turned off): 400 with the reason. */
export class JoinCodeRefused extends BadRequestException {}

/** Field problems of a form: 400 with `errors: { field: [message] }` and the first message. */
function formErrors(errors: Record<string, string>): BadRequestException {
  const [first] = Object.values(errors);
  return new BadRequestException({ message: first, errors: Object.fromEntries(Object.entries(errors).map(([field, message]) => [field, [message]])) });
}

/** Some 2000 lines of a wide spreadsheet export; ROSTER_MAX_ROWS bounds the students. */
export const ROSTER_MAX_CHARS = 1_000_000;
const JOIN_CODE_ATTEMPTS = 5;
// Hashing runs on libuv's thread pool, which file access shares: keep two of its four threads free.
const HASH_CONCURRENCY = 2;


function uniqueViolation(error: unknown): { constraint?: string; detail?: string } | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driver = (error as QueryFailedError & { driverError?: { code?: string; constraint?: string; detail?: string } }).driverError;
  return driver?.code === '23505' ? { constraint: driver.constraint, detail: driver.detail } : null;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const cleanText = (value: unknown) => (typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '');

/**
 * Classes: making them, their teachers and roster, join codes, sign-up with a code and roster imports. The only
 * writer of `classrooms` and `classroom_members`. Who may manage a class is `canManageClassroom`; account actions
 * on its students also ask the sharing policy's `canManageAccount`.
 */
@Injectable()
export class ClassroomsService {
  constructor(
    @InjectRepository(Classroom) private readonly classrooms: Repository<Classroom>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly usersService: UsersService,
    private readonly live: LiveConnectionsService,
  ) {}

  /** A new class taught by `teacherId` (a teacher or admin account), with a fresh join code, turned on. */
  async create(input: { teacherId: string; name: string }): Promise<Classroom> {
    // The text rule (common/text.ts): NFC, no invisible characters, bidi and control characters refused, 200 at most.
    const checked = checkText(input.name, 'className');
    if (checked.error !== undefined) throw formErrors({ name: checked.error });
    const name = checked.value;
    if (!name) throw formErrors({ name: 'Give the class a name' });
    const teacher = isUuid(input.teacherId) ? await this.users.findOne({ where: { id: input.teacherId } }) : null;
    if (!teacher || !teacher.active) throw new NotFoundException('There is no such teacher account');
    if (teacher.role === 'student') throw new BadRequestException(`"${teacher.username}" is a student account; a class is taught by a teacher or admin account`);
    return this.withFreshJoinCode(async (joinCode) =>
      this.dataSource.transaction(async (manager) => {
        const classroom = await manager.save(manager.create(Classroom, { name, joinCode, joinCodeEnabled: true, createdById: teacher.id }));
        await manager.insert(ClassroomMember, { classroomId: classroom.id, userId: teacher.id, role: 'teacher' });
        return classroom;
      }),
    );
  }

  /** The classes `user` is in (admins: every class), by name, with their teacher names and student counts. */
  async listFor(user: SessionUser, page: { limit: number; offset: number } = { limit: 1000, offset: 0 }): Promise<{ items: ClassroomSummary[]; total: number }> {
    const all = isAdmin(user);
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query(
        `SELECT c.id, c.name, c.created_at AS "createdAt", c.join_code AS "joinCode", c.join_code_enabled AS "joinCodeEnabled", me.role AS "myRole",
                (SELECT count(*) FROM classroom_members s WHERE s.classroom_id = c.id AND s.role = 'student')::int AS "studentCount",
                array(SELECT coalesce(u.display_name, u.username) FROM classroom_members t JOIN users u ON u.id = t.user_id
                       WHERE t.classroom_id = c.id AND t.role = 'teacher' ORDER BY t.joined_at, u.username) AS "teacherNames"
           FROM classrooms c LEFT JOIN classroom_members me ON me.classroom_id = c.id AND me.user_id = $1
          WHERE $2 OR me.user_id IS NOT NULL
          ORDER BY lower(c.name), c.id LIMIT $3 OFFSET $4`,
        [user.id, all, page.limit, page.offset],
      ),
      this.dataSource.query(
        `SELECT count(*)::int AS total FROM classrooms c
          WHERE $2 OR EXISTS (SELECT 1 FROM classroom_members me WHERE me.classroom_id = c.id AND me.user_id = $1)`,
        [user.id, all],
      ),
    ]);
    return { items: rows.map((row: ClassroomSummary & { joinCode: string | null }) => this.summary(row, user)), total };
  }

  /** A class for one of its members or an admin: its teachers, and its students when `actor` manages it. */
  async detail(classId: number, actor: SessionUser): Promise<ClassroomDetail> {
    const classroom = await this.find(classId);
    if (!canSeeClassroom(actor, classroom.id)) throw new ForbiddenException('You are not in this class');
    return this.describe(classroom, actor, canManageClassroom(actor, classroom.id));
  }

  /**
   * Enrols student accounts in a class for a trusted caller without a session (the demo seed); members stay as they
   * are. Returns how many joined.
   */
  async enrolStudents(classroomId: number, userIds: string[]): Promise<number> {
    const classroom = await this.find(classroomId);
    const wanted = [...new Set(userIds)];
    const ids = wanted.filter((id) => isUuid(id));
    const students = ids.length ? await this.users.find({ where: { id: In(ids), role: 'student' } }) : [];
    if (students.length !== wanted.length) throw new BadRequestException('Only existing student accounts can be enrolled');
    const inserted = await this.dataSource.query(
      `INSERT INTO classroom_members (classroom_id, user_id, role) SELECT $1, unnest($2::uuid[]), 'student' ON CONFLICT DO NOTHING RETURNING user_id`,
      [classroom.id, students.map((student) => student.id)],
    );
    return inserted.length;
  }

  /** A class with its roster, for its teachers and admins (its students get 403 too). */
  async roster(classId: number, actor: SessionUser): Promise<ClassroomDetail & { students: ClassroomPerson[] }> {
    const classroom = await this.managed(classId, actor);
    return (await this.describe(classroom, actor, true)) as ClassroomDetail & { students: ClassroomPerson[] };
  }

  /** Makes a teacher or admin account a co-teacher of the class. `added` is false when they taught it already. */
  async addCoTeacher(classId: number, username: string, actor: SessionUser): Promise<{ user: User; added: boolean }> {
    const classroom = await this.managed(classId, actor);
    const name = cleanText(username);
    if (!name) throw formErrors({ username: 'Give the username of the co-teacher' });
    const user = await this.users.findOne({ where: { username: name } });
    if (!user) throw new BadRequestException(`There is no account "${name}"`);
    if (!user.active) throw new BadRequestException(`"${user.username}" is deactivated`);
    if (user.role === 'student') throw new BadRequestException(`"${user.username}" is a student account; co-teachers are teacher or admin accounts`);
    const inserted = await this.dataSource.query(
      `INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, 'teacher') ON CONFLICT DO NOTHING RETURNING user_id`,
      [classroom.id, user.id],
    );
    return { user, added: inserted.length > 0 };
  }

  /**
   * Takes a teacher off the class; the last teacher stays (a class without one could not be managed). Their live
   * connections end, so their open pages re-join seeing only what they may see now.
   */
  async removeTeacher(classId: number, userId: string, actor: SessionUser): Promise<User> {
    const classroom = await this.managed(classId, actor);
    const user = await this.member(classroom.id, userId, 'teacher');
    await this.dataSource.transaction(async (manager) => {
      // Locks the class's teacher rows, so two teachers removing each other cannot leave it with none.
      const teachers = await manager.query(`SELECT user_id FROM classroom_members WHERE classroom_id = $1 AND role = 'teacher' FOR UPDATE`, [classroom.id]);
      if (teachers.length <= 1) throw new BadRequestException('A class needs at least one teacher; add another teacher first');
      await manager.query(`DELETE FROM classroom_members WHERE classroom_id = $1 AND user_id = $2 AND role = 'teacher'`, [classroom.id, user.id]);
    });
    await this.live.endForUsers([user.id]);
    return user;
  }

  /**
   * Takes a student off the roster. Their account and their work stay; only the membership goes. The student no
   * longer sees the class's work, and those of the class's teachers who teach them in no other class no longer see
   * their private work: the live connections of all of these end, so their open pages re-join seeing only what they
   * may see now.
   */
  async removeStudent(classId: number, userId: string, actor: SessionUser): Promise<User> {
    const classroom = await this.managed(classId, actor);
    const user = await this.member(classroom.id, userId, 'student');
    const teachers: Array<{ user_id: string }> = await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM classroom_members WHERE classroom_id = $1 AND user_id = $2 AND role = 'student'`, [classroom.id, user.id]);
      return manager.query(
        `SELECT t.user_id FROM classroom_members t
          WHERE t.classroom_id = $1 AND t.role = 'teacher'
            AND NOT EXISTS (SELECT 1 FROM classroom_members other
                              JOIN classroom_members s ON s.classroom_id = other.classroom_id AND s.role = 'student' AND s.user_id = $2
                             WHERE other.user_id = t.user_id AND other.role = 'teacher')`,
        [classroom.id, user.id],
      );
    });
    await this.live.endForUsers([user.id, ...teachers.map((teacher) => teacher.user_id)]);
    return user;
  }

  /** A new join code; the old one stops working at once. Whether codes are on is unchanged. */
  async regenerateJoinCode(classId: number, actor: SessionUser): Promise<Classroom> {
    const classroom = await this.managed(classId, actor);
    return this.withFreshJoinCode(async (joinCode) => {
      await this.classrooms.update({ id: classroom.id }, { joinCode });
      return { ...classroom, joinCode };
    });
  }

  /** Turns joining (and signing up) with the class's code on or off; the code itself is kept. */
  async setJoinCodeEnabled(classId: number, enabled: boolean, actor: SessionUser): Promise<Classroom> {
    const classroom = await this.managed(classId, actor);
    await this.classrooms.update({ id: classroom.id }, { joinCodeEnabled: enabled });
    return { ...classroom, joinCodeEnabled: enabled };
  }

  /** The class a code lets students into; JoinCodeRefused (400) for a code that is wrong or turned off. */
  async findJoinable(code: unknown): Promise<Classroom> {
    const normalized = normalizeJoinCode(code);
    const classroom = normalized ? await this.classrooms.findOne({ where: { joinCode: normalized } }) : null;
    if (!classroom) throw new JoinCodeRefused('No class has that code. Check it with your teacher: codes look like ABCD-EF23.');
    if (!classroom.joinCodeEnabled) throw new JoinCodeRefused('That code is turned off: the class is not taking new students by code. Ask your teacher.');
    return classroom;
  }

  /** A student joins a class by its code; joining a class they are in already changes nothing and says so. */
  async joinByCode(user: SessionUser, code: unknown): Promise<{ classroom: Classroom; alreadyMember: boolean }> {
    if (user.role !== 'student') {
      throw new BadRequestException('Join codes are for student accounts. A teacher of the class can add you as a co-teacher.');
    }
    const classroom = await this.findJoinable(code);
    const inserted = await this.dataSource.query(
      `INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, 'student') ON CONFLICT DO NOTHING RETURNING user_id`,
      [classroom.id, user.id],
    );
    return { classroom, alreadyMember: inserted.length === 0 };
  }

  /**
   * A newcomer makes a student account with a class's code and is enrolled in that class, in one transaction.
   * Refused (400, nothing made) without a valid enabled code; field problems come as `errors` by field.
   */
  async signUp(input: SignUpInput): Promise<{ user: User; classroom: Classroom }> {
    const classroom = await this.findJoinable(input.code);
    const username = typeof input.username === 'string' ? input.username.trim() : '';
    const password = typeof input.password === 'string' ? input.password : '';
    const errors: Record<string, string> = {};
    if (!USERNAME_PATTERN.test(username)) errors.username = `Choose a username: ${USERNAME_RULE}`;
    let displayName: string | null = null;
    try {
      displayName = cleanDisplayName(cleanText(input.displayName));
      if (!displayName) errors.displayName = 'Give your name, as your teacher will see it';
    } catch (error) {
      if (!(error instanceof AccountRuleError)) throw error;
      errors.displayName = error.message;
    }
    const passwordProblem = newPasswordProblem(password, typeof input.confirmPassword === 'string' ? input.confirmPassword : '');
    if (passwordProblem) errors[password.length >= MIN_PASSWORD_LENGTH && password.length <= MAX_PASSWORD_LENGTH ? 'confirmPassword' : 'password'] = passwordProblem;
    if (!errors.username && (await this.usernameTaken(username))) errors.username = `The username "${username}" is taken; choose another`;
    if (Object.keys(errors).length) throw formErrors(errors);

    const passwordHash = await hashPassword(password);
    try {
      const user = await this.dataSource.transaction(async (manager) => {
        const [created] = await this.usersService.insertStudents(manager, [{ username, passwordHash, displayName, mustChangePassword: false }]);
        await manager.insert(ClassroomMember, { classroomId: classroom.id, userId: created.id, role: 'student' });
        return created;
      });
      return { user, classroom };
    } catch (error) {
      if (uniqueViolation(error)) throw formErrors({ username: `The username "${username}" is taken; choose another` });
      throw error;
    }
  }

  /** What importing this roster would do, line by line; writes nothing. */
  async previewRoster(classId: number, csvText: string, actor: SessionUser): Promise<RosterPreview> {
    const classroom = await this.managed(classId, actor);
    if (typeof csvText !== 'string') throw new BadRequestException('Paste the roster or choose a CSV file');
    if (csvText.length > ROSTER_MAX_CHARS) throw new BadRequestException('The roster is too long; split it into several files');
    const reading = readRosterCsv(csvText);
    const facts = await this.rosterFacts(classroom.id, reading.rows);
    const actions = planRoster(reading.rows, facts);
    const problemLines = reading.problems.map((problem): RosterAction => ({ line: problem.line, kind: 'error', displayName: null, username: null, reason: problem.reason }));
    const lines = [...actions, ...problemLines].sort((a, b) => a.line - b.line);
    const count = (kind: RosterAction['kind']) => lines.filter((line) => line.kind === kind).length;
    return {
      classroom: { id: classroom.id, name: classroom.name },
      lines,
      errors: rosterErrors(reading.problems, actions),
      counts: { create: count('create'), enrol: count('enrol'), member: count('member'), error: count('error') },
      ignoredColumns: reading.ignoredColumns,
    };
  }

  /**
   * Imports a roster: new student accounts (generated passphrases, to be changed at first login) and enrolments of
   * existing students, in one transaction. Any bad line refuses the whole roster (RosterImportRejected, with every
   * line's reason) and nothing is written. The passwords are returned once, here; only their hashes are kept.
   */
  async importRoster(classroomId: number, csvText: string, actor: SessionUser): Promise<RosterImportResult> {
    const preview = await this.previewRoster(classroomId, csvText, actor);
    if (preview.errors.length) throw new RosterImportRejected(preview.errors);
    const creates = preview.lines.filter((line): line is Extract<RosterAction, { kind: 'create' }> => line.kind === 'create');
    const enrols = preview.lines.filter((line): line is Extract<RosterAction, { kind: 'enrol' }> => line.kind === 'enrol');
    const accounts = await mapLimited(creates, HASH_CONCURRENCY, async (line) => {
      const password = generatePassphrase();
      return { line, password, passwordHash: await hashPassword(password) };
    });
    try {
      await this.dataSource.transaction(async (manager) => {
        const users = await this.usersService.insertStudents(
          manager,
          accounts.map(({ line, passwordHash }) => ({ username: line.username, passwordHash, displayName: line.displayName, mustChangePassword: true })),
        );
        const memberships = [...users.map((user) => user.id), ...enrols.map((line) => line.userId)];
        if (memberships.length) {
          await manager
            .createQueryBuilder()
            .insert()
            .into(ClassroomMember)
            .values(memberships.map((userId) => ({ classroomId: preview.classroom.id, userId, role: 'student' as const })))
            .orIgnore()
            .execute();
        }
      });
    } catch (error) {
      const clash = uniqueViolation(error);
      if (!clash) throw error;
      // Someone made one of these usernames between the preview and now: the next preview numbers it.
      const taken = /\(username\)=\((.*)\)/.exec(clash.detail ?? '')?.[1];
      const line = creates.find((create) => create.username === taken)?.line ?? creates[0]?.line ?? 1;
      throw new RosterImportRejected([{ line, reason: `the username "${taken ?? 'on this line'}" was just taken by another account; import again to get a new one` }]);
    }
    return {
      created: accounts.map(({ line, password }) => ({ username: line.username, displayName: line.displayName, password })),
      enrolled: enrols.map((line) => ({ username: line.username, displayName: line.displayName })),
    };
  }

  /**
   * A new generated password for a student of the class, shown once; they choose their own at the next login.
   * Only for the class's teachers (and admins), and only when the sharing policy lets `actor` manage the account.
   */
  async resetStudentPassword(classId: number, userId: string, actor: SessionUser): Promise<{ user: User; password: string }> {
    const classroom = await this.managed(classId, actor);
    const student = await this.member(classroom.id, userId, 'student');
    if (!canManageAccount(actor, student)) throw new ForbiddenException('You can reset passwords only for students of your own classes');
    return this.usersService.resetPassword(student.id);
  }

  private async find(classId: number): Promise<Classroom> {
    const classroom = isRowId(classId) ? await this.classrooms.findOne({ where: { id: classId } }) : null;
    if (!classroom) throw new NotFoundException(`There is no class with id ${classId}`);
    return classroom;
  }

  /** The class, when `actor` may manage it: 404 when there is none, 403 for its students and outsiders. */
  private async managed(classId: number, actor: SessionUser): Promise<Classroom> {
    const classroom = await this.find(classId);
    if (!canManageClassroom(actor, classroom.id)) {
      throw new ForbiddenException(actor.memberOf.includes(classroom.id) ? 'Only the teachers of this class can do this' : 'You are not a teacher of this class');
    }
    return classroom;
  }

  /** A member of the class in this role, or 404. */
  private async member(classroomId: number, userId: string, role: ClassroomRole): Promise<User> {
    const user = isUuid(userId)
      ? await this.users
          .createQueryBuilder('u')
          .innerJoin(ClassroomMember, 'm', 'm.user_id = u.id AND m.classroom_id = :classroomId AND m.role = :role', { classroomId, role })
          .where('u.id = :userId', { userId })
          .getOne()
      : null;
    if (!user) throw new NotFoundException(`That user is not a ${role} of this class`);
    return user;
  }

  private usernameTaken(username: string): Promise<boolean> {
    return this.users.createQueryBuilder('u').where('lower(u.username) = lower(:username)', { username }).getExists();
  }

  /** Runs `write` with a new code, again with another when the code happens to be taken (unique index). */
  private async withFreshJoinCode<T>(write: (joinCode: string) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(generateJoinCode());
      } catch (error) {
        if (!uniqueViolation(error)?.constraint?.includes('join_code') || attempt >= JOIN_CODE_ATTEMPTS) throw error;
      }
    }
  }

  /** The accounts a roster's lines may name or whose usernames a generated one could clash with; the class's students. */
  private async rosterFacts(classroomId: number, rows: Parameters<typeof usernamesToLookUp>[0]) {
    const { exact, bases } = usernamesToLookUp(rows);
    const [accounts, classStudents]: [ExistingAccount[], ExistingAccount[]] = await Promise.all([
      exact.length + bases.length
        ? this.dataSource.query(
            `SELECT u.id, u.username, u.role, u.display_name AS "displayName", u.active, m.role AS "inClass"
               FROM users u LEFT JOIN classroom_members m ON m.user_id = u.id AND m.classroom_id = $1
              WHERE lower(u.username) = ANY($2::text[]) OR regexp_replace(lower(u.username), '\\.?[0-9]+$', '') = ANY($3::text[])`,
            [classroomId, [...exact, ...bases], bases],
          )
        : Promise.resolve([]),
      this.dataSource.query(
        `SELECT u.id, u.username, u.role, u.display_name AS "displayName", u.active, m.role AS "inClass"
           FROM classroom_members m JOIN users u ON u.id = m.user_id WHERE m.classroom_id = $1 AND m.role = 'student'
          ORDER BY m.joined_at, u.username`,
        [classroomId],
      ),
    ]);
    return {
      accounts: new Map(accounts.map((account) => [account.username.toLowerCase(), account])),
      classStudents,
      usernameRule: { pattern: USERNAME_PATTERN, message: USERNAME_RULE },
    };
  }

  private summary(row: ClassroomSummary & { joinCode: string | null }, user: SessionUser): ClassroomSummary {
    const canManage = canManageClassroom(user, row.id);
    return {
      id: row.id,
      name: row.name,
      createdAt: row.createdAt,
      myRole: row.myRole ?? null,
      canManage,
      joinCode: canManage && row.joinCode ? formatJoinCode(row.joinCode) : null,
      joinCodeEnabled: row.joinCodeEnabled,
      teacherNames: row.teacherNames,
      studentCount: row.studentCount,
    };
  }

  private async describe(classroom: Classroom, actor: SessionUser, withStudents: boolean): Promise<ClassroomDetail> {
    const people: ClassroomPerson[] = await this.dataSource.query(
      `SELECT u.id AS "userId", u.username, coalesce(u.display_name, u.username) AS "displayName", m.role, m.joined_at AS "joinedAt",
              u.active, u.must_change_password AS "mustChangePassword"
         FROM classroom_members m JOIN users u ON u.id = m.user_id
        WHERE m.classroom_id = $1 AND (m.role = 'teacher' OR $2)
        ORDER BY lower(coalesce(u.display_name, u.username)), u.username`,
      [classroom.id, withStudents],
    );
    const teachers = people.filter((person) => person.role === 'teacher');
    const students = people.filter((person) => person.role === 'student');
    const myRole = actor.teaches.includes(classroom.id) ? 'teacher' : actor.memberOf.includes(classroom.id) ? 'student' : null;
    const [{ count }] = withStudents ? [{ count: students.length }] : await this.dataSource.query(
      `SELECT count(*)::int AS count FROM classroom_members WHERE classroom_id = $1 AND role = 'student'`,
      [classroom.id],
    );
    return {
      ...this.summary({ ...classroom, myRole, canManage: false, teacherNames: teachers.map((t) => t.displayName), studentCount: count }, actor),
      teachers,
      students: withStudents ? students : null,
    };
  }
}
