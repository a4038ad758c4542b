import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { configureApp } from './configure-app';
import { runMigrations } from './database/migrate';
import { Infrastructure, startInfrastructure } from './infrastructure/infrastructure';
import { PinoLoggerService } from './logging/pino-logger.service';

export interface PortalApp {
  app: NestExpressApplication;
  infrastructure: Infrastructure;
  /** Closes the app, then whichever embedded services it started. */
  close(): Promise<void>;
}

/**
 * Starts (or finds) Postgres and Redis, migrates, and builds a configured web app: shared by main.ts and the tests.
 * `logger`: false for silence (tests), pino (main.ts; every request is logged too), or Nest's console logger.
 */
export async function createPortalApp(config: AppConfig, options: { logger?: false | PinoLoggerService } = {}): Promise<PortalApp> {
  const infrastructure = await startInfrastructure(config, new Logger('Infrastructure'));
  try {
    const ran = await runMigrations(infrastructure.databaseUrl);
    if (ran.length) new Logger('Migrations').log(`Applied ${ran.join(', ')}`);
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, infrastructure), {
      bufferLogs: false,
      logger: options.logger === false ? false : options.logger,
    });
    configureApp(app, { requestLogger: options.logger ? options.logger.pino : undefined });
    let closed = false;
    return {
      app,
      infrastructure,
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close();
        await infrastructure.close();
      },
    };
  } catch (error) {
    await infrastructure.close().catch(() => undefined);
    throw error;
  }
}

/** Close `context` then `infrastructure` once on SIGINT/SIGTERM, so Ctrl-C stops cleanly. */
export function closeOnSignals(close: () => Promise<void>, logger = new Logger('Shutdown')): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, stopping`);
    close().then(
      () => process.exit(0),
      (error) => {
        logger.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

