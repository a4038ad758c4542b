import { BullModule, InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleDestroy, Optional } from '@nestjs/common';
import { Queue } from 'bull';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BullRedisClients } from './redis-client';

export const PIPELINES_QUEUE = 'pipelines';
/** Thumbnails of new FITS products, made by the workers so that uploads stay fast. */
export const PREVIEWS_QUEUE = 'previews';
/**
 * The most times one job is started: a pipeline run's attempts (PipelineRunsService counts them), and how often
 * Bull hands a job whose worker died (it "stalled") to another worker before failing it.
 */
export const MAX_JOB_ATTEMPTS = 3;

/**
 * Stops this process's consumers in dependency order. First (onModuleDestroy) no queue takes another job; the
 * pipeline worker then lets its runs finish or interrupts them (PipelineWorkerService). Then (beforeApplicationShutdown)
 * the thumbnail being made is finished, while the database is still open. Last (onApplicationShutdown) the queues
 * close and the Redis connections Bull was given are hung up, so a stopped app leaves no socket open.
 */
@Injectable()
class QueueShutdown implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(
    @InjectQueue(PIPELINES_QUEUE) private readonly pipelines: Queue,
    @InjectQueue(PREVIEWS_QUEUE) private readonly previews: Queue,
    private readonly clients: BullRedisClients,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  async onModuleDestroy() {
    // Local pauses: this process stops taking jobs; other workers and the queue itself are untouched.
    await Promise.all([stopTaking(this.pipelines), stopTaking(this.previews)]).catch((error) => this.logger.error(`Pausing the queues: ${error.message}`));
  }

  async beforeApplicationShutdown() {
    const graceMs = (this.config?.shutdownGraceSeconds ?? 30) * 1000;
    await Promise.all([this.finishJobs(this.previews, graceMs), this.finishJobs(this.pipelines, graceMs)]);
  }

  /**
   * Waits up to `graceMs` for the jobs `queue` is running here (a thumbnail; runs are already settled by now).
   * A job still going then is left: its queue closes without waiting, and Bull hands the job to a worker again.
   */
  private async finishJobs(queue: Queue, graceMs: number): Promise<void> {
    const jobs = Object.values((queue as Queue & { processing?: Record<string, Promise<unknown>> }).processing ?? {});
    if (!jobs.length) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const outcome = await Promise.race([Promise.allSettled(jobs), late]);
    clearTimeout(timer);
    if (outcome !== 'late') return;
    this.logger.warn(`${jobs.length} ${queue.name} job(s) still going after ${graceMs / 1000} s are left for the next worker`);
    // Bull's close is memoised: the queue's own shutdown hook then closes without waiting for them either.
    await queue.close(true).catch((error) => this.logger.error(`Closing the ${queue.name} queue: ${error.message}`));
  }

  async onApplicationShutdown() {
    await Promise.all([this.pipelines.close(true), this.previews.close(true)]).catch((error) => this.logger.error(`Closing the queues: ${error.message}`));
    await this.clients.closeAll();
  }
}

/** This process takes no more jobs from `queue`; jobs it is running go on. */
export function stopTaking(queue: Queue): Promise<void> {
  return queue.pause(true, true);
}

/** Bull on REDIS_URL or the embedded server; the queues themselves are registered here so every process shares them. */
@Module({})
export class QueueModule {
  /**
   * `lockSeconds`: Bull's job lock; the stalled-job check runs as often, so a dead worker's job is requeued soon,
   * up to MAX_JOB_ATTEMPTS starts in all.
   */
  static forRoot(redisUrl: string, lockSeconds = 30): DynamicModule {
    const clients = new BullRedisClients();
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({
          createClient: (type) => clients.create(redisUrl, type),
          prefix: 'portal',
          settings: { lockDuration: lockSeconds * 1000, stalledInterval: lockSeconds * 1000, maxStalledCount: MAX_JOB_ATTEMPTS - 1 },
        }),
        BullModule.registerQueue({ name: PIPELINES_QUEUE }, { name: PREVIEWS_QUEUE }),
      ],
      providers: [{ provide: BullRedisClients, useValue: clients }, QueueShutdown],
      exports: [BullModule],
    };
  }
}
