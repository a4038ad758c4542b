import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, createPortalApp } from './bootstrap';
import { loadConfig } from './config/app-config';
import { DemoSeedService } from './demo/demo-seed.service';

async function main() {
  const config = loadConfig();
  const logger = new Logger('Portal');
  const portal = await createPortalApp(config);
  closeOnSignals(portal.close);
  if (config.seedDemo) {
    const seeded = await portal.app.get(DemoSeedService).seedIfEmpty();
    if (seeded) {
      logger.log('Seeded the demo: targets M13 and Sun with their frames.');
      for (const account of seeded.accounts) {
        logger.log(`Demo account: ${account.username} / ${account.password} (${account.role})`);
      }
    }
  }
  await portal.app.listen(config.port, config.host);
  logger.log(`Portal ready on http://localhost:${config.port}`);
}

main().catch((error) => {
  new Logger('Portal').error(error instanceof Error ? error.message : error);
  process.exit(1);
});
