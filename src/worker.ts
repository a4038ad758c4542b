import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { closeOnSignals } from './bootstrap';
import { APP_CONFIG, loadConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { typeormOptions } from './database/typeorm-options';
import { startInfrastructure } from './infrastructure/infrastructure';
import { LiveModule } from './live/live.module';
import { useProcessLogger } from './logging/process-logger';
import { PipelineWorkerService } from './pipelines/pipeline-worker.service';
import { PipelinesModule } from './pipelines/pipelines.module';
import { PreviewsModule } from './previews/previews.module';
import { QueueModule } from './queue/queue.module';
import { StorageModule } from './storage/storage.module';

/**
 * The worker process: Bull consumers that share Postgres, Redis and DATA_DIR with the web process. Run several
 * on several machines to scale out; Bull hands each job to one of them.
 */
async function main() {
  const config = loadConfig();
  const processLogger = useProcessLogger(config);
  const logger = new Logger('Worker');
  if (!config.databaseUrl || !config.redisUrl) {
    throw new Error('A separate worker needs DATABASE_URL and REDIS_URL (the embedded services live inside the web process).');
  }
  const infrastructure = await startInfrastructure(config, logger);
  await runMigrations(infrastructure.databaseUrl);

  @Module({
    imports: [
      TypeOrmModule.forRoot(typeormOptions(infrastructure.databaseUrl)),
      QueueModule.forRoot(infrastructure.redisUrl, config.pipelineLockSeconds),
      StorageModule,
      PipelinesModule.forRoot({ redisUrl: infrastructure.redisUrl, runWorker: true, concurrency: config.pipelineConcurrency }),
      PreviewsModule,
      // Notifications of the runs that end here reach their users' open pages through the web processes' Redis adapter.
      LiveModule.forRoot(infrastructure.redisUrl),
    ],
    providers: [{ provide: APP_CONFIG, useValue: config }],
    exports: [APP_CONFIG],
  })
  class WorkerModule {}

  const app = await NestFactory.createApplicationContext({ module: WorkerModule, global: true }, { logger: processLogger });
  closeOnSignals(
    async () => {
      try {
        await app.close();
      } finally {
        await infrastructure.close();
      }
    },
    { hurry: () => app.get(PipelineWorkerService).hurry() },
  );
  logger.log('Worker ready');
}

main().catch((error) => {
  new Logger('Worker').error(error instanceof Error ? error.message : error);
  process.exit(1);
});
