import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ApiTokens1795500000000 } from '../migrations/1795500000000-ApiTokens';
import { InitialSchema1795304071709 } from '../migrations/1795304071709-InitialSchema';
import { PageIndexes1795610000000 } from '../migrations/1795610000000-PageIndexes';
import { PipelinePresets1795311323330 } from '../migrations/1795311323330-PipelinePresets';
import { PreviewError1795400000000 } from '../migrations/1795400000000-PreviewError';
import { RunIndexes1795700000000 } from '../migrations/1795700000000-RunIndexes';
import { hashToken } from '../src/api-tokens/api-token.codec';
import { createPortalApp, PortalApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { typeormOptions } from '../src/database/typeorm-options';
import { EmbeddedPostgres, startEmbeddedPostgres } from '../src/infrastructure/embedded-postgres';
import { hashPassword } from '../src/users/password-hasher';
import { loginAs } from './utils/test-app';

/**
 * Upgrading a portal of the version before classes and sharing (the schema up to RunIndexes) keeps every row, makes
 * the old teachers admins and keeps everything as visible as it was; the portal then starts on that database, and
 * reverting ClassesAndSharing gives the old shape back with every row. Runs on a database of its own: a fresh one
 * made with CREATE DATABASE on the DATABASE_URL server (dropped afterwards), else the embedded PGlite in a temporary
 * DATA_DIR, closed and reopened between "versions" as a real upgrade would.
 */

/** The migrations of the version before ClassesAndSharing, as that version would have run them. */
const OLD_MIGRATIONS = [
  InitialSchema1795304071709,
  PipelinePresets1795311323330,
  PreviewError1795400000000,
  ApiTokens1795500000000,
  PageIndexes1795610000000,
  RunIndexes1795700000000,
];
const LAST_OLD = 'RunIndexes1795700000000';
const UPGRADE = 'ClassesAndSharing1795800000000';
const SESSION_SECRET = 'upgrade-secret';
const PASSWORD = 'old-password-123';
const TEACHER_TOKEN = 'aep_' + 'U'.repeat(43);

type Row = Record<string, any>;
interface Db {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** The tables of the public schema (the migrations' own bookkeeping aside). */
async function tablesOf(db: Db): Promise<string[]> {
  const rows: Row[] = await db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migrations' ORDER BY 1`,
  );
  return rows.map((row) => row.table_name);
}

async function columnsOf(db: Db, table: string): Promise<string[]> {
  const rows: Row[] = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, [
    table,
  ]);
  return rows.map((row) => row.column_name);
}

/** Names a later migration (RunNames) changed: the old version's table and column names → today's. */
const RENAMED_TABLES: Record<string, string> = { pipeline_processes: 'pipeline_runs' };
const RENAMED_COLUMNS: Record<string, Record<string, string>> = { pipeline_log_lines: { process_id: 'run_id' } };
const todaysTable = (table: string) => RENAMED_TABLES[table] ?? table;
const todaysColumn = (table: string, column: string) => RENAMED_COLUMNS[table]?.[column] ?? column;

/**
 * Every row of `table`, only `columns`, in a fixed order (json columns cannot be sorted by SQL, so sort here).
 * `oldNames`: table and columns are the old version's names, read from today's schema.
 */
async function rowsOf(db: Db, table: string, columns: string[], oldNames = false): Promise<Row[]> {
  const name = (column: string) => (oldNames ? `"${todaysColumn(table, column)}" AS "${column}"` : `"${column}"`);
  const rows: Row[] = await db.query(`SELECT ${columns.map(name).join(', ')} FROM "${oldNames ? todaysTable(table) : table}"`);
  const key = (row: Row) => JSON.stringify(row);
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Each table's columns and rows. */
async function snapshot(db: Db): Promise<Record<string, { columns: string[]; rows: Row[] }>> {
  const result: Record<string, { columns: string[]; rows: Row[] }> = {};
  for (const table of await tablesOf(db)) {
    const columns = await columnsOf(db, table);
    result[table] = { columns, rows: await rowsOf(db, table, columns) };
  }
  return result;
}

/** Columns (with types, defaults, nullability), indexes and constraints of the public schema: its shape. */
async function schemaOf(db: Db): Promise<{ columns: Row[]; indexes: Row[]; constraints: Row[] }> {
  return {
    columns: await db.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'public' ORDER BY table_name, column_name`,
    ),
    indexes: await db.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`),
    constraints: await db.query(
      `SELECT conrelid::regclass::text AS "table", conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace ORDER BY conname`,
    ),
  };
}

/** A snapshot of today's schema under the old version's names, to compare with one taken before the upgrade. */
function underOldNames(snap: Record<string, { columns: string[]; rows: Row[] }>): Record<string, { columns: string[]; rows: Row[] }> {
  const oldTable = Object.fromEntries(Object.entries(RENAMED_TABLES).map(([old, today]) => [today, old]));
  return Object.fromEntries(
    Object.entries(snap).map(([today, { columns, rows }]) => {
      const table = oldTable[today] ?? today;
      const oldColumn = Object.fromEntries(Object.entries(RENAMED_COLUMNS[table] ?? {}).map(([old, now]) => [now, old]));
      const rename = (column: string) => oldColumn[column] ?? column;
      return [table, { columns: columns.map(rename), rows: rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [rename(key), value]))) }];
    }),
  );
}

