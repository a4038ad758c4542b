import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startEmbeddedRedis } from './embedded-redis';

/** Where the database and Redis are, and how to stop whichever of them this process started. */
export interface Infrastructure {
  databaseUrl: string;
  redisUrl: string;
  embeddedDatabase: boolean;
  embeddedRedis: boolean;
  close(): Promise<void>;
}

/**
 * Uses DATABASE_URL / REDIS_URL when set; otherwise starts the embedded stand-ins in this process. Same code
 * paths either way: the app only ever sees two connection URLs.
 */
export async function startInfrastructure(config: AppConfig, logger = new Logger('Infrastructure')): Promise<Infrastructure> {
  const closers: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(config.dataDir);
      closers.push(() => pg.close());
      databaseUrl = pg.url;
      logger.log(`Database: embedded PGlite, data in ${config.dataDir}/pglite (set DATABASE_URL for a PostgreSQL server)`);
    } else {
      logger.log(`Database: PostgreSQL at ${redactUrl(databaseUrl)}`);
    }
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const redis = await startEmbeddedRedis();
      closers.push(() => redis.close());
      redisUrl = redis.url;
      logger.log('Queue: embedded in-process Redis-protocol server, nothing kept across restarts (set REDIS_URL for Redis)');
    } else {
      logger.log(`Queue: Redis at ${redactUrl(redisUrl)}`);
    }
    return {
      databaseUrl,
      redisUrl,
      embeddedDatabase: !config.databaseUrl,
      embeddedRedis: !config.redisUrl,
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
