import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { configureApp } from './configure-app';
import { ShutdownState } from './health/shutdown-state';
import { runMigrations } from './database/migrate';
import { Infrastructure, startInfrastructure } from './infrastructure/infrastructure';
import { PinoLoggerService } from './logging/pino-logger.service';

export interface PortalApp {
  app: NestExpressApplication;
  infrastructure: Infrastructure;
  /** Stops what was added with `stopFirst`, closes the app, then stops whichever embedded services it started. */
  close(): Promise<void>;
  /**
   * Something to stop before the app closes (the embedded default's worker process): its runs get their grace
   * period while the pages still answer and say how they end.
   */
  stopFirst(stop: () => Promise<void>): void;
}

export interface PortalAppOptions {
  /** false for silence (tests), pino (main.ts; every request is logged too), or Nest's console logger. */
  logger?: false | PinoLoggerService;
  /**
   * The built web process (`npm start`): embedded services in a child process, and the pipeline and preview jobs
   * in a worker process the caller starts, not in this one.
   */
  separateProcesses?: boolean;
}

/** Starts (or finds) Postgres and Redis, migrates, and builds a configured web app: shared by main.ts and the tests. */
export async function createPortalApp(config: AppConfig, options: PortalAppOptions = {}): Promise<PortalApp> {
  const infrastructure = await startInfrastructure(config, new Logger('Infrastructure'), { inChildProcess: options.separateProcesses });
  try {
    const ran = await runMigrations(infrastructure.databaseUrl);
    if (ran.length) new Logger('Migrations').log(`Applied ${ran.join(', ')}`);
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, infrastructure, { jobsElsewhere: Boolean(options.separateProcesses && infrastructure.embeddedRedis) }), {
      bufferLogs: false,
      logger: options.logger === false ? false : options.logger,
    });
    configureApp(app, { requestLogger: options.logger ? options.logger.pino : undefined });
    let closed = false;
    const first: Array<() => Promise<void>> = [];
    return {
      app,
      infrastructure,
      stopFirst: (stop) => first.push(stop),
      close: async () => {
        if (closed) return;
        closed = true;
        app.get(ShutdownState).begin();
        try {
          try {
            await Promise.all(first.map((stop) => stop()));
          } finally {
            await app.close();
          }
        } finally {
          // The embedded services last: everything above may still talk to them while it stops.
          await infrastructure.close();
        }
      },
    };
  } catch (error) {
    await infrastructure.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Stops the process cleanly on SIGINT/SIGTERM: `close` runs once (the app's shutdown hooks in dependency order:
 * consumers stop, runs finish within SHUTDOWN_GRACE_SECONDS or are interrupted and queued again, logs are stored,
 * then Redis and the database close, then the embedded services), and the process exits 0, or 1 if `close` failed.
 * A second signal calls `hurry` (the runs still going are interrupted now); a third exits at once.
 * Returns the same stop for other reasons (a child process that died, a cluster primary's message), with the exit
 * code to end with. `signals: false`: only that way (a web process of a cluster ignores signals).
 */
export function closeOnSignals(
  close: () => Promise<void>,
  options: { hurry?: () => void; logger?: Logger; signals?: boolean } = {},
): (reason: string, exitCode?: number) => void {
  const logger = options.logger ?? new Logger('Shutdown');
  let signals = 0;
  const stop = (reason: string, exitCode = 0) => {
    signals++;
    if (signals === 2) {
      logger.warn(`${reason} again: interrupting the runs still going now (once more to exit at once)`);
      options.hurry?.();
      return;
    }
    if (signals > 2) {
      logger.warn(`${reason} a third time: exiting without finishing the shutdown`);
      process.exit(1);
    }
    logger.log(`${reason}${/^SIG[A-Z]+$/.test(reason) ? ' received' : ''}, stopping`);
    // A promise some library rejects late, as a connection closes, is logged: it must not end a clean stop early.
    process.on('unhandledRejection', (reason) => logger.error(`During shutdown: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
    close().then(
      () => {
        logger.log('Stopped');
        process.exit(exitCode);
      },
      (error) => {
        logger.error(`Stopping failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  if (options.signals === false) {
    // A web process of a cluster: its primary passes each signal on as a message, once.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', () => undefined);
  } else {
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  }
  return stop;
}
