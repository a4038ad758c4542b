import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, createPortalApp } from './bootstrap';
import { loadConfig } from './config/app-config';
import { demoSeedSummary, DemoSeedService } from './demo/demo-seed.service';
import { useProcessLogger } from './logging/process-logger';
import { PipelineWorkerService } from './pipelines/pipeline-worker.service';

async function main() {
  const config = loadConfig();
  const processLogger = useProcessLogger(config);
  const logger = new Logger('Portal');
  const portal = await createPortalApp(config, { logger: processLogger });
  closeOnSignals(portal.close, { hurry: () => portal.app.get(PipelineWorkerService).hurry() });
  const seeded = config.seedDemo ? await portal.app.get(DemoSeedService).seedIfEmpty() : null;
  await portal.app.listen(config.port, config.host);
  logger.log(`Portal ready on http://localhost:${config.port}`);
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
