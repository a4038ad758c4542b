import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { PipelineEventsService } from '../pipeline-runs/pipeline-events.service';
import { PIPELINE_WORKER_ENABLED } from '../pipeline-runs/pipeline-worker.service';
import { PREVIEWS_QUEUE } from '../queue/queue.module';
import { enqueuePreviews, PreviewJobData } from './preview-jobs';
import { PreviewsService } from './previews.service';

/**
 * Makes thumbnails wherever pipeline jobs run (the worker, or the web process with the embedded services), one
 * at a time so that a class uploading a night's frames does not starve the pipelines. At boot it queues any
 * product still without a preview, e.g. after an upgrade or a crash. Each settled thumbnail is announced through the
 * Socket.IO Redis emitter, so target pages showing "preview pending" swap in the image without a reload.
 */
@Injectable()
export class PreviewWorkerService implements OnApplicationBootstrap {
  private readonly logger = new Logger('PreviewWorker');

  constructor(
    @Inject(PIPELINE_WORKER_ENABLED) private readonly enabled: boolean,
    @InjectQueue(PREVIEWS_QUEUE) private readonly queue: Queue,
    private readonly previews: PreviewsService,
    private readonly events: PipelineEventsService,
  ) {}

  async onApplicationBootstrap() {
    if (!this.enabled) return;
    this.queue
      .process(1, async (job: Job<PreviewJobData>) => {
        const result = await this.previews.makeThumbnail(job.data.productId);
        if (result !== 'gone') await this.announce(job.data.productId);
        return { result };
      })
      .catch((error) => this.logger.error(`The previews queue stopped: ${error.message}`));
    const missing = await this.previews.missing();
    if (missing.length) {
      this.logger.log(`Queueing ${missing.length} missing preview(s)`);
      await enqueuePreviews(this.queue, missing);
    }
  }

  /** Tells the target pages (best effort: a page that misses it finds the thumbnail when it next asks). */
  private async announce(productId: number): Promise<void> {
    try {
      const settled = await this.previews.settledPreview(productId);
      if (settled) this.events.productPreview(settled.owned, settled.preview);
    } catch (error) {
      this.logger.warn(`The preview of product ${productId} was not announced: ${(error as Error).message}`);
    }
  }
}
