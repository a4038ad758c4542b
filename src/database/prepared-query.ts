import { createHash } from 'node:crypto';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';

/** The parts of a pg client and pool this uses (pg's own types are not a dependency of ours). */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
}
interface PgPool {
  connect(): Promise<PgClient & { release(error?: Error): void }>;
}

/** A statement's name by its text; texts on these paths are few (one per shape), so the map stays small. */
const names = new Map<string, string>();
const MAX_NAMES = 2_000;

/**
 * Each pg client's own tag for its statements' names. The embedded database runs every connection in one session
 * (pglite-socket), where two clients preparing the same name would collide; on servers the tag is harmless.
 */
const clientTags = new WeakMap<object, string>();
let clientSerial = 0;

function statementName(client: object, text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = createHash('sha1').update(text).digest('base64url').slice(0, 16);
    if (names.size >= MAX_NAMES) names.clear();
    names.set(text, name);
  }
  let tag = clientTags.get(client);
  if (tag === undefined) clientTags.set(client, (tag = `${process.pid.toString(36)}_${(clientSerial++).toString(36)}`));
  return `p_${tag}_${name}`;
}

/**
 * Runs `text` as a named prepared statement: PostgreSQL parses it once per connection and, once it has seen the
 * statement a few times, stops planning it again. On the busiest paths (a run's start, claim and end, the pages'
 * statements) parsing and planning were about 40 % of the database's time per statement. Inside a transaction
 * (`manager.queryRunner` set) it runs on that transaction's connection. Rows come as pg returns them, as from
 * `manager.query` for a SELECT; `rowCount` is what an UPDATE or DELETE touched.
 */
export async function preparedQuery<T = Record<string, unknown>>(
  source: DataSource | EntityManager,
  text: string,
  values: unknown[],
): Promise<{ rows: T[]; rowCount: number }> {
  const manager = source instanceof DataSource ? source.manager : source;
  const runner = manager.queryRunner;
  if (runner) {
    const client = (await runner.connect()) as PgClient;
    try {
      const result = await client.query({ name: statementName(client, text), text, values });
      return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw wrapped(error, text, values);
    }
  }
  return poolQuery<T>((manager.connection.driver as unknown as { master: PgPool }).master, text, values);
}

/** Runs `text` as a named prepared statement on a connection of `pool`. */
async function poolQuery<T>(pool: PgPool, text: string, values: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
  const client = await pool.connect();
  try {
    const result = await client.query({ name: statementName(client, text), text, values });
    client.release();
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  } catch (error) {
    // A connection that failed mid-statement is not reused.
    client.release(isConnectionError(error) ? (error as Error) : undefined);
    throw wrapped(error, text, values);
  }
}

/**
 * The data source's pg pool seen through `query(text, values)` that prepares each statement: for a library that
 * queries a pool itself (the session store asks on every request).
 */
export function preparingPool(dataSource: DataSource): { query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number }> } {
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  return { query: (text, values = []) => poolQuery(pool, text, values) };
}

/** A statement's error as TypeORM's own query() reports it, so callers and the error filter treat both alike. */
function wrapped(error: unknown, text: string, values: unknown[]): unknown {
  return isConnectionError(error) ? error : new QueryFailedError(text, values, error as Error);
}

/** An error of the connection rather than of the statement (which has a SQLSTATE code from the server). */
function isConnectionError(error: unknown): boolean {
  return !(error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code));
}