const countsOf = (snap: Record<string, { rows: Row[] }>) => Object.fromEntries(Object.entries(snap).map(([table, { rows }]) => [table, rows.length]));

/** The ids of the rows the old version had, to check each one's new columns. */
interface OldData {
  teacher: string;
  studentA: string;
  studentB: string;
  publicTarget: number;
  privateTarget: number;
  products: Record<'teacherPublic' | 'lightCurveFile' | 'runOutput' | 'studentPrivate' | 'teacherPrivate', number>;
  groups: Record<'mixed' | 'privateOnly' | 'empty' | 'runOutputs', number>;
  publicRun: { id: number; identifier: string };
  privateRun: { id: number; identifier: string };
  points: Record<'fromFile' | 'fromRun' | 'fromPrivateRun' | 'fromApi' | 'fromApiPrivate', number[]>;
  /** The API point the old version skipped: identical to one of the run's points. */
  duplicate: { timestamp: string; magnitude: number; error: number; filter: string };
  studentBSession: string;
}

/**
 * Data as the old version wrote it (its services' INSERTs, reduced to SQL): a teacher and two students; the
 * teacher's public M13 and student A's private comet; products uploaded by each; groups; student A's runs with a
 * log, output product and output group; photometry from a file, from runs and from the API; a session, an API
 * token, a target list and a preset.
 */
