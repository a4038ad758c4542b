import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { closeOnSignals } from './bootstrap';
import { APP_CONFIG, loadConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { typeormOptions } from './database/typeorm-options';
import { parentChannel } from './infrastructure/child-process';
import { startInfrastructure } from './infrastructure/infrastructure';
import { LiveModule } from './live/live.module';
import { useProcessLogger } from './logging/process-logger';
import { PipelineWorkerService } from './pipeline-runs/pipeline-worker.service';
import { PipelinesModule } from './pipeline-runs/pipelines.module';
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
    throw new Error('A separate worker needs DATABASE_URL and REDIS_URL (on the embedded default the web process starts its own worker).');
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
  const stop = closeOnSignals(
    async () => {
      try {
        await app.close();
      } finally {
        await infrastructure.close();
      }
    },
    { hurry: () => app.get(PipelineWorkerService).hurry() },
  );
  // Started by the embedded default's web process: it is told when this one is ready, and a dead parent stops it.
  parentChannel.onStop(
    () => stop('Asked to stop by the web process'),
    () => {
      // The database and Redis went with the web process: interrupt the runs now rather than after a grace.
      app.get(PipelineWorkerService).hurry();
      stop('The web process is gone');
    },
  );
  await parentChannel.send({ type: 'ready' });
  logger.log(`Worker ready, ${config.pipelineConcurrency} pipeline job(s) at a time`);
}

main().catch(async (error) => {
  const message = error instanceof Error ? error.message : String(error);
  new Logger('Worker').error(message);
  await parentChannel.send({ type: 'failed', message });
  process.exit(1);
});
