import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getQueueToken } from '@nestjs/bull';
import { INestApplicationContext } from '@nestjs/common';
import Bull, { Queue } from 'bull';
import passport from 'passport';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { createPortalApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { PIPELINES_QUEUE, PREVIEWS_QUEUE } from '../src/queue/queue.module';
import { builtEntry, ensureBuilt } from './utils/built-dist';
import { csrfFrom, FIXTURES } from './utils/test-app';

/**
 * The built CLI as a user runs it: `node dist/src/cli.js …` as child processes, on the embedded default (a fresh
 * DATA_DIR, PGlite inside each command) and on the servers when DATABASE_URL and REDIS_URL are set. What each
 * command did is read back through the CLI itself (`user:list --json`), the database and a real login.
 */

const ROOT = path.join(__dirname, '..');
const CLI = builtEntry('cli');
const PASSPHRASE = /^[a-z]+-[a-z]+-[a-z]+-\d{3}$/;
const STACK_LINE = /\n\s+at /;
/** As students type it: 8 letters and digits without look-alikes, shown as ABCD-EF23. */
const JOIN_CODE = /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Mode {
  name: string;
  embedded: boolean;
}

const servers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const MODES: Mode[] = [
  { name: 'the embedded default (PGlite in DATA_DIR)', embedded: true },
  ...(servers ? [{ name: 'the servers (DATABASE_URL, REDIS_URL)', embedded: false }] : []),
];
if (!servers) console.log('cli.e2e-spec: DATABASE_URL/REDIS_URL not set, so the built CLI is tested on the embedded default only');

/** Every command the README's tables and Docker section show, e.g. user:create, migrate. */
function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const found = [...readme.matchAll(/(?:npm run cli --|node dist\/src\/cli\.js) ([a-z]+(?::[a-z0-9]+)?)/g)].map((match) => match[1]);
  return [...new Set(found)].sort();
}

beforeAll(() => ensureBuilt(), 300_000);

