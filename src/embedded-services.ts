import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from './config/app-config';
import { parentChannel } from './infrastructure/child-process';
import { startInfrastructure } from './infrastructure/infrastructure';
import { useProcessLogger } from './logging/process-logger';

/**
 * The embedded database (PGlite) or the Redis-protocol server (EMBEDDED_SERVICE: database or redis) in a process of
 * its own, forked by the web process on the embedded default: their work (WebAssembly Postgres, Lua scripts) then
 * runs beside the web process's event loop, and beside each other, and the worker reaches them over loopback.
 * It stops when the web process asks, after the web and worker processes are done with it, or when its parent dies.
 */
async function main() {
  const config = loadConfig();
  useProcessLogger(config);
  const logger = new Logger('EmbeddedServices');
  // The web process stops this one last; a terminal's Ctrl-C does not reach this process group anyway.
  process.on('SIGINT', () => undefined);
  let stopping: Promise<void> | undefined;
  const stop = (code: number) => {
    stopping ??= infrastructure.close().then(
      () => process.exit(code),
      (error) => {
        logger.error(`Stopping the embedded services failed: ${error instanceof Error ? error.message : error}`);
        process.exit(1);
      },
    );
  };
  const only = process.env.EMBEDDED_SERVICE;
  if (only !== 'database' && only !== 'redis') throw new Error(`EMBEDDED_SERVICE must be database or redis, not ${JSON.stringify(only)}`);
  const infrastructure = await startInfrastructure(config, logger, {
    only,
    onServiceExit: (description) => {
      logger.error(description);
      stop(1);
    },
  });
  parentChannel.onStop(() => stop(0));
  process.on('SIGTERM', () => stop(0));
  await parentChannel.send({ type: 'ready', databaseUrl: infrastructure.databaseUrl, redisUrl: infrastructure.redisUrl });
}

main().catch(async (error) => {
  const message = error instanceof Error ? error.message : String(error);
  new Logger('EmbeddedServices').error(message);
  await parentChannel.send({ type: 'failed', message });
  process.exit(1);
});