async function seedOldVersion(db: Db): Promise<OldData> {
  const one = async (sql: string, params: unknown[]) => (await db.query(sql, params))[0];
  const user = async (username: string, role: string) =>
    (await one(`INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING id`, [username, await hashPassword(PASSWORD), role])).id as string;
  const teacher = await user('old-teacher', 'teacher');
  const studentA = await user('student-a', 'student');
  const studentB = await user('student-b', 'student');

  const target = async (name: string, visibility: string, owner: string) =>
    (await one(`INSERT INTO targets (name, ra, dec, visibility, owner_id) VALUES ($1, 250.42, 36.46, $2, $3) RETURNING id`, [name, visibility, owner])).id as number;
  const publicTarget = await target('M13', 'public', teacher);
  const privateTarget = await target('Comet of student A', 'private', studentA);

  let files = 0;
  const product = async (targetId: number, name: string, type: string, uploader: string) => {
    files++;
    // The old worker made thumbnails of images; with them recorded, the new worker queues no preview at boot.
    const thumbnail = type === 'fits_image' ? `previews/${files}.png` : null;
    return (
      await one(
        `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, thumbnail_path, uploaded_by_id)
         VALUES ($1, $2, $3, $4, 2880, $5, $6, $7) RETURNING id`,
        [targetId, `products/${targetId}/${files}-${name}`, name, type, String(files).repeat(64).slice(0, 64), thumbnail, uploader],
      )
    ).id as number;
  };
  const products = {
    teacherPublic: await product(publicTarget, 'm13-teacher.fits', 'fits_image', teacher),
    lightCurveFile: await product(publicTarget, 'm13-lc.csv', 'photometry', studentA),
    runOutput: await product(publicTarget, 'm13-stacked.fits', 'fits_image', studentA),
    studentPrivate: await product(privateTarget, 'comet-a.fits', 'fits_image', studentA),
    teacherPrivate: await product(privateTarget, 'comet-teacher.fits', 'fits_image', teacher),
  };

  const group = async (name: string, creator: string, members: number[]) => {
    const { id } = await one(`INSERT INTO data_product_groups (name, created_by_id) VALUES ($1, $2) RETURNING id`, [name, creator]);
    for (const member of members) await db.query(`INSERT INTO data_product_group_members (group_id, data_product_id) VALUES ($1, $2)`, [id, member]);
    return id as number;
  };
  const run = async (targetId: number, identifier: string, inputs: number[], outputGroup: number | null) =>
    ({
      id: (
        await one(
          `INSERT INTO pipeline_processes (pipeline_key, identifier, target_id, input_ids, state, status, output_group_id, requested_by_id, started_at, finished_at)
           VALUES ('aperture-photometry', $1, $2, $3, 'succeeded', 'Done', $4, $5, now(), now()) RETURNING id`,
          [identifier, targetId, inputs, outputGroup, studentA],
        )
      ).id as number,
      identifier,
    });
  const publicRunId = 'aperture-photometry-20260102-a1b2c3';
  const groups = {
    mixed: await group('Teacher and comet', teacher, [products.teacherPublic, products.studentPrivate]),
    privateOnly: await group('Comet frames', studentA, [products.studentPrivate, products.teacherPrivate]),
    empty: await group('Empty so far', studentA, []),
    runOutputs: await group(`${publicRunId}_outputs`, studentA, [products.runOutput]),
  };
  const publicRun = await run(publicTarget, publicRunId, [products.teacherPublic], groups.runOutputs);
  const privateRun = await run(privateTarget, 'aperture-photometry-20260103-d4e5f6', [products.studentPrivate], null);
  await db.query(`INSERT INTO pipeline_log_lines (process_id, seq, level, text) VALUES ($1, 1, 'info', 'Measured 2 point(s)')`, [publicRun.id]);

  // The old addPhotometry: INSERT ... ON CONFLICT DO NOTHING on (target, data type, time, value).
  const points = async (targetId: number, productId: number | null, sourceName: string, rows: Array<[string, number, number, string]>) => {
    const ids: number[] = [];
    for (const [timestamp, magnitude, error, filter] of rows) {
      const inserted: Row[] = await db.query(
        `INSERT INTO reduced_data (target_id, data_product_id, data_type, source_name, timestamp, value)
         VALUES ($1, $2, 'photometry', $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
        [targetId, productId, sourceName, timestamp, JSON.stringify({ magnitude, error, filter })],
      );
      ids.push(...inserted.map((row) => row.id as number));
    }
    return ids;
  };
  const duplicate = { timestamp: '2026-01-02T21:00:00.000Z', magnitude: 14.2, error: 0.05, filter: 'V' };
  const pointIds = {
    fromFile: await points(publicTarget, products.lightCurveFile, 'm13-lc.csv', [
      ['2026-01-01T20:00:00Z', 14.1, 0.04, 'V'],
      ['2026-01-01T20:10:00Z', 14.3, 0.04, 'B'],
    ]),
    fromRun: await points(publicTarget, null, publicRun.identifier, [
      [duplicate.timestamp, duplicate.magnitude, duplicate.error, duplicate.filter],
      ['2026-01-02T21:05:00Z', 14.25, 0.05, 'V'],
    ]),
    fromPrivateRun: await points(privateTarget, null, privateRun.identifier, [['2026-01-03T22:00:00Z', 9.8, 0.1, 'R']]),
    // The API point identical to the run's was skipped by the old version (stored once, credited to the run).
    fromApi: await points(publicTarget, null, 'api', [
      [duplicate.timestamp, duplicate.magnitude, duplicate.error, duplicate.filter],
      ['2026-01-04T19:00:00Z', 14.0, 0.06, 'V'],
    ]),
    fromApiPrivate: await points(privateTarget, null, 'robot-scope', [['2026-01-05T23:00:00Z', 9.7, 0.1, 'R']]),
  };

  const list = await one(`INSERT INTO target_lists (name) VALUES ('Clusters') RETURNING id`, []);
  await db.query(`INSERT INTO target_list_targets (target_list_id, target_id) VALUES ($1, $2)`, [list.id, publicTarget]);
  await db.query(`INSERT INTO pipeline_presets (pipeline_key, name, flags, created_by_id) VALUES ('aperture-photometry', 'Wide aperture', '{"radius": 8}', $1)`, [teacher]);
  await db.query(`INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES ($1, 'notebook', $2, $3)`, [teacher, hashToken(TEACHER_TOKEN), TEACHER_TOKEN.slice(0, 8)]);
  // Student B's browser session, as connect-pg-simple stored it (Passport keeps only the user id).
  const studentBSession = 'old-session-of-student-b';
  const expires = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const sess = { cookie: { originalMaxAge: 14 * 24 * 3600 * 1000, expires, httpOnly: true, path: '/', sameSite: 'lax' }, passport: { user: studentB } };
  await db.query(`INSERT INTO sessions (sid, sess, expire) VALUES ($1, $2, $3)`, [studentBSession, JSON.stringify(sess), expires]);

  return {
    teacher,
    studentA,
    studentB,
    publicTarget,
    privateTarget,
    products,
    groups,
    publicRun,
    privateRun,
    points: pointIds,
    duplicate,
    studentBSession,
  };
}

/** The cookie express-session would have set for `sid` (its `s:` + HMAC-SHA256 signature, without padding). */
function sessionCookie(sid: string): string {
  const signature = createHmac('sha256', SESSION_SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return `portal.sid=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

describe('upgrading to classes and sharing keeps every row (e2e)', () => {
  const useServer = Boolean(process.env.DATABASE_URL);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-upgrade-'));
  /** The fresh database on the server (DATABASE_URL), made here and dropped afterwards. */
  let serverDatabase: { name: string; url: string } | undefined;
  let embedded: EmbeddedPostgres | undefined;
  let portal: PortalApp | undefined;
  let old: OldData;
  let before: Awaited<ReturnType<typeof snapshot>>;
  let oldSchema: Awaited<ReturnType<typeof schemaOf>>;
  let db: DataSource;
  /** The point the teacher adds after the upgrade, identical to one of student A's. */
  let teachersCopy: number;

  const adminServer = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  /** The database's URL: the fresh server database, or the embedded one (opened now; one process at a time). */
  const openDatabase = async (): Promise<string> => {
    if (serverDatabase) return serverDatabase.url;
    embedded = await startEmbeddedPostgres(dataDir);
    return embedded.url;
  };
  const closeDatabase = async () => {
    await embedded?.close();
    embedded = undefined;
  };

  /** The portal as `npm start` makes it on this database: its migrations run by the real runner (runMigrations). */
  const startPortal = () =>
    createPortalApp(
      loadConfig({
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: serverDatabase?.url,
        SEED_DEMO: 'false',
        SESSION_SECRET,
      }),
      { logger: false },
    );

  beforeAll(async () => {
    if (useServer) {
      const name = `portal_upgrade_${process.pid}_${Date.now()}`;
      await adminServer((client) => client.query(`CREATE DATABASE "${name}"`));
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = `/${name}`;
      serverDatabase = { name, url: url.toString() };
    }
    // The old version: only its migrations, then its data.
    const oldVersion = await new DataSource({ ...typeormOptions(await openDatabase()), entities: [], migrations: OLD_MIGRATIONS }).initialize();
    try {
      const ran = await oldVersion.runMigrations({ transaction: 'each' });
      expect(ran.map((migration) => migration.name)).toEqual(OLD_MIGRATIONS.map((migration) => migration.name));
      old = await seedOldVersion(oldVersion);
      before = await snapshot(oldVersion);
      oldSchema = await schemaOf(oldVersion);
    } finally {
      await oldVersion.destroy();
      await closeDatabase();
    }
  }, 120_000);

  afterAll(async () => {
    await portal?.close();
    await closeDatabase();
    if (serverDatabase) await adminServer((client) => client.query(`DROP DATABASE IF EXISTS "${serverDatabase!.name}" WITH (FORCE)`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('the old data is what the old version stored: identical points from two sources kept once, credited to the first', () => {
    expect(countsOf(before)).toMatchObject({ users: 3, targets: 2, data_products: 5, data_product_groups: 4, data_product_group_members: 5 });
    expect(countsOf(before)).toMatchObject({ pipeline_processes: 2, pipeline_log_lines: 1, reduced_data: 7, sessions: 1, api_tokens: 1 });
    expect(old.points.fromRun).toHaveLength(2);
    expect(old.points.fromApi).toHaveLength(1);
    expect(before.users.columns).not.toContain('active');
  });

  it('starting the new version migrates with the real runner and keeps every row and every old value', async () => {
    portal = await startPortal();
    db = portal.app.get(DataSource);
    const applied: Row[] = await db.query(`SELECT name FROM migrations ORDER BY id`);
    const names = applied.map((row) => row.name);
    // The old ones were not run again; ClassesAndSharing came right after them.
    expect(names.slice(0, OLD_MIGRATIONS.length + 1)).toEqual([...OLD_MIGRATIONS.map((migration) => migration.name), UPGRADE]);

    const after = underOldNames(await snapshot(db));
    expect(Object.keys(after)).toEqual(expect.arrayContaining(Object.keys(before)));
    expect(countsOf(after)).toMatchObject(countsOf(before));
    expect(countsOf(after)).toMatchObject({ classrooms: 0, classroom_members: 0 });
    // Every old column of every row still holds its old value, but for the teacher's role.
    const oldRole = (row: Row) => ({ ...row, role: row.role === 'admin' ? 'teacher' : row.role });
    for (const [table, { columns, rows }] of Object.entries(before)) {
      const now = await rowsOf(db, table, columns, true);
      expect({ table, rows: table === 'users' ? now.map(oldRole) : now }).toEqual({ table, rows });
    }
  });

  it('makes old teachers admins; students stay students; everyone is active and keeps their password', async () => {
    const users: Row[] = await db.query(`SELECT id, username, role, active, must_change_password, deactivated_at, display_name FROM users ORDER BY username`);
    expect(users).toEqual([
      { id: old.teacher, username: 'old-teacher', role: 'admin', active: true, must_change_password: false, deactivated_at: null, display_name: null },
      { id: old.studentA, username: 'student-a', role: 'student', active: true, must_change_password: false, deactivated_at: null, display_name: null },
      { id: old.studentB, username: 'student-b', role: 'student', active: true, must_change_password: false, deactivated_at: null, display_name: null },
    ]);
  });

  it('keeps products, runs and groups as visible as before: products and runs as their target, groups public with a public product', async () => {
    const sharing = async (table: string) =>
      Object.fromEntries(
        ((await db.query(`SELECT id, visibility, classroom_id FROM ${table}`)) as Row[]).map((row) => [row.id, `${row.visibility}/${row.classroom_id}`]),
      );
    expect(await sharing('targets')).toEqual({ [old.publicTarget]: 'public/null', [old.privateTarget]: 'private/null' });
    const targetVisibility: Row[] = await db.query(
      `SELECT p.id, p.visibility, t.visibility AS target_visibility FROM data_products p JOIN targets t ON t.id = p.target_id`,
    );
    expect(targetVisibility.every((row) => row.visibility === row.target_visibility)).toBe(true);
    expect(await sharing('data_products')).toEqual({
      [old.products.teacherPublic]: 'public/null',
      [old.products.lightCurveFile]: 'public/null',
      [old.products.runOutput]: 'public/null',
      [old.products.studentPrivate]: 'private/null',
      [old.products.teacherPrivate]: 'private/null',
    });
    expect(await sharing('pipeline_runs')).toEqual({ [old.publicRun.id]: 'public/null', [old.privateRun.id]: 'private/null' });
    // Students saw a group with a public product, and the groups they made: the former are public, the rest private.
    expect(await sharing('data_product_groups')).toEqual({
      [old.groups.mixed]: 'public/null',
      [old.groups.privateOnly]: 'private/null',
      [old.groups.empty]: 'private/null',
      [old.groups.runOutputs]: 'public/null',
    });
  });

  it('gives every light-curve point its owner, source and sharing', async () => {
    const rows: Row[] = await db.query(
      `SELECT id, owner_id, source_kind, run_id, batch_id, data_product_id, visibility, classroom_id FROM reduced_data ORDER BY id`,
    );
    const byId = new Map(rows.map((row) => [row.id as number, row]));
    const expectPoints = (ids: number[], expected: Row) => {
      for (const id of ids) expect({ id, ...byId.get(id) }).toEqual({ id, classroom_id: null, ...expected });
    };
    // Uploaded file: the uploader's, as visible as the file.
    expectPoints(old.points.fromFile, {
      owner_id: old.studentA,
      source_kind: 'upload',
      run_id: null,
      batch_id: null,
      data_product_id: old.products.lightCurveFile,
      visibility: 'public',
    });
    // A run: the student who started it, as visible as the run.
    expectPoints(old.points.fromRun, {
      owner_id: old.studentA,
      source_kind: 'run',
      run_id: old.publicRun.id,
      batch_id: null,
      data_product_id: null,
      visibility: 'public',
    });
    expectPoints(old.points.fromPrivateRun, {
      owner_id: old.studentA,
      source_kind: 'run',
      run_id: old.privateRun.id,
      batch_id: null,
      data_product_id: null,
      visibility: 'private',
    });
    // The API: the caller was not recorded, so the target's owner; one batch per target and source name.
    const [{ publicBatch, privateBatch }] = await db.query(
      `SELECT md5($1::text)::uuid::text AS "publicBatch", md5($2::text)::uuid::text AS "privateBatch"`,
      [`${old.publicTarget}/api`, `${old.privateTarget}/robot-scope`],
    );
    expectPoints(old.points.fromApi, {
      owner_id: old.teacher,
      source_kind: 'api',
      run_id: null,
      batch_id: publicBatch,
      data_product_id: null,
      visibility: 'public',
    });
    expectPoints(old.points.fromApiPrivate, {
      owner_id: old.studentA,
      source_kind: 'api',
      run_id: null,
      batch_id: privateBatch,
      data_product_id: null,
      visibility: 'private',
    });
    expect(rows).toHaveLength(Object.values(old.points).flat().length);
  });

  it('then serves the old accounts: the old teacher (now admin) sees the student\'s private target, the other student does not', async () => {
    await portal!.app.init();
    const server = portal!.app.getHttpServer();
    const http = request(server);

    const teacher = await loginAs(server, 'old-teacher', PASSWORD);
    const secret = await teacher.agent.get(`/targets/${old.privateTarget}`).expect(200);
    expect(secret.text).toContain('Comet of student A');
    expect(secret.text).toContain('comet-a.fits');
    expect((await teacher.agent.get(`/api/processes/${old.privateRun.id}`).expect(200)).body.identifier).toBe(old.privateRun.identifier);

    const owner = await loginAs(server, 'student-a', PASSWORD);
    expect((await owner.agent.get(`/targets/${old.privateTarget}`).expect(200)).text).toContain('comet-a.fits');

    const other = await loginAs(server, 'student-b', PASSWORD);
    const refused = await other.agent.get(`/targets/${old.privateTarget}`).set('Accept', 'application/json');
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('comet-a.fits');
    expect((await other.agent.get(`/api/processes/${old.privateRun.id}`)).status).toBe(403);
    // The groups each one saw before.
    const groupNames = async (agent: typeof other.agent) => ((await agent.get('/api/groups?limit=100').expect(200)).body.items as Row[]).map((g) => g.name).sort();
    const allGroups = ['Comet frames', 'Empty so far', 'Teacher and comet', `${old.publicRun.identifier}_outputs`].sort();
    expect(await groupNames(teacher.agent)).toEqual(allGroups);
    expect(await groupNames(owner.agent)).toEqual(allGroups);
    expect(await groupNames(other.agent)).toEqual(['Teacher and comet', `${old.publicRun.identifier}_outputs`].sort());
    // The public target, its products and the student's public run are still everyone's.
    expect((await other.agent.get(`/targets/${old.publicTarget}`).expect(200)).text).toContain('M13');
    expect((await other.agent.get(`/api/processes/${old.publicRun.id}`).expect(200)).body.identifier).toBe(old.publicRun.identifier);

    // Student B's session from before the upgrade still works, with the same answers.
    const cookie = sessionCookie(old.studentBSession);
    expect((await http.get('/targets').set('Cookie', cookie)).status).toBe(200);
    expect((await http.get(`/targets/${old.privateTarget}`).set('Cookie', cookie).set('Accept', 'application/json')).status).toBe(403);

    // The teacher's API token from before now acts as an admin.
    const bearer = (req: request.Test) => req.set('Authorization', `Bearer ${TEACHER_TOKEN}`);
    expect((await bearer(http.get('/api/me')).expect(200)).body).toMatchObject({ username: 'old-teacher', role: 'admin' });
    expect((await bearer(http.get(`/api/targets/${old.privateTarget}`)).expect(200)).body.name).toBe('Comet of student A');

    // The light curve names each migrated series by student and source.
    const curve = (await teacher.agent.get(`/targets/${old.publicTarget}/light-curve.json?view=everyone`).expect(200)).body;
    const labels: string[] = curve.series.map((series: Row) => `${series.label} (${series.points})`).sort();
    expect(labels).toEqual([
      expect.stringMatching(/^old-teacher · API batch \d{4}-\d\d-\d\d \d\d:\d\d UTC · V \(1\)$/),
      'student-a · file m13-lc.csv · B (1)',
      'student-a · file m13-lc.csv · V (1)',
      `student-a · run ${old.publicRun.identifier} · V (2)`,
    ]);

    // Points are now unique per owner: the teacher's copy of the student's point is theirs, once.
    const point = { timestamp: old.duplicate.timestamp, magnitude: old.duplicate.magnitude, error: old.duplicate.error, filter: old.duplicate.filter };
    const add = () => bearer(http.post(`/api/targets/${old.publicTarget}/reduced-data`)).send({ points: [point], visibility: 'public' });
    expect((await add().expect(201)).body).toMatchObject({ added: 1, skipped: 0 });
    expect((await add().expect(201)).body).toMatchObject({ added: 0, skipped: 1 });
    const copies: Row[] = await db.query(`SELECT id, owner_id, source_kind FROM reduced_data WHERE timestamp = $1 ORDER BY id`, [old.duplicate.timestamp]);
    expect(copies.map(({ id: _id, ...copy }) => copy)).toEqual([
      { owner_id: old.studentA, source_kind: 'run' },
      { owner_id: old.teacher, source_kind: 'api' },
    ]);
    teachersCopy = copies[1].id;
  });

  it('reverting ClassesAndSharing gives back the old shape, the teacher role and every row', async () => {
    const preRevert = underOldNames(await snapshot(db));
    await portal!.close();
    portal = undefined;

    const url = await openDatabase();
    const reverting = await new DataSource(typeormOptions(url)).initialize();
    try {
      const last = async () => ((await reverting.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`)) as Row[])[0].name;
      // Any later migration first, then ClassesAndSharing: the way `npm run migration:revert` steps back.
      for (let steps = 0; (await last()) !== LAST_OLD; steps++) {
        if (steps > 20) throw new Error('Reverting never reached RunIndexes');
        await reverting.undoLastMigration({ transaction: 'each' });
      }

      expect(await schemaOf(reverting)).toEqual(oldSchema);
      const reverted = await snapshot(reverting);
      expect(Object.keys(reverted)).toEqual(Object.keys(before));
      const users: Row[] = await reverting.query(`SELECT username, role FROM users ORDER BY username`);
      expect(users).toEqual([
        { username: 'old-teacher', role: 'teacher' },
        { username: 'student-a', role: 'student' },
        { username: 'student-b', role: 'student' },
      ]);
      // Every row from before the revert is there with its old columns (the users' role as before the upgrade),
      // but the teacher's copy of the student's point: the old shape holds identical points once, and keeps the first.
      for (const [table, { columns, rows }] of Object.entries(reverted)) {
        expect(columns).toEqual(before[table].columns);
        let expected = preRevert[table].rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[column]])));
        if (table === 'users') expected = expected.map((row) => ({ ...row, role: row.role === 'admin' ? 'teacher' : row.role }));
        if (table === 'reduced_data') expected = expected.filter((row) => row.id !== teachersCopy);
        expect({ table, rows }).toEqual({ table, rows: expected });
      }
      // And so every row the old version had is still there, unchanged (sessions and tokens were used meanwhile).
      for (const [table, { rows }] of Object.entries(before)) {
        if (table === 'sessions') expect(reverted.sessions.rows.map((row) => row.sid)).toContain(old.studentBSession);
        else if (table === 'api_tokens') expect(reverted.api_tokens.rows.map(({ last_used_at: _used, ...row }) => row)).toEqual(rows.map(({ last_used_at: _used, ...row }) => row));
        else expect({ table, rows: reverted[table].rows }).toEqual({ table, rows });
      }
    } finally {
      await reverting.destroy();
      await closeDatabase();
    }
  }, 120_000);
});
