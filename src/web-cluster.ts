import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { AppConfig } from './config/app-config';

/** What a cluster's primary tells its web processes. */
export const STOP_MESSAGE = 'portal:stop';

/**
 * `WEB_PROCESSES` > 1 on servers: this process becomes node:cluster's primary and forks that many web processes,
 * which share the port (the primary hands connections round-robin) and reach each other's Socket.IO rooms through
 * the Redis adapter. The primary serves nothing. Each SIGINT/SIGTERM it gets is passed to every web process as a
 * message (the second one hurries them, as at a terminal); a web process that dies stops the rest, naming it.
 */
export function runWebCluster(config: AppConfig): void {
  const logger = new Logger('WebCluster');
  if (!config.databaseUrl || !config.redisUrl) {
    throw new Error('WEB_PROCESSES above 1 needs DATABASE_URL and REDIS_URL: the embedded default runs one web process');
  }
  let stopping = false;
  let exitCode = 0;
  const stopAll = () => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send(STOP_MESSAGE);
    }
  };
  for (let index = 0; index < config.webProcesses; index++) cluster.fork({ WEB_PROCESS_INDEX: String(index) });
  logger.log(`Started ${config.webProcesses} web processes on port ${config.port}`);
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      logger.error(`Web process ${worker.process.pid} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}: stopping the portal`);
      stopping = true;
      exitCode = 1;
      stopAll();
    }
    if (!Object.keys(cluster.workers ?? {}).length) {
      logger.log('Stopped');
      process.exit(exitCode);
    }
  });
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    stopping = true;
    if (signals > 2) {
      logger.warn(`${signal} a third time: exiting without finishing the shutdown`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    logger.log(`${signal} received: ${signals === 1 ? 'stopping the web processes' : 'hurrying them'}`);
    stopAll();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/** In a web process of a cluster: `stop` on each message from the primary. */
export function onClusterStop(stop: (reason: string) => void): void {
  process.on('message', (message) => {
    if (message === STOP_MESSAGE) stop('Asked to stop by the cluster primary');
  });
}
