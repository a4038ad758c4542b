import * as fs from 'node:fs';
import * as path from 'node:path';
import { Extension, PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepExtendedQueriesTogether } from './pglite-query-queue';

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
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: pgDir, extensions: { pgcrypto } });
  } catch (error) {
    throw new Error(
      `Could not open the embedded database in ${pgDir} (${(error as Error).message}). ` +
        'Is another portal process using the same DATA_DIR?',
    );
  }
  // PGlite runs one query at a time; the socket server multiplexes client connections onto it.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 50 });
  keepExtendedQueriesTogether(server);
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
