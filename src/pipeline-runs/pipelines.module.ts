import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductsModule } from '../data-products/data-products.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ReducedDataModule } from '../reduced-data/reduced-data.module';
import { TargetsModule } from '../targets/targets.module';
import { PipelineEventsService } from './pipeline-events.service';
import { PipelineLogLine } from './pipeline-log-line.entity';
import { PipelineLogService } from './pipeline-log.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelinePreset } from './pipeline-preset.entity';
import { PipelinePresetsService } from './pipeline-presets.service';
import { PipelineRun } from './pipeline-run.entity';
import { PipelineRunStep } from './pipeline-run-step.entity';
import { RunStepsService } from './run-steps.service';
import { WorkflowVersion } from '../workflows/workflow-version.entity';
import { WorkflowsService } from '../workflows/workflows.service';
import { RemotePipelinesModule } from '../remote-pipelines/remote-pipelines.module';
import { PipelineRunnerService } from './pipeline-runner.service';
import { PipelineRunsService } from './pipeline-runs.service';
import { PIPELINE_CONCURRENCY, PIPELINE_WORKER_ENABLED, PipelineWorkerService } from './pipeline-worker.service';
import { PIPELINE_REDIS_URL } from './pipeline.tokens';

/** Registry, runs, the runner and its queue consumer. Controllers and the gateway live in PipelinePagesModule. */
@Module({})
export class PipelinesModule {
  static forRoot(options: { redisUrl: string; runWorker: boolean; concurrency?: number }): DynamicModule {
    return {
      module: PipelinesModule,
      global: true,
      imports: [TypeOrmModule.forFeature([PipelineRun, PipelineRunStep, PipelineLogLine, PipelinePreset, DataProduct, WorkflowVersion]), TargetsModule, DataProductsModule, ReducedDataModule, NotificationsModule, RemotePipelinesModule],
      providers: [
        { provide: PIPELINE_REDIS_URL, useValue: options.redisUrl },
        { provide: PIPELINE_WORKER_ENABLED, useValue: options.runWorker },
        { provide: PIPELINE_CONCURRENCY, useValue: options.concurrency ?? 1 },
        PipelineRegistryService,
        PipelinePresetsService,
        PipelineEventsService,
        PipelineLogService,
        PipelineRunsService,
        RunStepsService,
        WorkflowsService,
        PipelineRunnerService,
        PipelineWorkerService,
      ],
      exports: [PIPELINE_WORKER_ENABLED, PipelineEventsService, PipelineRegistryService, PipelinePresetsService, PipelineRunsService, PipelineLogService, PipelineRunnerService, WorkflowsService, PIPELINE_REDIS_URL, RemotePipelinesModule],
    };
  }
}
