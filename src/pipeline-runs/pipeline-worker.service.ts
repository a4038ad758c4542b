import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PIPELINES_QUEUE, stopTaking } from '../queue/queue.module';
import { PipelineRunnerService } from './pipeline-runner.service';
import { PipelineRunsService, RunJobData } from './pipeline-runs.service';

export const PIPELINE_WORKER_ENABLED = Symbol('PIPELINE_WORKER_ENABLED');
export const PIPELINE_CONCURRENCY = Symbol('PIPELINE_CONCURRENCY');

/** How long interrupted runs get to stop (a command's SIGTERM, then SIGKILL) and store their lines. */
const INTERRUPT_WAIT_MS = 15_000;

/**
 * Thrown to Bull when this process stops during a run: the run is already queued again (PipelineRunsService
 * .interrupted), and the job goes back to the queue for the next worker, as a retry, not a failure.
 */
export class RunRequeuedError extends Error {
  constructor(runId: number) {
    super(`Run ${runId} was interrupted by its worker's stop and is queued again`);
    this.name = 'RunRequeuedError';
  }
}

/**
 * Consumes the pipelines queue in this process (the worker, or the web process when IN_PROCESS_WORKER is on).
 * Bull's stalled-job check requeues a job whose worker died, up to RUN_MAX_ATTEMPTS starts; at a stop
 * (SIGTERM/SIGINT, app.close()) this process takes no new job, lets its runs finish within SHUTDOWN_GRACE_SECONDS,
 * then interrupts the rest and puts them back in the queue.
 */
@Injectable()
export class PipelineWorkerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PipelineWorker');
  private processing = false;
  /** The jobs this process is running, from the moment Bull hands them over until their run's state is stored. */
  private readonly jobs = new Set<Promise<unknown>>();
  /** Ends the grace period early (a second signal). */
  private hurried = false;
  private endGrace?: () => void;

  constructor(
    @Inject(PIPELINE_WORKER_ENABLED) private readonly enabled: boolean,
    @Inject(PIPELINE_CONCURRENCY) private readonly concurrency: number,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(PIPELINES_QUEUE) private readonly queue: Queue,
    private readonly runner: PipelineRunnerService,
    private readonly runs: PipelineRunsService,
  ) {}

  async onApplicationBootstrap() {
    const requeued = await this.runs.requeueOrphans();
    if (requeued) this.logger.warn(`Queued ${requeued} run(s) again: they were left queued or running without a job (the embedded queue keeps nothing across restarts)`);
    if (!this.enabled) return;
    this.queue.on('failed', (job: Job, error: Error) => {
      this.onJobFailed(job, error).catch((failure) => this.logger.error(`Recording the failure of job ${job.id}: ${failure.message}`));
    });
    this.processing = true;
    this.queue
      .process(this.concurrency, (job: Job<RunJobData>) => {
        const work = this.runJob(job.data.runId, job.data.step);
        this.jobs.add(work);
        return work.finally(() => this.jobs.delete(work));
      })
      .catch((error) => this.logger.error(`The pipelines queue stopped: ${error.message}`));
    this.logger.log(`Running pipeline jobs here, ${this.concurrency} at a time`);
  }

  private async runJob(runId: number, step?: number): Promise<{ state: string }> {
    const run = await this.runner.execute(runId, step);
    if (run.state === 'queued') throw new RunRequeuedError(run.id);
    return { state: run.state };
  }

  /** Nest's first shutdown step: before anything this process's runs need (database, Redis) is closed. */
  async onModuleDestroy() {
    if (this.processing) await this.stop();
  }

  /** A second SIGTERM/SIGINT: the runs still going are interrupted now rather than at the end of the grace period. */
  hurry(): void {
    this.hurried = true;
    this.endGrace?.();
  }

  /**
   * Takes no new job, waits up to SHUTDOWN_GRACE_SECONDS for the runs going here, then interrupts the rest (their
   * lines stored, the runs queued again, their jobs back in the queue); resolves when no run is left here.
   */
  private async stop(): Promise<void> {
    this.processing = false;
    await stopTaking(this.queue).catch((error) => this.logger.error(`Pausing the pipelines queue: ${error.message}`));
    const graceSeconds = this.hurried ? 0 : this.config.shutdownGraceSeconds;
    if (this.jobs.size && graceSeconds > 0) {
      this.logger.log(`Stopping: no new runs taken; waiting up to ${graceSeconds} s for ${this.jobs.size} run(s) to finish`);
      await this.jobsDone(graceSeconds * 1000, new Promise<void>((resolve) => (this.endGrace = resolve)));
    }
    if (!this.jobs.size) return;
    this.logger.log(`Stopping: interrupting ${this.jobs.size} run(s) still going; they are queued again for the next worker`);
    this.runner.interruptAll();
    if (await this.jobsDone(INTERRUPT_WAIT_MS)) return;
    // A pipeline that ignores its stop signal: its run is handed back without waiting for it any longer.
    this.logger.warn(`Stopping: ${this.jobs.size} run(s) did not stop within ${INTERRUPT_WAIT_MS / 1000} s; queued again without them`);
    await this.runner.abandonAll();
  }

  /**
   * True once this process runs no job (one fetched just as the queue paused included); false when `timeoutMs`
   * passes or `earlier` resolves first.
   */
  private async jobsDone(timeoutMs: number, earlier?: Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    let over = false;
    const end = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))).then(() => (over = true));
    void earlier?.then(() => (over = true));
    while (this.jobs.size && !over) await Promise.race([Promise.allSettled([...this.jobs]), end, ...(earlier ? [earlier] : [])]);
    clearTimeout(timer);
    return this.jobs.size === 0;
  }

  /**
   * Bull reports every failed try, also those it retries: only a job that failed for good (its worker died too
   * often, or an error outside the run) fails its run. A run the runner requeued or finished is left as it is.
   */
  private async onJobFailed(job: Job<RunJobData>, error: Error) {
    const runId = job.data?.runId;
    if (!runId || error instanceof RunRequeuedError) return;
    if ((await job.getState()) !== 'failed') return;
    const message = `The worker running this pipeline stopped (${error.message})`;
    const failed = await this.runs.transition(runId, ['queued', 'running'], { state: 'failed', status: 'Failed', failureMessage: message, finishedAt: new Date() });
    if (failed?.workflowVersionId) await this.runs.closeSteps(runId, 'failed', message);
  }
}
