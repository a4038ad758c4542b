import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Pool } from 'pg';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

/**
 * Many connections to the embedded PGlite at once, each with parameterised (extended-protocol) queries: every
 * answer must belong to its own query. Before the queue fix, Parse/Bind/Execute messages of different connections
 * interleaved on PGlite's one session ("bind message supplies 1 parameters, but prepared statement requires 2").
 */
describe('embedded PGlite with concurrent connections', () => {
  let dataDir: string;
  let pg: EmbeddedPostgres;
  let pool: Pool;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pglite-queue-'));
    pg = await startEmbeddedPostgres(dataDir);
    pool = new Pool({ connectionString: pg.url, max: 9 });
    await pool.query('CREATE TABLE numbers (n int PRIMARY KEY, label text NOT NULL)');
  }, 180_000); // PGlite compiles its WebAssembly at start: slow on a loaded machine

  afterAll(async () => {
    await pool?.end();
    await pg?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps each connection’s extended-protocol queries apart', async () => {
    // Queries of different shapes, interleaved, so that a statement bound on the wrong connection shows.
    const work: Array<Promise<void>> = [];
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 300; i++) {
      work.push(
        pool
          .query('INSERT INTO numbers (n, label) VALUES ($1, $2) RETURNING n, label', [i, `label ${i}`])
          .then((r) => expect(r.rows[0]).toEqual({ n: i, label: `label ${i}` })),
      );
      work.push(
        pool.query('SELECT $1::int + $2::int AS sum, $3::text AS tag', [i, 1000, `read ${i}`]).then((r) => expect(r.rows[0]).toEqual({ sum: i + 1000, tag: `read ${i}` })),
      );
      // A parameter large enough to reach the server in several TCP reads, as a pipeline run's provenance can.
      work.push(pool.query('SELECT length($1::text) AS n', [big]).then((r) => expect(r.rows[0]).toEqual({ n: big.length })));
    }
    await Promise.all(work);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM numbers');
    expect(rows[0].n).toBe(300);
  }, 60_000);

  it('keeps a transaction on its connection while others query', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO numbers (n, label) VALUES ($1, $2)', [5000, 'in a transaction']);
      // PGlite has one session: other connections wait for the transaction to end, then get their own answers.
      const outside = Promise.all(Array.from({ length: 20 }, (_, i) => pool.query('SELECT $1::int AS i', [i])));
      await client.query('SELECT $1::int AS inside', [1]);
      await client.query('ROLLBACK');
      (await outside).forEach((r, i) => expect(r.rows[0].i).toBe(i));
    } finally {
      client.release();
    }
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM numbers WHERE n = $1', [5000]);
    expect(rows[0].n).toBe(0);
  }, 60_000);

  it("hands PGlite a query's messages (Parse, Bind, Describe, Execute, Sync) in one call, not one call each", async () => {
    const calls = jest.spyOn(PGlite.prototype, 'execProtocolRawStream');
    const client = await pool.connect();
    try {
      calls.mockClear();
      for (let i = 0; i < 50; i++) expect((await client.query('SELECT $1::int * 2 AS twice', [i])).rows[0].twice).toBe(i * 2);
      // One call a query (each arrives in one TCP read here); message by message it was five.
      expect(calls.mock.calls.length).toBeGreaterThanOrEqual(50);
      expect(calls.mock.calls.length).toBeLessThan(75);
    } finally {
      client.release();
      calls.mockRestore();
    }
  }, 60_000);
});
