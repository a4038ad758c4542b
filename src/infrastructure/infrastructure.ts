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
  /**
   * The processes holding the embedded services when they run in processes of their own (`npm start`): the
   * database's and the Redis-protocol server's, each on a core of its own.
   */
  servicesProcesses: PortalChild[];
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
  /** Start only this one of the embedded services (a services process holds one of them). */
  only?: EmbeddedService;
}

/** The embedded services a process of their own holds (EMBEDDED_SERVICE in its environment). */
export type EmbeddedService = 'database' | 'redis';

/**
 * Uses DATABASE_URL / REDIS_URL when set; otherwise starts the embedded stand-ins, here or in a child process.
 * Same code paths either way: the app only ever sees two connection URLs.
 */
export async function startInfrastructure(config: AppConfig, logger = new Logger('Infrastructure'), options: InfrastructureOptions = {}): Promise<Infrastructure> {
  const embeddedDatabase = !config.databaseUrl;
  const embeddedRedis = !config.redisUrl;
  if (options.inChildProcess && (embeddedDatabase || embeddedRedis)) {
    // The database and the Redis-protocol server each in a process of their own: both are busy on one thread
    // (WebAssembly Postgres; Lua scripts for every Bull job), and in one process they took turns. Started together.
    const fork = (service: EmbeddedService, name: string) =>
      forkPortalChild({
        name,
        entry: 'embedded-services',
        // The child reads its settings from its environment: the ones this config was made with, not this process's.
        env: { ...process.env, DATA_DIR: config.dataDir, DATABASE_URL: config.databaseUrl, REDIS_URL: config.redisUrl, EMBEDDED_REDIS: config.embeddedRedis, EMBEDDED_SERVICE: service },
        stopWith: 'message',
        killAfterMs: 30_000,
      });
    const started = await Promise.allSettled([
      embeddedDatabase ? fork('database', 'embedded database process') : null,
      embeddedRedis ? fork('redis', 'embedded Redis-protocol server process') : null,
    ]);
    const children = started.flatMap((result) => (result.status === 'fulfilled' && result.value ? [result.value] : []));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await Promise.all(children.map((child) => child.stop().catch(() => undefined)));
      throw failed.reason;
    }
    const [database, redis] = started.map((result) => (result.status === 'fulfilled' ? result.value : null));
    logStartup(config, logger, { database: database?.pid, redis: redis?.pid });
    return {
      databaseUrl: database?.ready.databaseUrl ?? config.databaseUrl,
      redisUrl: redis?.ready.redisUrl ?? config.redisUrl,
      embeddedDatabase,
      embeddedRedis,
      servicesProcesses: children,
      close: async () => {
        await Promise.all(children.map((child) => child.stop()));
      },
    };
  }
  const closers: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (embeddedDatabase && options.only !== 'redis') {
      const pg = await startEmbeddedPostgres(config.dataDir);
      closers.push(() => pg.close());
      databaseUrl = pg.url;
    }
    let redisUrl = config.redisUrl;
    if (embeddedRedis && options.only !== 'database') {
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
      servicesProcesses: [],
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

function logStartup(config: AppConfig, logger: Logger, pids: { database?: number; redis?: number } = {}): void {
  const within = (pid?: number) => (pid ? ` in a process of its own (pid ${pid})` : '');
  if (!config.databaseUrl) {
    logger.log(`Database: embedded PGlite${within(pids.database)}, data in ${config.dataDir}/pglite (set DATABASE_URL for a PostgreSQL server)`);
  } else {
    logger.log(`Database: PostgreSQL at ${redactUrl(config.databaseUrl)}`);
  }
  if (!config.redisUrl) {
    const kind = config.embeddedRedis === 'redis-server' ? 'redis-server from PATH' : 'built-in Redis-protocol server';
    logger.log(`Queue: embedded ${kind}${within(pids.redis)}, nothing kept across restarts: queued runs are queued again from the database (set REDIS_URL for Redis)`);
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
