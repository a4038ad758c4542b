/**
 * The data source the TypeORM CLI loads (`npm run migration:generate -- migrations/Name`, `migration:run`).
 * With DATABASE_URL it connects there; without, it opens the embedded PGlite under DATA_DIR, which must not be
 * in use by a running portal at the same time.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { startEmbeddedPostgres } from '../infrastructure/embedded-postgres';
import { typeormOptions } from './typeorm-options';

async function createCliDataSource(): Promise<DataSource> {
  const config = loadConfig();
  if (config.databaseUrl) return new DataSource(typeormOptions(config.databaseUrl));
  const embedded = await startEmbeddedPostgres(config.dataDir);
  const dataSource = new DataSource(typeormOptions(embedded.url));
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await embedded.close();
  };
  return dataSource;
}

export default createCliDataSource();