describe.each(MODES)('the built CLI on $name (e2e)', (mode) => {
  // Made in beforeAll, so that a run filtered to the other mode leaves no directory behind.
  let dataDir = '';
  const env: NodeJS.ProcessEnv = { ...process.env, SESSION_SECRET: 'cli-test-secret', SEED_DEMO: 'false', LOG_LEVEL: 'warn' };
  if (mode.embedded) {
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
  }
  const ran = new Set<string>();
  const demo: { passwords: Record<string, string>; joinCode: string } = { passwords: {}, joinCode: '' };

  function cli(...args: string[]): Promise<Run> {
    ran.add(args[0]);
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** A refusal as the brief wants it: exit 1, one line starting "Error:" (plus a roster's bad rows), no stack. */
  function expectRefused(run: Run, message: string | RegExp) {
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: /);
    expect(run.stderr).not.toMatch(STACK_LINE);
    if (typeof message === 'string') expect(run.stderr).toContain(message);
    else expect(run.stderr).toMatch(message);
  }

  async function userList(): Promise<Array<{ username: string; role: string; displayName: string | null; active: boolean; createdAt: string }>> {
    const run = await cli('user:list', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout);
  }

  /**
   * The web app on the same database and DATA_DIR for a while: a login, a look at the rows. The embedded database
   * belongs to one process at a time, so it is closed again before the next command.
   */
  async function withPortal<T>(
    use: (portal: { app: INestApplicationContext; http: ReturnType<typeof request>; db: DataSource; queue: (name: string) => Queue }) => Promise<T>,
  ): Promise<T> {
    const portal = await createPortalApp(loadConfig(env), { logger: process.env.TEST_LOGS ? undefined : false });
    try {
      await portal.app.init();
      return await use({
        app: portal.app,
        http: request(portal.app.getHttpServer()),
        db: portal.app.get(DataSource),
        queue: (name) => portal.app.get<Queue>(getQueueToken(name)),
      });
    } finally {
      await portal.close();
      // Nest's PassportSerializer registers on passport's process-wide singleton, and passport asks the first one
      // registered: forget the closed app's, or the next app's sessions would be read through a closed database.
      const registry = passport as unknown as { _serializers: unknown[]; _deserializers: unknown[] };
      registry._serializers.length = 0;
      registry._deserializers.length = 0;
    }
  }

  /** POST /login: the status, and the session cookie when it succeeded. */
  async function login(http: ReturnType<typeof request>, username: string, password: string): Promise<{ status: number; cookie: string | null }> {
    const page = await http.get('/login').expect(200);
    const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const response = await http
      .post('/login')
      .set('Cookie', cookies.join('; '))
      .type('form')
      .send({ username, password, _csrf: csrfFrom(page.text), next: '/targets' });
    const session = ([] as string[]).concat(response.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    return { status: response.status, cookie: response.status === 303 ? session.join('; ') || cookies.join('; ') : null };
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-cli-'));
    env.DATA_DIR = dataDir;
    if (mode.embedded) return;
    // The servers' database is shared by the e2e files run one after another: start from an empty one.
    await withPortal(async ({ db, queue }) => {
      await db.query(
        `TRUNCATE users, classrooms, classroom_members, targets, pipeline_log_lines, target_lists, data_products, data_product_groups, reduced_data, pipeline_runs, api_tokens, sessions RESTART IDENTITY CASCADE`,
      );
      for (const name of [PIPELINES_QUEUE, PREVIEWS_QUEUE]) await queue(name).obliterate({ force: true });
    });
  }, 120_000);
  afterAll(() => dataDir && fs.rmSync(dataDir, { recursive: true, force: true }));

  it('migrate: applies what is pending, then has nothing to do', async () => {
    const first = await cli('migrate');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // A fresh embedded database gets every migration; the servers' test database is already at the schema.
    expect(first.stdout).toMatch(mode.embedded ? /^Applied migrations: InitialSchema\d+, .*ClassesAndSharing1795800000000/ : /^(Applied migrations: |No pending migrations)/);
    const again = await cli('migrate');
    expect(again).toEqual({ code: 0, stdout: 'No pending migrations\n', stderr: '' });
  }, 120_000);

  it('seed:demo: an admin, a teacher with "Demo class" and its join code, two students in it, public M13 and Sun', async () => {
    const run = await cli('seed:demo');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const [username, role] of [['admin', 'admin'], ['teacher', 'teacher'], ['student1', 'student'], ['student2', 'student']]) {
      const match = new RegExp(`^Demo account: ${username} / (\\S+) \\(${role}\\)$`, 'm').exec(run.stdout);
      expect(match).not.toBeNull();
      expect(match![1]).toMatch(PASSPHRASE);
      demo.passwords[username] = match![1];
    }
    const joinLine = /^Demo class: "Demo class" \(id (\d+)\), join code (\S+)$/m.exec(run.stdout);
    expect(joinLine).not.toBeNull();
    demo.joinCode = joinLine![2];
    expect(demo.joinCode).toMatch(JOIN_CODE);
    expect(run.stdout).toContain(`(also saved in ${dataDir}/demo-accounts.txt)`);
    // The same in DATA_DIR, for whoever missed the output.
    const saved = fs.readFileSync(path.join(dataDir, 'demo-accounts.txt'), 'utf8');
    for (const [username, password] of Object.entries(demo.passwords)) expect(saved).toMatch(new RegExp(`\\t${username}\\t${password}$`, 'm'));
    expect(saved).toContain(`join-code\t${demo.joinCode}`);

    expect((await userList()).map(({ username, role, active }) => ({ username, role, active }))).toEqual([
      { username: 'admin', role: 'admin', active: true },
      { username: 'student1', role: 'student', active: true },
      { username: 'student2', role: 'student', active: true },
      { username: 'teacher', role: 'teacher', active: true },
    ]);

    if (!mode.embedded) {
      // On servers the thumbnails are queued at once on REDIS_URL, for whichever worker is running.
      const previews = new Bull(PREVIEWS_QUEUE, process.env.REDIS_URL!, { prefix: 'portal' });
      try {
        expect((await previews.getJobCounts()).waiting).toBe(18);
        expect(run.stdout).toContain('Thumbnails of the frames are queued for the workers.');
      } finally {
        await previews.close();
      }
    } else {
      expect(run.stdout).toContain('Thumbnails of the frames are made when the portal next starts.');
    }

    await withPortal(async ({ http, db }) => {
      const [classroom] = await db.query(`SELECT id, name, join_code FROM classrooms`);
      expect(classroom).toEqual({ id: Number(joinLine![1]), name: 'Demo class', join_code: demo.joinCode.replace('-', '') });
      const members = await db.query(
        `SELECT u.username, m.role FROM classroom_members m JOIN users u ON u.id = m.user_id WHERE m.classroom_id = $1 ORDER BY u.username`,
        [classroom.id],
      );
      expect(members).toEqual([
        { username: 'student1', role: 'student' },
        { username: 'student2', role: 'student' },
        { username: 'teacher', role: 'teacher' },
      ]);
      const targets = await db.query(
        `SELECT t.name, t.visibility, u.username AS owner, count(p.id)::int AS frames, count(p.id) FILTER (WHERE p.visibility = 'public')::int AS public
           FROM targets t JOIN users u ON u.id = t.owner_id LEFT JOIN data_products p ON p.target_id = t.id GROUP BY t.id, u.username ORDER BY t.name`,
      );
      expect(targets).toEqual([
        { name: 'M13', visibility: 'public', owner: 'teacher', frames: 5, public: 5 },
        { name: 'Sun', visibility: 'public', owner: 'teacher', frames: 13, public: 13 },
      ]);
      // The preset the README's demo assignment uses: the frames have no WCS.
      expect(await db.query(`SELECT p.pipeline_key, p.name, p.flags, u.username FROM pipeline_presets p JOIN users u ON u.id = p.created_by_id`)).toEqual([
        { pipeline_key: 'Aperture photometry', name: 'Demo frames (no WCS)', flags: { brightestWithoutWcs: true, comparisonStars: false }, username: 'teacher' },
      ]);
      // The printed passwords log in, and the frames' thumbnails get made (the queued jobs, or the start-up sweep).
      for (const [username, password] of Object.entries(demo.passwords)) expect((await login(http, username, password)).status).toBe(303);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const [{ missing }] = await db.query(`SELECT count(*)::int AS missing FROM data_products WHERE thumbnail_path IS NULL AND preview_error IS NULL`);
        if (missing === 0) break;
        if (Date.now() > deadline) throw new Error(`${missing} demo thumbnails still missing`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });

    const again = await cli('seed:demo');
    expect(again).toEqual({ code: 0, stdout: 'The database already has users; nothing seeded.\n', stderr: '' });
  }, 240_000);

  it('user:create with a password, or with a generated passphrase that must be changed; refusals create nothing', async () => {
    const made = await cli('user:create', '--username', 'ms.lee', '--password', 'correct-horse-1', '--role', 'teacher', '--display-name', 'Ms Lee');
    expect(made).toEqual({ code: 0, stdout: 'Created teacher "ms.lee" (Ms Lee)\n', stderr: '' });
    const generated = await cli('user:create', '--username', 'head', '--role', 'admin');
    expect(generated.code).toBe(0);
    const password = /^Password: (\S+) {3}\(shown once; it must be changed at the first login\)$/m.exec(generated.stdout)?.[1];
    expect(password).toMatch(PASSPHRASE);

    const before = await userList();
    expect(before).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ username: 'ms.lee', role: 'teacher', displayName: 'Ms Lee', active: true }),
        expect.objectContaining({ username: 'head', role: 'admin', displayName: null, active: true }),
      ]),
    );
    expect(Date.parse(before.find((u) => u.username === 'ms.lee')!.createdAt)).toBeGreaterThan(Date.now() - 600_000);

    expectRefused(await cli('user:create', '--username', 'ms.lee', '--password', 'another-pass-2', '--role', 'student'), 'User "ms.lee" already exists');
    expectRefused(await cli('user:create', '--username', 'mr.x', '--password', 'another-pass-2', '--role', 'janitor'), '--role must be one of: admin, teacher, student');
    expectRefused(await cli('user:create', '--username', 'mr.x', '--password', 'short', '--role', 'student'), 'at least 8 characters');
    expectRefused(await cli('user:create', '--username', 'mr.x', '--password', 'another-pass-2'), 'Missing --role');
    expectRefused(await cli('user:create', '--username', 'mr.x', '--colour', 'red'), "Unknown option '--colour'");
    expect(await userList()).toEqual(before);

    const table = await cli('user:list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^username +role +display name +active +created$/);
    expect(lines.find((line) => line.startsWith('ms.lee '))).toMatch(/^ms\.lee +teacher +Ms Lee +yes +\d{4}-\d\d-\d\dT/);
    expect(lines).toHaveLength(before.length + 1);

    await withPortal(async ({ http, db }) => {
      expect((await login(http, 'ms.lee', 'correct-horse-1')).status).toBe(303);
      expect((await login(http, 'head', password!)).status).toBe(303);
      const rows = await db.query(`SELECT username, must_change_password FROM users WHERE username IN ('ms.lee', 'head') ORDER BY username`);
      expect(rows).toEqual([
        { username: 'head', must_change_password: true },
        { username: 'ms.lee', must_change_password: false },
      ]);
    });
  }, 180_000);

  it('user:password sets a new password and ends the sessions made with the old one: the new one logs in, the old one no longer does', async () => {
    const session = await withPortal(async ({ http }) => {
      const signedIn = await login(http, 'ms.lee', 'correct-horse-1');
      expect(signedIn.status).toBe(303);
      await http.get('/api/me').set('Cookie', signedIn.cookie!).expect(200);
      return signedIn.cookie!;
    });
    const changed = await cli('user:password', '--username', 'ms.lee', '--password', 'new-secret-22');
    expect({ ...changed, stdout: '' }).toEqual({ code: 0, stdout: '', stderr: '' });
    // The session above and any earlier logins' ones.
    expect(changed.stdout).toMatch(/^Password changed for "ms\.lee"; [1-9]\d* session\(s\) ended\n$/);
    expectRefused(await cli('user:password', '--username', 'nobody', '--password', 'new-secret-22'), 'There is no user "nobody"');
    await withPortal(async ({ http }) => {
      await http.get('/api/me').set('Cookie', session).expect(401);
      expect((await login(http, 'ms.lee', 'new-secret-22')).status).toBe(303);
      expect((await login(http, 'ms.lee', 'correct-horse-1')).status).toBe(401);
    });
  }, 120_000);

  (mode.embedded ? it : it.skip)('refuses to open the embedded database while the portal has it open, and changes nothing', async () => {
    const before = await userList();
    await withPortal(async () => {
      const refused = await cli('user:create', '--username', 'while.running', '--password', 'abcdefgh123', '--role', 'student');
      expectRefused(refused, `The embedded database in ${dataDir} is open in another process (pid ${process.pid}), such as the running portal`);
    });
    expect(await userList()).toEqual(before);
  }, 120_000);

  let classId = 0;

  it('class:create prints the class id and its join code, the teacher becomes its teacher', async () => {
    const run = await cli('class:create', '--teacher', 'ms.lee', '--name', 'Physics 9B');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const created = /^Created class (\d+) "Physics 9B", taught by ms\.lee$/m.exec(run.stdout);
    expect(created).not.toBeNull();
    classId = Number(created![1]);
    const joinCode = /^Join code: (\S+) /m.exec(run.stdout)?.[1];
    expect(joinCode).toMatch(JOIN_CODE);
    expect(joinCode).not.toBe(demo.joinCode);

    const json = await cli('class:create', '--teacher', 'ms.lee', '--name', 'Astronomy club', '--json');
    expect(json.code).toBe(0);
    const club = JSON.parse(json.stdout);
    expect(club).toEqual({ id: classId + 1, name: 'Astronomy club', joinCode: expect.stringMatching(JOIN_CODE) });

    expectRefused(await cli('class:create', '--teacher', 'student1', '--name', 'Mine'), '"student1" is a student');
    expectRefused(await cli('class:create', '--teacher', 'nobody', '--name', 'Mine'), 'There is no user "nobody"');
    expectRefused(await cli('class:create', '--teacher', 'ms.lee'), 'Missing --name');

    await withPortal(async ({ db }) => {
      const classes = await db.query(`SELECT id, name, join_code FROM classrooms WHERE name <> 'Demo class' ORDER BY id`);
      expect(classes).toEqual([
        { id: classId, name: 'Physics 9B', join_code: joinCode!.replace('-', '') },
        { id: club.id, name: 'Astronomy club', join_code: club.joinCode.replace('-', '') },
      ]);
      const members = await db.query(
        `SELECT u.username, m.role FROM classroom_members m JOIN users u ON u.id = m.user_id WHERE m.classroom_id = $1`,
        [classId],
      );
      expect(members).toEqual([{ username: 'ms.lee', role: 'teacher' }]);
    });
  }, 120_000);

  it('class:import: a bad roster names every bad line and creates nothing; a good one creates and enrols', async () => {
    const before = await userList();
    const bad = path.join(dataDir, 'bad-roster.csv');
    fs.writeFileSync(bad, 'name,username\nGrace Hopper,ghopper\n,nameless\nAlan Turing,aturing,extra\nKatherine Johnson,kjohnson\n');
    const refused = await cli('class:import', '--class', String(classId), bad);
    expectRefused(refused, `${bad}: 2 bad rows; nothing was created`);
    expect(refused.stderr).toMatch(/^ {2}line 3: .+$/m);
    expect(refused.stderr).toMatch(/^ {2}line 4: .+$/m);
    expect(refused.stdout).toBe('');
    expect(await userList()).toEqual(before);

    const roster = path.join(dataDir, 'roster.csv');
    fs.writeFileSync(roster, 'name,username\nGrace Hopper,ghopper\nAlan Turing,aturing\nKatherine Johnson,kjohnson\nDemo student one,student1\n');
    const run = await cli('class:import', '--class', String(classId), roster);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Class ${classId} "Physics 9B": 3 account(s) created, 1 existing student(s) enrolled`);
    const passwords: Record<string, string> = {};
    for (const [username, name] of [['ghopper', 'Grace Hopper'], ['aturing', 'Alan Turing'], ['kjohnson', 'Katherine Johnson']]) {
      const line = new RegExp(`^ {2}${username} +${name} +(\\S+)$`, 'm').exec(run.stdout);
      expect(line).not.toBeNull();
      expect(line![1]).toMatch(PASSPHRASE);
      passwords[username] = line![1];
    }
    expect(run.stdout).toMatch(/^Enrolled:\n {2}username +display name\n {2}student1 +Demo student one$/m);

    const after = await userList();
    expect(after).toHaveLength(before.length + 3);
    expect(after.filter((u) => ['ghopper', 'aturing', 'kjohnson'].includes(u.username)).map((u) => [u.username, u.role, u.displayName])).toEqual([
      ['aturing', 'student', 'Alan Turing'],
      ['ghopper', 'student', 'Grace Hopper'],
      ['kjohnson', 'student', 'Katherine Johnson'],
    ]);

    expectRefused(await cli('class:import', '--class', '999999', roster), 'There is no class 999999');
    expectRefused(await cli('class:import', '--class', String(classId), path.join(dataDir, 'missing.csv')), 'No such file');
    expectRefused(await cli('class:import', '--class', 'physics', roster), '--class takes a class id');
    expectRefused(await cli('class:import', '--class', String(classId)), 'Name one roster FILE.csv');

    await withPortal(async ({ http, db }) => {
      const members = await db.query(
        `SELECT u.username, m.role FROM classroom_members m JOIN users u ON u.id = m.user_id WHERE m.classroom_id = $1 ORDER BY m.role DESC, u.username`,
        [classId],
      );
      expect(members).toEqual([
        { username: 'ms.lee', role: 'teacher' },
        { username: 'aturing', role: 'student' },
        { username: 'ghopper', role: 'student' },
        { username: 'kjohnson', role: 'student' },
        { username: 'student1', role: 'student' },
      ]);
      expect((await login(http, 'ghopper', passwords.ghopper)).status).toBe(303);
      const [{ must }] = await db.query(`SELECT must_change_password AS must FROM users WHERE username = 'ghopper'`);
      expect(must).toBe(true);
    });
  }, 180_000);

  it('target:import: a CSV in TOM Toolkit\'s format, as --as, shared as --class says; a bad file names its lines and creates nothing', async () => {
    const file = path.join(dataDir, 'targets.csv');
    fs.writeFileSync(file, 'name,type,ra,dec,aliases,notes\nCLI Vega,SIDEREAL,18:36:56.3,+38:47:01,alf Lyr CLI,bright\n');
    const run = await cli('target:import', '--as', 'ms.lee', '--class', String(classId), '--json', file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ owner: 'ms.lee', created: [{ line: 2, id: expect.any(Number), name: 'CLI Vega' }], visibility: 'class', classroomId: classId });

    // As the first admin; M13 and its alias NGC 6205 are the demo's.
    const bad = path.join(dataDir, 'targets-bad.csv');
    fs.copyFileSync(path.join(FIXTURES, 'tom', 'targets-bad.csv'), bad);
    const refused = await cli('target:import', bad);
    expectRefused(refused, `${bad}: 6 bad lines; nothing was created`);
    expect(refused.stderr).toMatch(/^ {2}line 3: ra: Right ascension hours must be between 0 and 24/m);
    expect(refused.stderr).toMatch(/^ {2}line 8: another target is already called "M13"$/m);
    expect(refused.stderr).toMatch(/^ {2}line 9: "NGC 6205" already names another target$/m);
    expectRefused(await cli('target:import', '--as', 'ms.lee', '--visibility', 'class', file), 'Choose the class to share with');
    expectRefused(await cli('target:import', '--visibility', 'everyone', file), '--visibility must be private, class or public');
    expectRefused(await cli('target:import', '--as', 'nobody', file), 'There is no user "nobody"');
    expectRefused(await cli('target:import'), 'Name one FILE.csv of targets to import');

    await withPortal(async ({ db }) => {
      const rows = await db.query(
        `SELECT t.name, t.aliases, t.extra, t.visibility, t.classroom_id, u.username FROM targets t JOIN users u ON u.id = t.owner_id WHERE t.name NOT IN ('M13', 'Sun') ORDER BY t.id`,
      );
      expect(rows).toEqual([{ name: 'CLI Vega', aliases: ['alf Lyr CLI'], extra: { notes: 'bright' }, visibility: 'class', classroom_id: classId, username: 'ms.lee' }]);
    });
  }, 180_000);

  it('user:deactivate: the login fails, the session ends, the API token stops; the last admin stays', async () => {
    const { session, token } = await withPortal(async ({ http, app, db }) => {
      const signedIn = await login(http, 'ms.lee', 'new-secret-22');
      expect(signedIn.status).toBe(303);
      await http.get('/api/me').set('Cookie', signedIn.cookie!).expect(200);
      const [{ id }] = await db.query(`SELECT id FROM users WHERE username = 'ms.lee'`);
      const { token } = await app.get(ApiTokensService).create({ id }, 'cli test');
      await http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200);
      return { session: signedIn.cookie!, token };
    });

    const run = await cli('user:deactivate', '--username', 'ms.lee');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Deactivated: "ms\.lee"; [1-9]\d* session\(s\) ended$/m);
    expect((await userList()).find((u) => u.username === 'ms.lee')).toMatchObject({ active: false });

    await withPortal(async ({ http, db }) => {
      const [{ sessions }] = await db.query(
        `SELECT count(*)::int AS sessions FROM sessions WHERE sess::jsonb #>> '{passport,user}' = (SELECT id::text FROM users WHERE username = 'ms.lee')`,
      );
      expect(sessions).toBe(0);
      await http.get('/api/me').set('Cookie', session).expect(401);
      expect((await login(http, 'ms.lee', 'new-secret-22')).status).not.toBe(303);
      await http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(401);
    });

    // Two admins (the demo's and "head"): one may go, the last one stays.
    expect((await cli('user:deactivate', '--username', 'head')).code).toBe(0);
    expectRefused(await cli('user:deactivate', '--username', 'admin'), '"admin" is the only active admin');
    expect((await userList()).find((u) => u.username === 'admin')).toMatchObject({ active: true });
    expectRefused(await cli('user:deactivate', '--username', 'nobody'), 'There is no user "nobody"');

    // user:activate lets the account in again with the password it had; a second time says so and changes nothing.
    expect(await cli('user:activate', '--username', 'ms.lee')).toEqual({ code: 0, stdout: 'Activated: "ms.lee"\n', stderr: '' });
    expect(await cli('user:activate', '--username', 'ms.lee')).toEqual({ code: 0, stdout: 'Already active: "ms.lee"\n', stderr: '' });
    expect((await userList()).find((u) => u.username === 'ms.lee')).toMatchObject({ active: true });
    await withPortal(async ({ http }) => expect((await login(http, 'ms.lee', 'new-secret-22')).status).toBe(303));
    expectRefused(await cli('user:activate', '--username', 'nobody'), 'There is no user "nobody"');
  }, 180_000);

  it('pipeline:list and pipeline:run, fits:info, fits:pix2world and fits:world2pix', async () => {
    const list = await cli('pipeline:list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: 'FITS header summary', shortName: 'header_summary' }));
    const text = await cli('pipeline:list');
    expect(text.stdout).toMatch(/^FITS header summary \(header_summary\): takes \.fits/m);

    const pipelineRun = await cli('pipeline:run', '--pipeline', 'FITS header summary', '--target', 'M13', '--as', 'teacher', '--json', path.join(FIXTURES, 'HorseHead.fits'));
    expect(pipelineRun.code).toBe(0);
    expect(pipelineRun.stderr).toContain('Reading frame 1/1: HorseHead.fits');
    const summary = JSON.parse(pipelineRun.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ state: 'succeeded', failureMessage: null });
    expect(summary.outputs).toEqual([expect.objectContaining({ outputType: 'DataProduct', name: 'header_summary.csv' })]);
    expectRefused(await cli('pipeline:run', '--pipeline', 'FITS header summary', '--target', 'Nowhere', path.join(FIXTURES, 'HorseHead.fits')), 'There is no target called "Nowhere"');

    const horsehead = path.join(FIXTURES, 'HorseHead.fits');
    const info = await cli('fits:info', horsehead, '--json');
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout).map((hdu: { index: number; type: string }) => [hdu.index, hdu.type])).toEqual([
      [0, 'PRIMARY'],
      [1, 'TABLE'],
    ]);
    const sky = await cli('fits:pix2world', horsehead, '100', '200', '--json');
    expect(sky.code).toBe(0);
    const { ra, dec } = JSON.parse(sky.stdout);
    const back = await cli('fits:world2pix', horsehead, String(ra), String(dec), '--json');
    expect(back.code).toBe(0);
    const { x, y } = JSON.parse(back.stdout);
    expect(x).toBeCloseTo(100, 6);
    expect(y).toBeCloseTo(200, 6);
    expectRefused(await cli('fits:info', path.join(FIXTURES, 'README.md')), 'not a FITS file');
  }, 180_000);

  it('help lists every command; an unknown one is refused in one line; each README command was run here', async () => {
    const help = await cli('help');
    expect(help.code).toBe(0);
    expectRefused(await cli('user:remove', '--username', 'x'), 'Unknown command "user:remove"');
    const commands = readmeCommands();
    expect(commands).toEqual(expect.arrayContaining(['user:create', 'user:password', 'user:list', 'user:deactivate', 'user:activate', 'class:create', 'class:import', 'migrate', 'seed:demo']));
    for (const command of commands) {
      expect(help.stdout).toContain(`  ${command}`);
      expect([...ran]).toContain(command);
    }
  }, 60_000);
});
