import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { createPinoLogger } from './pino-logger';
import { PinoLoggerService } from './pino-logger.service';

/**
 * Makes pino this process's logger (LOG_LEVEL, LOG_FORMAT) before anything logs: every `new Logger(context)`,
 * Nest's own start-up lines and the request log then share one format. Used by main.ts and worker.ts.
 */
export function useProcessLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): PinoLoggerService {
  const service = new PinoLoggerService(createPinoLogger({ level: config.logLevel, format: config.logFormat }));
  Logger.overrideLogger(service);
  return service;
}
