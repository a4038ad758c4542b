import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { PIPELINES_QUEUE } from '../queue/queue.module';
import { PipelineRunnerService } from './pipeline-runner.service';
import { PipelineRunsService } from './pipeline-runs.service';

export const PIPELINE_WORKER_ENABLED = Symbol('PIPELINE_WORKER_ENABLED');
export const PIPELINE_CONCURRENCY = Symbol('PIPELINE_CONCURRENCY');

/**
 * Consumes the pipelines queue in this process (the worker, or the web process when IN_PROCESS_WORKER is on).
 * Bull's stalled-job check requeues a job whose worker died; a job that stalls again fails, and its run with it.
 */
@Injectable()
export class PipelineWorkerService implements OnApplicationBootstrap {
  private readonly logger = new Logger('PipelineWorker');

  constructor(
    @Inject(PIPELINE_WORKER_ENABLED) private readonly enabled: boolean,
    @Inject(PIPELINE_CONCURRENCY) private readonly concurrency: number,
    @InjectQueue(PIPELINES_QUEUE) private readonly queue: Queue,
    private readonly runner: PipelineRunnerService,
    private readonly runs: PipelineRunsService,
  ) {}

  async onApplicationBootstrap() {
    const interrupted = await this.runs.interruptOrphans();
    if (interrupted) this.logger.warn(`Marked ${interrupted} run(s) interrupted: their jobs were gone`);
    if (!this.enabled) return;
    this.queue.on('failed', (job: Job, error: Error) => void this.onJobFailed(job, error));
    void this.queue.process(this.concurrency, async (job: Job<{ runId: number }>) => {
      const run = await this.runner.execute(job.data.runId);
      return { state: run.state };
    });
    this.logger.log(`Running pipeline jobs here, ${this.concurrency} at a time`);
  }

  private async onJobFailed(job: Job<{ runId: number }>, error: Error) {
    const runId = job.data?.runId;
    if (!runId) return;
    await this.runs.transition(runId, ['queued', 'running'], {
      state: 'failed',
      status: 'Failed',
      failureMessage: `The worker running this pipeline stopped (${error.message})`,
      finishedAt: new Date(),
    });
  }
}
