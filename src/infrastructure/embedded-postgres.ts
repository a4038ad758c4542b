import * as fs from 'node:fs';
import * as path from 'node:path';
import { Extension, PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepExtendedQueriesTogether, takeWholeBatches } from './pglite-query-queue';

// The package's type map points CommonJS at its ESM typings for contrib/*; the runtime CJS build is fine.
const { pgcrypto } = require('@electric-sql/pglite/contrib/pgcrypto') as { pgcrypto: Extension };

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/**
 * Real Postgres (PGlite, compiled to WebAssembly) behind a loopback socket, so the app talks to it with the
 * ordinary `pg` driver exactly as it would to a server. One data directory can be open in one process only.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const pgDir = path.join(dataDir, 'pglite');
  fs.mkdirSync(pgDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: pgDir, extensions: { pgcrypto } });
  } catch (error) {
    unlock();
    throw new Error(
      `Could not open the embedded database in ${pgDir} (${(error as Error).message}). ` +
        'Is another portal process using the same DATA_DIR?',
    );
  }
  // PGlite runs one query at a time; the socket server multiplexes client connections onto it.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 50 });
  keepExtendedQueriesTogether(server);
  takeWholeBatches(PGLiteSocketHandler);
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async close() {
      await server.stop();
      await db.close();
      unlock();
    },
  };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** How long a holder that is stopping (the embedded services of a portal just stopped or killed) is waited for. */
const HOLDER_EXIT_WAIT_MS = 10_000;

/**
 * DATA_DIR/pglite.pid names the process that has the embedded database open. PGlite itself does not notice a
 * second process (e.g. `npm run cli` while the portal runs): each would work on its own copy in memory and one's
 * writes would be lost, so the second is refused. A file left by a process that died is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => void> {
  const file = path.join(dataDir, 'pglite.pid');
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      // A portal's embedded-services process outlives its web process by a moment when that one is killed.
      const deadline = Date.now() + HOLDER_EXIT_WAIT_MS;
      while (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${dataDir} is open in another process (pid ${holder}), such as the running portal: ` +
            `stop it first, or set DATABASE_URL to use a PostgreSQL server (if no such process runs, delete ${file})`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // Already gone: nothing to release.
    }
  };
}
