import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bull';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DataProduct, PRODUCT_TYPES, ProductType } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { enqueuePreviews } from '../previews/preview-jobs';
import { PREVIEWS_QUEUE } from '../queue/queue.module';
import { parsePhotometryCsv } from '../reduced-data/photometry-csv.reader';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { FileStorageService, StoredFile } from '../storage/file-storage.service';
import { Target } from '../targets/target.entity';
import { cancelChannel } from './pipeline-events.service';
import { PipelineLogService, RunLogWriter } from './pipeline-log.service';
import { PipelineRegistryService } from './pipeline-registry.service';
import { PipelineRun } from './pipeline-run.entity';
import { PipelineRunsService } from './pipeline-runs.service';
import { PIPELINE_REDIS_URL } from './pipeline.tokens';
import { AsyncError, CancelledError, PipelineOutput } from './sdk/pipeline-process';

type StopReason = 'cancelled' | 'timeout';

/** Removes a run's temp dir: most are empty by now, and rmdir is much cheaper than a recursive rm. */
async function removeDir(dir: string): Promise<void> {
  try {
    await fs.promises.rmdir(dir);
  } catch {
    await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Executes one run: its own temp dir, the pipeline's doPipeline, then all outputs stored in one go (files
 * first, rows in one transaction) or none. Listens for cancel requests from any web process.
 */
@Injectable()
export class PipelineRunnerService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('PipelineRunner');
  private readonly active = new Map<number, AbortController>();
  private subscriber?: Redis;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PIPELINE_REDIS_URL) private readonly redisUrl: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PipelineRegistryService,
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly reducedData: ReducedDataService,
    private readonly storage: FileStorageService,
    @InjectQueue(PREVIEWS_QUEUE) private readonly previewQueue: Queue,
  ) {}

  async onModuleInit() {
    this.subscriber = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel, message) => this.active.get(Number(message))?.abort('cancelled'));
    await this.subscriber.subscribe(cancelChannel(this.redisUrl));
  }

  async onModuleDestroy() {
    for (const controller of this.active.values()) controller.abort('cancelled');
    this.subscriber?.disconnect();
  }

  async execute(runId: number): Promise<PipelineRun> {
    const claimed = await this.runs.claim(runId);
    if (!claimed) {
      this.logger.log(`Run ${runId} is no longer queued; skipping`);
      return this.dataSource.getRepository(PipelineRun).findOneByOrFail({ id: runId });
    }
    const { run: started, target, inputs } = claimed;
    const log = this.logs.writerAfter(runId, claimed.lastLogSeq);
    const controller = new AbortController();
    this.active.set(runId, controller);
    const timer = setTimeout(() => controller.abort('timeout'), this.config.pipelineTimeoutSeconds * 1000);
    timer.unref();
    const tmpdir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `portal-run-${runId}-`));
    const startedAt = Date.now();
    let peakRss = process.memoryUsage().rss;
    const memoryProbe = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
    memoryProbe.unref();

    let outcome: Partial<PipelineRun>;
    try {
      const pipeline = this.registry.get(started.pipelineKey);
      if (!target) throw new AsyncError('The target was deleted before the run started');
      if (inputs.length !== started.inputIds.length) throw new AsyncError('An input data product was deleted before the run started');
      log.write('info', `Running ${pipeline.name} (${pipeline.shortName} v${pipeline.version}) on ${inputs.length} input(s), worker ${os.hostname()}:${process.pid}`);
      const instance = new pipeline.pipelineClass({
        inputs: inputs.map((input) => ({
          id: input.id,
          path: this.storage.resolve(input.storedPath),
          originalName: input.originalName,
          sha256: input.sha256,
          productType: input.productType,
        })),
        target: { id: target.id, name: target.name, type: target.type, ra: target.ra, dec: target.dec },
        log: (level, text) => log.write(level, text),
        setStatus: (text) => void this.runs.setStatus(runId, text),
        signal: controller.signal,
        options: pipeline.options,
      });
      const outputs = await instance.doPipeline(tmpdir, started.flags);
      if (controller.signal.aborted) throw new CancelledError('Cancelled');
      const stored = await this.storeOutputs(started, target, outputs, log);
      log.write('info', `Finished: ${stored.products} data product(s), ${stored.points} reduced datum/data`);
      outcome = { state: 'succeeded', status: 'Finished', outputGroupId: stored.groupId };
    } catch (error) {
      outcome = this.failureOutcome(error, controller.signal.reason as StopReason | undefined, log);
    } finally {
      clearTimeout(timer);
      clearInterval(memoryProbe);
      this.active.delete(runId);
      await removeDir(tmpdir);
    }
    await log.flush().catch((error) => this.logger.error(`Log of run ${runId}: ${error.message}`));
    const finishedAt = new Date();
    const provenance = {
      ...started.provenance,
      startedAt: started.startedAt?.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - startedAt) / 1000,
      workerHost: os.hostname(),
      workerPid: process.pid,
      peakRssBytes: peakRss,
    };
    const finished = await this.runs.transition(runId, ['running'], { ...outcome, finishedAt, provenance });
    return finished ?? this.dataSource.getRepository(PipelineRun).findOneByOrFail({ id: runId });
  }

  private failureOutcome(error: unknown, stopReason: StopReason | undefined, log: RunLogWriter): Partial<PipelineRun> {
    if (stopReason === 'timeout') {
      const message = `Stopped after the time limit of ${this.config.pipelineTimeoutSeconds} s`;
      log.write('error', message);
      return { state: 'failed', status: 'Timed out', failureMessage: message };
    }
    if (stopReason === 'cancelled' || error instanceof CancelledError) {
      log.write('warning', 'Cancelled');
      return { state: 'cancelled', status: 'Cancelled', failureMessage: null };
    }
    if (error instanceof AsyncError) {
      log.write('error', error.message);
      return { state: 'failed', status: 'Failed', failureMessage: error.message };
    }
    const err = error instanceof Error ? error : new Error(String(error));
    log.write('error', err.stack ?? err.message);
    return {
      state: 'failed',
      status: 'Failed',
      failureMessage: `The pipeline stopped with an unexpected error (${err.name}: ${err.message.split('\n')[0].slice(0, 200)}). The log has the details.`,
    };
  }

  /** Copies DataProduct outputs into the store and writes every row in one transaction; nothing stays on failure. */
  private async storeOutputs(run: PipelineRun, target: Pick<Target, 'id'>, outputs: PipelineOutput[], log: RunLogWriter) {
    if (!outputs.length) return { products: 0, points: 0, groupId: null };
    const staged: Array<{ output: PipelineOutput; stored?: StoredFile; points?: ReturnType<typeof parsePhotometryCsv>['points'] }> = [];
    try {
      for (const output of outputs) {
        if (!fs.existsSync(output.path)) throw new AsyncError(`The pipeline named an output that does not exist: ${path.basename(output.path)}`);
        if (output.outputType === 'ReducedDatum') {
          const parsed = parsePhotometryCsv(await fs.promises.readFile(output.path, 'utf8'));
          if (parsed.errors.length) {
            const first = parsed.errors[0];
            throw new AsyncError(`${path.basename(output.path)} line ${first.line}: ${first.reason}`);
          }
          staged.push({ output, points: parsed.points });
        } else {
          staged.push({ output, stored: await this.storage.importCopy(output.path, path.basename(output.path)) });
        }
      }
      const result = await this.dataSource.transaction(async (manager) => {
        // The outputs are the requester's, shared as the run is now. The lock waits for a share in progress
        // (PipelineRunsService.share locks the run first too), so outputs never miss a change of sharing.
        const [sharing]: Array<Pick<PipelineRun, 'visibility' | 'classroomId'>> = await manager.query(
          'SELECT visibility, classroom_id AS "classroomId" FROM pipeline_processes WHERE id = $1 FOR SHARE',
          [run.id],
        );
        if (!sharing) throw new AsyncError('The run was deleted while it ran');
        const products: DataProduct[] = [];
        let points = 0;
        for (const item of staged) {
          if (item.stored) {
            const type = PRODUCT_TYPES.includes(item.output.dataProductType as ProductType) ? (item.output.dataProductType as ProductType) : 'other';
            products.push(
              await manager.save(
                manager.create(DataProduct, {
                  targetId: target.id,
                  storedPath: item.stored.storedPath,
                  originalName: path.basename(item.output.path),
                  productType: type,
                  size: item.stored.size,
                  sha256: item.stored.sha256,
                  uploadedById: run.requestedById,
                  visibility: sharing.visibility,
                  classroomId: sharing.classroomId,
                  tags: item.output.tag ? [item.output.tag] : [],
                }),
              ),
            );
          } else if (item.points) {
            const counts = await this.reducedData.addPhotometry(
              manager,
              target.id,
              // The run's points are the series of the student who started it, shared as the run is now.
              { kind: 'run', runId: run.id, sourceName: run.identifier, ownerId: run.requestedById, ...sharing },
              item.points,
            );
            points += counts.added;
            if (counts.skipped) log.write('info', `${counts.skipped} point(s) were already stored`);
          }
        }
        let groupId: number | null = null;
        if (products.length) {
          const group = await manager.save(
            manager.create(DataProductGroup, {
              name: `${run.identifier}_outputs`,
              products,
              createdById: run.requestedById,
              visibility: sharing.visibility,
              classroomId: sharing.classroomId,
            }),
          );
          groupId = group.id;
        }
        return { products, points, groupId };
      });
      await enqueuePreviews(this.previewQueue, DataProductsService.previewable(result.products)).catch((error) =>
        log.write('warning', `Thumbnails of the outputs were not queued (${error.message}); they will be made at the next worker start`),
      );
      return { products: result.products.length, points: result.points, groupId: result.groupId };
    } catch (error) {
      for (const item of staged) if (item.stored) await this.storage.remove(item.stored.storedPath).catch(() => undefined);
      throw error;
    }
  }
}
