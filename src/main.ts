import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { closeOnSignals, createPortalApp } from './bootstrap';
import { loadConfig } from './config/app-config';
import { demoSeedSummary, DemoSeedService } from './demo/demo-seed.service';
import { forkPortalChild, PortalChild } from './infrastructure/child-process';
import { useProcessLogger } from './logging/process-logger';
import { PipelineWorkerService } from './pipeline-runs/pipeline-worker.service';
import { onClusterStop, runWebCluster } from './web-cluster';

/** Once a child has died, how long the rest may take to stop before the process exits anyway. */
const CRASH_STOP_MS = 10_000;

async function main() {
  const config = loadConfig();
  const processLogger = useProcessLogger(config);
  const logger = new Logger('Portal');
  if (config.webProcesses > 1 && cluster.isPrimary) return runWebCluster(config);
  const inCluster = cluster.isWorker;
  const portal = await createPortalApp(config, { logger: processLogger, separateProcesses: true });
  let worker: PortalChild | undefined;
  // On the embedded default the jobs run in a worker process of their own, as a separate worker does on servers.
  if (portal.infrastructure.embeddedRedis) {
    try {
      worker = await forkPortalChild({
        name: 'pipeline worker process',
        entry: 'worker',
        env: {
          ...process.env,
          DATABASE_URL: portal.infrastructure.databaseUrl,
          REDIS_URL: portal.infrastructure.redisUrl,
          PIPELINE_CONCURRENCY: String(config.embeddedWorkerConcurrency),
        },
        stopWith: 'signal',
        // Its runs get SHUTDOWN_GRACE_SECONDS to finish, then are interrupted and their logs stored.
        killAfterMs: (config.shutdownGraceSeconds + 30) * 1000,
      });
    } catch (error) {
      await portal.close().catch(() => undefined);
      throw error;
    }
    portal.stopFirst(() => worker!.stop());
    logger.log(`Pipeline worker process started (pid ${worker.pid}), ${config.embeddedWorkerConcurrency} job(s) at a time`);
  }
  const hurry = () => {
    portal.app.get(PipelineWorkerService).hurry();
    worker?.hurry();
  };
  const stop = closeOnSignals(portal.close, { hurry, signals: !inCluster });
  if (inCluster) onClusterStop(stop);
  // A child dying stops the whole portal, saying which one: half a portal would only fail later and obscurely.
  // Nothing is waited for then (the runs are interrupted at once and queued again at the next start).
  for (const child of [...portal.infrastructure.servicesProcesses, worker]) {
    child?.onUnexpectedExit((description) => {
      logger.error(`${description}: stopping the portal`);
      setTimeout(() => process.exit(1), CRASH_STOP_MS).unref();
      stop('A process of the portal stopped', 1);
      hurry();
    });
  }
  // In a cluster the first web process seeds and prints the demo; the others serve.
  const seeds = config.seedDemo && (!inCluster || process.env.WEB_PROCESS_INDEX === '0');
  const seeded = seeds ? await portal.app.get(DemoSeedService).seedIfEmpty() : null;
  await portal.app.listen(config.port, config.host);
  logger.log(`Portal ready on http://localhost:${config.port}${inCluster ? ` (web process ${process.pid})` : ''}`);
  // Printed last so the credentials are the first thing a newcomer sees.
  if (seeded) {
    for (const line of demoSeedSummary(seeded)) logger.log(line);
    logger.log(`(also saved in ${config.dataDir}/demo-accounts.txt)`);
  }
}

main().catch((error) => {
  new Logger('Portal').error(error instanceof Error ? error.message : error);
  process.exit(1);
});
