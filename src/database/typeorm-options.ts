import * as path from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';

/** The one set of TypeORM options, used by the app, the CLI and the TypeORM CLI's data source. */
export function typeormOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    // Compiled (dist/migrations/*.js) or run through ts-node (migrations/*.ts): same folder relative to here.
    migrations: [path.join(__dirname, '..', '..', 'migrations', '*.{js,ts}').replace(/\\/g, '/')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // PGlite ships pgcrypto but not uuid-ossp.
    uuidExtension: 'pgcrypto',
    // Idle connections are kept: each holds its prepared statements (database/prepared-query.ts), and on the
    // embedded database a closed connection's statements would stay behind in its one session.
    extra: { max: 10, idleTimeoutMillis: 0 },
  };
}
