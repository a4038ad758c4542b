import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { forkPortalChild, PortalChild } from './child-process';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startEmbeddedRedis } from './embedded-redis';
import { startRedisServerProcess } from './redis-server-process';

/** Where the database and Redis are, and how to stop whichever of them this process started. */
export interface Infrastructure {
  databaseUrl: string;
  redisUrl: string;
  embeddedDatabase: boolean;
  embeddedRedis: boolean;
  /** The process holding the embedded services, when they run in one of their own (`npm start`). */
  servicesProcess?: PortalChild;
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  /**
   * Start the embedded services in a child process (the built web process does) rather than in this one (the
   * tests, the CLI, and that child itself).
   */
  inChildProcess?: boolean;
  /** Hears of a service this process started (redis-server) dying on its own. */
  onServiceExit?: (description: string) => void;
}

/**
 * Uses DATABASE_URL / REDIS_URL when set; otherwise starts the embedded stand-ins, here or in a child process.
 * Same code paths either way: the app only ever sees two connection URLs.
 */
export async function startInfrastructure(config: AppConfig, logger = new Logger('Infrastructure'), options: InfrastructureOptions = {}): Promise<Infrastructure> {
  const embeddedDatabase = !config.databaseUrl;
  const embeddedRedis = !config.redisUrl;
  if (options.inChildProcess && (embeddedDatabase || embeddedRedis)) {
    const child = await forkPortalChild({
      name: 'embedded database and Redis process',
      entry: 'embedded-services',
      // The child reads its settings from its environment: the ones this config was made with, not this process's.
      env: { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl, REDIS_URL: config.redisUrl, EMBEDDED_REDIS: config.embeddedRedis },
      stopWith: 'message',
      killAfterMs: 30_000,
    });
    logStartup(config, logger, child.pid);
    return {
      databaseUrl: child.ready.databaseUrl!,
      redisUrl: child.ready.redisUrl!,
      embeddedDatabase,
      embeddedRedis,
      servicesProcess: child,
      close: () => child.stop(),
    };
  }
  const closers: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (embeddedDatabase) {
      const pg = await startEmbeddedPostgres(config.dataDir);
      closers.push(() => pg.close());
      databaseUrl = pg.url;
    }
    let redisUrl = config.redisUrl;
    if (embeddedRedis) {
      const redis =
        config.embeddedRedis === 'redis-server'
          ? await startRedisServerProcess((description) => options.onServiceExit?.(description))
          : await startEmbeddedRedis();
      closers.push(() => redis.close());
      redisUrl = redis.url;
    }
    if (!process.env.PORTAL_CHILD) logStartup(config, logger);
    return {
      databaseUrl,
      redisUrl,
      embeddedDatabase,
      embeddedRedis,
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

function logStartup(config: AppConfig, logger: Logger, childPid?: number): void {
  const where = childPid ? ` in a process of its own (pid ${childPid})` : '';
  if (!config.databaseUrl) {
    logger.log(`Database: embedded PGlite${where}, data in ${config.dataDir}/pglite (set DATABASE_URL for a PostgreSQL server)`);
  } else {
    logger.log(`Database: PostgreSQL at ${redactUrl(config.databaseUrl)}`);
  }
  if (!config.redisUrl) {
    const kind = config.embeddedRedis === 'redis-server' ? 'redis-server from PATH' : 'built-in Redis-protocol server';
    logger.log(`Queue: embedded ${kind}${where}, nothing kept across restarts: queued runs are queued again from the database (set REDIS_URL for Redis)`);
  } else {
    logger.log(`Queue: Redis at ${redactUrl(config.redisUrl)}`);
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
