import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource, QueryFailedError } from 'typeorm';
import { EmbeddedPostgres, startEmbeddedPostgres } from '../infrastructure/embedded-postgres';
import { preparedQuery, preparingPool } from './prepared-query';

/**
 * Named prepared statements on the embedded database, where every connection shares PGlite's one session (two
 * connections preparing the same statement must not collide), and on PostgreSQL when DATABASE_URL is set.
 */
const databases: Array<[string, () => Promise<{ url: string; close(): Promise<void> }>]> = [
  [
    'embedded PGlite',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prepared-query-'));
      const pg: EmbeddedPostgres = await startEmbeddedPostgres(dataDir);
      return {
        url: pg.url,
        close: async () => {
          await pg.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  ],
  ...(process.env.DATABASE_URL ? [['PostgreSQL', async () => ({ url: process.env.DATABASE_URL!, close: async () => undefined })] as [string, () => Promise<{ url: string; close(): Promise<void> }>]] : []),
];

describe.each(databases)('preparedQuery on %s', (_name, open) => {
  let database: { url: string; close(): Promise<void> };
  let dataSource: DataSource;
  const table = `prepared_${process.pid}`;

  beforeAll(async () => {
    database = await open();
    dataSource = new DataSource({ type: 'postgres', url: database.url, entities: [], extra: { max: 4, idleTimeoutMillis: 0 } });
    await dataSource.initialize();
    await dataSource.query(`DROP TABLE IF EXISTS ${table}`);
    await dataSource.query(`CREATE TABLE ${table} (n int PRIMARY KEY, label text NOT NULL)`);
  }, 180_000);

  afterAll(async () => {
    await dataSource?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await dataSource?.destroy();
    await database?.close();
  });

  it('prepares a statement once per connection, several connections at once, each answer its own', async () => {
    const insert = `INSERT INTO ${table} (n, label) VALUES ($1, $2) RETURNING n, label`;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => preparedQuery(dataSource, insert, [i, `label ${i}`])));
    answers.forEach((answer, i) => expect(answer).toEqual({ rows: [{ n: i, label: `label ${i}` }], rowCount: 1 }));
    const select = `SELECT label FROM ${table} WHERE n = $1`;
    const labels = await Promise.all(Array.from({ length: 40 }, (_, i) => preparedQuery<{ label: string }>(dataSource, select, [i])));
    expect(labels.map((answer) => answer.rows[0].label)).toEqual(Array.from({ length: 40 }, (_, i) => `label ${i}`));
    // Prepared, under a name per connection (never more than the pool's 4 for one text). On the embedded database
    // every connection's statements show in its one session.
    const prepared: Array<{ name: string }> = await dataSource.query(`SELECT name FROM pg_prepared_statements WHERE statement = $1`, [select]);
    const seen = (await preparedQuery<{ name: string }>(dataSource, `SELECT name FROM pg_prepared_statements WHERE statement = $1`, [select])).rows;
    expect([...prepared, ...seen].length).toBeGreaterThan(0);
    expect(new Set([...prepared, ...seen].map((row) => row.name)).size).toBeLessThanOrEqual(4);
    const { rowCount } = await preparedQuery(dataSource, `UPDATE ${table} SET label = label || '!' WHERE n < $1`, [5]);
    expect(rowCount).toBe(5);
  });

  it("reports a statement's error as TypeORM does, and the connection goes on", async () => {
    const insert = `INSERT INTO ${table} (n, label) VALUES ($1, $2)`;
    const error = await preparedQuery(dataSource, insert, [1, 'again']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
    const answers = await Promise.all(Array.from({ length: 8 }, () => preparedQuery<{ n: number }>(dataSource, `SELECT count(*)::int AS n FROM ${table}`, [])));
    expect(answers.every((answer) => answer.rows[0].n === 40)).toBe(true);
  });

  it("runs inside a transaction on the transaction's connection", async () => {
    await dataSource
      .transaction(async (manager) => {
        await preparedQuery(manager, `INSERT INTO ${table} (n, label) VALUES ($1, $2)`, [1000, 'rolled back']);
        const { rows } = await preparedQuery<{ n: number }>(manager, `SELECT count(*)::int AS n FROM ${table} WHERE n = $1`, [1000]);
        expect(rows[0].n).toBe(1);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    expect((await preparedQuery<{ n: number }>(dataSource, `SELECT count(*)::int AS n FROM ${table} WHERE n = $1`, [1000])).rows[0].n).toBe(0);
  });

  it('serves a library that queries a pool itself (the session store)', async () => {
    const pool = preparingPool(dataSource);
    const { rows } = await pool.query(`SELECT label FROM ${table} WHERE n = $1`, [7]);
    expect(rows).toEqual([{ label: 'label 7' }]);
  });
});
