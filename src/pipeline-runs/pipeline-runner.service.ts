import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PROJECT_ROOT } from '../config/paths';
import { checkText } from '../common/text';
import { DataProductWriter } from '../data-products/data-product-writer.service';
import { DataProduct, PRODUCT_TYPES, ProductType } from '../data-products/data-product.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { parsePhotometryCsv } from '../reduced-data/photometry-csv.reader';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { FileStorageService, StoredFile } from '../storage/file-storage.service';
import { Target } from '../targets/target.entity';
import { cancelChannel, LogLineEvent } from './pipeline-events.service';
import { PipelineLogService, RunLogWriter } from './pipeline-log.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRun } from './pipeline-run.entity';
import { ClaimedRun, PipelineRunsService, restartLine } from './pipeline-runs.service';
import { PIPELINE_REDIS_URL } from './pipeline.tokens';
import { runFileNames } from './run-file-names';
import { AsyncError, CancelledError, hasAllowedSuffix, PipelineContext, PipelineOutput } from '../pipeline-sdk/pipeline-process';
import { RegisteredPipeline } from '../pipeline-registry/pipeline-config.loader';
import { PipelineRunStep } from './pipeline-run-step.entity';
import { stepsProvenance } from './run-steps.service';
import { RemoteTasksService } from '../remote-pipelines/remote-tasks.service';

/** Read once: os.hostname() is a system call each time. */
const HOSTNAME = os.hostname();

/** How often the peak memory of the runs going here is sampled (provenance.peakRssBytes). */
const MEMORY_SAMPLE_MS = 250;

/** How long a run goes before its start is published (unless it logs or sets its status first). */
const START_EVENT_DELAY_MS = 25;

/** Why a run's signal aborted: a user's cancel, the time limit, or its worker stopping (the run is requeued). */
type StopReason = 'cancelled' | 'timeout' | 'shutdown';

/** A run going in this process. */
interface ActiveRun {
  controller: AbortController;
  attempt: number;
  log: RunLogWriter;
  /** Handed back to the queue by abandonAll(): whatever the run does later is not recorded. */
  abandoned: boolean;
  /** The largest resident set size of this process sampled while the run went (sampleMemory). */
  peakRss: number;
}

/** A workflow step a worker runs: its row, how many steps the run has, and whether to queue the next as a job. */
type RunningStep = PipelineRunStep & { stepCount: number; enqueueNext: boolean };

/** What storing a run's (or a step's) outputs made. */
interface StoredOutputs {
  products: number;
  points: number;
  groupId: number | null;
}

/** The products a step works on: those of its inputs its pipeline takes, or, from the step before, those it keeps. */
function stepInputsFor(step: RunningStep, pipeline: RegisteredPipeline, inputs: ClaimedRun['inputs']): ClaimedRun['inputs'] {
  const { suffixes, productTypes } = step.keep ?? {};
  if (step.inputs === 'previous' && (suffixes?.length || productTypes?.length)) {
    return inputs.filter(
      (input) => (suffixes?.length && hasAllowedSuffix(input.originalName, suffixes)) || (productTypes?.length && productTypes.includes(input.productType)),
    );
  }
  return inputs.filter((input) => hasAllowedSuffix(input.originalName, pipeline.allowedSuffixes));
}

/** What a step keeps of the step before's outputs, in words. */
function keptWhat(step: RunningStep, pipeline: RegisteredPipeline): string {
  const { suffixes, productTypes } = step.keep ?? {};
  const kept = [...(suffixes ?? []), ...(productTypes ?? []).map((type) => `${type} products`)];
  return kept.length ? `it keeps ${kept.join(', ')}` : `it takes ${pipeline.allowedSuffixes.join(', ') || 'any file'}`;
}

/** An output's tag by the text rule for tags (common/text.ts); one it refuses fails the run, naming the output. */
function outputTag(output: PipelineOutput): string {
  const checked = checkText(output.tag, 'tag');
  if (checked.error !== undefined) throw new AsyncError(`Output ${path.basename(output.path)}: ${checked.error}`);
  return checked.value;
}

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
 * first, rows in one transaction) or none. Listens for cancel requests from any web process. When its worker
 * stops, the runs still going are interrupted (interruptAll): their lines are stored and they are queued again.
 */
@Injectable()
export class PipelineRunnerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PipelineRunner');
  private readonly active = new Map<number, ActiveRun>();
  /** Set by interruptAll(): a run claimed from now on is interrupted as it starts. */
  private interrupting = false;
  private subscriber?: Redis;
  private memoryProbe?: NodeJS.Timeout;
  private rssSample = { bytes: 0, at: -Infinity };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PIPELINE_REDIS_URL) private readonly redisUrl: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PipelineRegistryService,
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly reducedData: ReducedDataService,
    private readonly storage: FileStorageService,
    private readonly products: DataProductWriter,
    private readonly remoteTasks: RemoteTasksService,
  ) {}

  async onModuleInit() {
    // One probe for all the runs going here rather than a timer and a read of /proc per run.
    this.memoryProbe = setInterval(() => {
      if (!this.active.size) return;
      const rss = this.rss();
      for (const run of this.active.values()) run.peakRss = Math.max(run.peakRss, rss);
    }, MEMORY_SAMPLE_MS);
    this.memoryProbe.unref();
    this.subscriber = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel, message) => this.active.get(Number(message))?.controller.abort('cancelled'));
    await this.subscriber.subscribe(cancelChannel(this.redisUrl));
  }

  /** Last: cancels must reach runs until they are all settled (PipelineWorkerService stops them first). */
  onApplicationShutdown() {
    clearInterval(this.memoryProbe);
    this.subscriber?.disconnect();
  }

  /** This process's resident set size, read again when the last reading is MEMORY_SAMPLE_MS old. */
  private rss(): number {
    const now = performance.now();
    if (now - this.rssSample.at >= MEMORY_SAMPLE_MS) this.rssSample = { bytes: process.memoryUsage.rss(), at: now };
    return this.rssSample.bytes;
  }

  /**
   * Stops every run going here because the worker stops, and any it claims from now on (a job fetched just
   * before the stop): each stores its lines and is queued again.
   */
  interruptAll(): void {
    this.interrupting = true;
    for (const run of this.active.values()) run.controller.abort('shutdown');
  }

  /**
   * For runs whose pipeline ignored interruptAll: their stored lines are kept, later ones dropped, and they are
   * queued again now. Their Bull jobs are left to the stalled-job check (servers) or the start-up sweep (embedded).
   */
  async abandonAll(): Promise<void> {
    await Promise.all(
      [...this.active.entries()].map(async ([runId, run]) => {
        run.abandoned = true;
        await run.log.close().catch((error) => this.logger.error(`Log of run ${runId}: ${error.message}`));
        await this.runs.interrupted(runId, run.attempt).catch((error) => this.logger.error(`Requeueing run ${runId}: ${error.message}`));
        this.active.delete(runId);
      }),
    );
  }

  /**
   * Runs a run, or step `position` of a workflow run (each step is its own job). After a step that is not the last,
   * the next one is queued (as a job unless `enqueueNext` is false: the CLI runs the steps itself).
   */
  async execute(runId: number, position?: number, options: { enqueueNext?: boolean } = {}): Promise<PipelineRun> {
    const claimedStep = position ? await this.runs.claimStep(runId, position) : null;
    const claimed = position ? claimedStep : await this.runs.claim(runId);
    if (!claimed) {
      const failed = await this.runs.giveUp(runId);
      if (failed) {
        this.logger.warn(`Run ${runId} is not started again: it used all its attempts`);
        return failed;
      }
      this.logger.log(`Run ${runId}${position ? ` step ${position}` : ''} is no longer queued; skipping`);
      return this.dataSource.getRepository(PipelineRun).findOneByOrFail({ id: runId });
    }
    const log = this.logs.writerAfter(runId, claimed.lastLogSeq);
    const entry: ActiveRun = { controller: new AbortController(), attempt: claimed.run.attempt, log, abandoned: false, peakRss: 0 };
    this.active.set(runId, entry);
    if (this.interrupting) entry.controller.abort('shutdown');
    try {
      const step = claimedStep ? { ...claimedStep.step, stepCount: claimedStep.stepCount, enqueueNext: options.enqueueNext !== false } : undefined;
      return await this.run(claimed, entry, step);
    } finally {
      if (this.active.get(runId) === entry) this.active.delete(runId);
    }
  }

  private async run(claimed: ClaimedRun, entry: ActiveRun, step?: RunningStep): Promise<PipelineRun> {
    const { run: started, target, inputs } = claimed;
    const runId = started.id;
    const { controller, log } = entry;
    const pipeline = this.registry.findPipeline(step ? step.pipelineKey : started.pipelineKey);
    // A remote pipeline's entry sets its own time limit.
    const timeLimitSeconds = pipeline?.remote?.timeLimitSeconds ?? this.config.pipelineTimeoutSeconds;
    const timer = setTimeout(() => controller.abort('timeout'), timeLimitSeconds * 1000);
    timer.unref();
    const tmpdir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `portal-run-${runId}-`));
    // The log, status and failure message name files as they were uploaded, never by storage paths or server
    // folders (run-file-names.ts); the worker's own log keeps the real paths.
    const names = runFileNames({ inputs, dataDir: this.storage.root, tmpdir, projectRoot: PROJECT_ROOT });
    const writeLine = log.write.bind(log);
    log.write = (level, text) => writeLine(level, names(text));
    // The run's start is published after START_EVENT_DELAY_MS, or before its first stored lines or status if sooner;
    // a run that ends before then publishes only its end (one publish instead of two for the shortest runs).
    let startEvent: NodeJS.Timeout | undefined = setTimeout(() => publishStart(), START_EVENT_DELAY_MS);
    startEvent.unref();
    const publishStart = () => {
      if (startEvent === undefined) return;
      clearTimeout(startEvent);
      startEvent = undefined;
      this.runs.publishState(started);
    };
    const skipStart = () => {
      clearTimeout(startEvent);
      startEvent = undefined;
    };
    const announce = log.announce.bind(log);
    log.announce = (lines) => {
      publishStart();
      announce(lines);
    };
    const startedAt = Date.now();
    entry.peakRss = this.rss();

    let outcome: Partial<PipelineRun> | null;
    let stepOutputs: StoredOutputs | null = null;
    let stepInputs = inputs;
    // A workflow's steps as read for its last step's "Finished" line, kept for the run's provenance.
    let finalSteps: PipelineRunStep[] | undefined;
    try {
      if (!pipeline) throw new AsyncError(`The pipeline "${step ? step.pipelineKey : started.pipelineKey}" is no longer registered`);
      if (!target) throw new AsyncError('The target was deleted before the run started');
      if ((!step || step.inputs === 'run') && inputs.length !== started.inputIds.length) throw new AsyncError('An input data product was deleted before the run started');
      if (step) {
        log.write('info', `Step ${step.position} of ${step.stepCount}: ${pipeline.name}`);
        stepInputs = stepInputsFor(step, pipeline, inputs);
        if (!stepInputs.length) {
          throw new AsyncError(
            step.inputs === 'run'
              ? `${pipeline.name} takes none of the run's inputs (it takes ${pipeline.allowedSuffixes.join(', ')})`
              : `Step ${step.position - 1} made nothing that ${pipeline.name} takes (${keptWhat(step, pipeline)})`,
          );
        }
      }
      if (started.attempt > 1) log.write('warning', restartLine(started.attempt));
      log.write('info', `Running ${pipeline.name} (${pipeline.shortName} v${pipeline.version}) on ${stepInputs.length} input(s), worker ${HOSTNAME}:${process.pid}`);
      const context: PipelineContext = {
        inputs: stepInputs.map((input) => ({
          id: input.id,
          path: this.storage.resolve(input.storedPath),
          originalName: input.originalName,
          sha256: input.sha256,
          productType: input.productType,
        })),
        target: { id: target.id, name: target.name, type: target.type, ra: target.ra, dec: target.dec },
        log: (level, text) => log.write(level, text),
        setStatus: (text) => {
          publishStart();
          const status = names(text).slice(0, 400);
          if (step) {
            void this.runs.setStepStatus(runId, step.position, status).catch((error) => this.logger.warn(`Status of run ${runId} step ${step.position}: ${error.message}`));
          }
          void this.runs.setStatus(runId, step ? `Step ${step.position} of ${step.stepCount}: ${status}` : status).catch((error) => this.logger.warn(`Status of run ${runId}: ${error.message}`));
        },
        signal: controller.signal,
        options: pipeline.options,
        limits: { maxFramePixels: this.config.pipelineMaxFramePixels, maxRunPixels: this.config.pipelineMaxRunPixels },
      };
      const flags = step ? step.flags : started.flags;
      const params = (step ? step.params : started.params) ?? {};
      // A remote pipeline's work is done by its service; the runner stores what it returns as for the others.
      const outputs = pipeline.remote
        ? await this.remoteTasks.run({
            runId,
            identifier: started.identifier,
            pipelineName: pipeline.name,
            service: pipeline.remote,
            flags,
            params,
            target: context.target,
            inputs: stepInputs,
            log: context.log,
            setStatus: context.setStatus,
            signal: controller.signal,
          })
        : await new pipeline.pipelineClass(context).doPipeline(tmpdir, flags, params);
      // Work that ended despite its worker stopping is kept: storing it is quicker than doing it again.
      if (controller.signal.aborted && controller.signal.reason !== 'shutdown') throw new CancelledError('Cancelled');
      const stepProvenance = step ? this.stepProvenance(step, pipeline, stepInputs, startedAt, entry) : undefined;
      const stored = await this.storeOutputs(started, target, outputs, log, step && { position: step.position, provenance: stepProvenance! });
      stepOutputs = stored;
      if (step) log.write('info', `Step ${step.position} finished: ${stored.products} data product(s), ${stored.points} reduced datum/data`);
      if (!step || step.position === step.stepCount) {
        const total = step ? (finalSteps = await this.runs.stepsOf(runId)) : null;
        const products = total ? new Set(total.flatMap((item) => item.outputIds)).size : stored.products;
        const points = total ? total.reduce((sum, item) => sum + item.pointCount, 0) : stored.points;
        log.write('info', `Finished: ${products} data product(s), ${points} reduced datum/data`);
        outcome = { state: 'succeeded', status: 'Finished', outputGroupId: stored.groupId ?? started.outputGroupId };
      } else {
        outcome = { state: 'running' };
      }
    } catch (error) {
      if (controller.signal.reason === 'shutdown') {
        outcome = null;
      } else {
        outcome = this.failureOutcome(error, controller.signal.reason as StopReason | undefined, log, timeLimitSeconds);
        if (outcome.failureMessage) outcome.failureMessage = names(outcome.failureMessage);
      }
    } finally {
      clearTimeout(timer);
    }
    // Started before the temp dir's removal yields, so the last lines wait for the end's statement (finish) rather
    // than going out in one of their own; an interrupted or abandoned run's lines are all stored now (flush).
    const ending = outcome && outcome.state !== 'running' && !entry.abandoned;
    const lastLines = (ending ? log.finish() : log.flush().then(() => [])).catch((error: Error) => {
      this.logger.error(`Log of run ${runId}: ${error.message}`);
      return [] as LogLineEvent[];
    });
    // Removed while the end is recorded (the thread pool's work overlaps the statement), before the job completes.
    const removed = removeDir(tmpdir);
    // From here each way out publishes the state it stores (or was handed back by abandonAll, which did).
    skipStart();
    try {
      const stepRecord =
        step && pipeline
          ? { ...step, pipelineName: pipeline.name, provenance: this.stepProvenance(step, pipeline, stepInputs, startedAt, entry), groupId: stepOutputs?.groupId ?? null, steps: finalSteps }
          : undefined;
      return await this.record(runId, started, entry, outcome, await lastLines, announce, startedAt, stepRecord);
    } finally {
      await removed;
      // A remote run's returned files were copied in by now (or are not wanted): they go.
      if (pipeline?.remote) await this.remoteTasks.cleanUp(runId).catch((error) => this.logger.warn(`Remote outputs of run ${runId}: ${error.message}`));
    }
  }

  /**
   * Stores how the run ended (or hands it back to the queue), once its lines are stored or in hand (`rest`). For a
   * workflow's step: the next step is queued, or the run ends with the step (a failure skips the steps after it).
   */
  private async record(
    runId: number,
    started: PipelineRun,
    entry: ActiveRun,
    outcome: Partial<PipelineRun> | null,
    rest: LogLineEvent[],
    announce: (lines: LogLineEvent[]) => void,
    startedAt: number,
    step?: RunningStep & { pipelineName: string; provenance: Record<string, unknown>; groupId: number | null; steps?: PipelineRunStep[] },
  ): Promise<PipelineRun> {
    const current = () => this.dataSource.getRepository(PipelineRun).findOneByOrFail({ id: runId });
    if (entry.abandoned) return current();
    if (!outcome) {
      // Interrupted by its worker's stop: queued again (or, after its last attempt, marked interrupted).
      const handed = await this.runs.interrupted(runId, started.attempt);
      if (step && handed?.state === 'queued') await this.runs.stepRequeued(runId, step.position);
      else if (step && handed) await this.runs.closeSteps(runId, 'failed', handed.failureMessage);
      return handed ?? current();
    }
    if (step && outcome.state === 'running') {
      const advanced = await this.runs.advance(runId, step.position + 1, step.stepCount, { enqueue: step.enqueueNext, outputGroupId: step.groupId });
      return advanced ?? current();
    }
    if (step && (outcome.state === 'failed' || outcome.state === 'cancelled')) {
      await this.runs.closeSteps(runId, outcome.state, outcome.failureMessage ?? null, step.provenance);
      if (outcome.failureMessage) outcome.failureMessage = `Step ${step.position} (${step.pipelineName}): ${outcome.failureMessage}`;
    }
    const finishedAt = new Date();
    const provenance: Record<string, unknown> = {
      ...started.provenance,
      startedAt: started.startedAt?.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - (step && started.startedAt ? started.startedAt.getTime() : startedAt)) / 1000,
      workerHost: HOSTNAME,
      workerPid: process.pid,
      peakRssBytes: entry.peakRss,
    };
    if (step) {
      provenance.steps = stepsProvenance(step.steps ?? (await this.runs.stepsOf(runId)));
    }
    const finished = await this.runs.end(runId, ['running'], { ...outcome, finishedAt, provenance }, rest, announce);
    return finished ?? current();
  }

  /** What a step's provenance records: its pipeline's version, its values and inputs, where and how long it ran. */
  private stepProvenance(step: RunningStep, pipeline: RegisteredPipeline, inputs: ClaimedRun['inputs'], startedAt: number, entry: ActiveRun): Record<string, unknown> {
    const finishedAt = new Date();
    return {
      pipeline: { key: pipeline.key, kind: pipeline.kind, shortName: pipeline.shortName, version: pipeline.version, configHash: pipeline.configHash },
      flags: step.flags,
      params: step.params,
      inputs: inputs.map((input) => ({ id: input.id, name: input.originalName, sha256: input.sha256 })),
      attempt: step.attempt,
      startedAt: step.startedAt?.toISOString() ?? new Date(startedAt).toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - startedAt) / 1000,
      workerHost: HOSTNAME,
      workerPid: process.pid,
      peakRssBytes: entry.peakRss,
    };
  }

  private failureOutcome(error: unknown, stopReason: StopReason | undefined, log: RunLogWriter, timeLimitSeconds: number): Partial<PipelineRun> {
    if (stopReason === 'timeout') {
      const message = `Stopped after the time limit of ${timeLimitSeconds} s`;
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
  private async storeOutputs(
    run: PipelineRun,
    target: Pick<Target, 'id'>,
    outputs: PipelineOutput[],
    log: RunLogWriter,
    step?: { position: number; provenance: Record<string, unknown> },
  ): Promise<StoredOutputs> {
    if (!outputs.length) {
      if (step) await this.runs.stepSucceeded(this.dataSource.manager, run.id, step.position, { outputIds: [], pointCount: 0, provenance: step.provenance });
      return { products: 0, points: 0, groupId: null };
    }
    const staged: Array<{ output: PipelineOutput; stored?: StoredFile; points?: ReturnType<typeof parsePhotometryCsv>['points'] }> = [];
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
        staged.push({ output });
      }
    }
    const files = staged.filter((item) => !item.points);
    const stored = await this.products.stage(files.map((item) => ({ path: item.output.path, originalName: path.basename(item.output.path) })));
    files.forEach((item, i) => (item.stored = stored[i]));
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        // The outputs are the requester's, shared as the run is now. The lock waits for a share in progress
        // (PipelineRunsService.share locks the run first too), so outputs never miss a change of sharing.
        const [locked]: Array<Pick<PipelineRun, 'visibility' | 'classroomId' | 'outputGroupId'>> = await manager.query(
          'SELECT visibility, classroom_id AS "classroomId", output_group_id AS "outputGroupId" FROM pipeline_runs WHERE id = $1 FOR SHARE',
          [run.id],
        );
        if (!locked) throw new AsyncError('The run was deleted while it ran');
        const sharing = { visibility: locked.visibility, classroomId: locked.classroomId };
        // A workflow's outputs are marked with the step that made them.
        const stepTag = step ? [`step_${step.position}`] : [];
        const products: DataProduct[] = [];
        let points = 0;
        for (const item of staged) {
          if (item.stored) {
            const type = PRODUCT_TYPES.includes(item.output.dataProductType as ProductType) ? (item.output.dataProductType as ProductType) : 'other';
            products.push(
              await this.products.insert(manager, item.stored, {
                targetId: target.id,
                originalName: path.basename(item.output.path),
                productType: type,
                ownerId: run.requestedById,
                visibility: sharing.visibility,
                classroomId: sharing.classroomId,
                tags: [...(item.output.tag ? [outputTag(item.output)] : []), ...stepTag],
              }),
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
        if (products.length && step && locked.outputGroupId !== null) {
          // Later steps of a workflow add to the group its earlier steps began: one group holds every step's outputs.
          await manager.query('INSERT INTO data_product_group_members (group_id, data_product_id) SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING', [
            locked.outputGroupId,
            products.map((product) => product.id),
          ]);
          groupId = locked.outputGroupId;
        } else if (products.length) {
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
        if (step) {
          const marked = await this.runs.stepSucceeded(manager, run.id, step.position, { outputIds: products.map((product) => product.id), pointCount: points, provenance: step.provenance });
          if (!marked) throw new AsyncError('The run was cancelled while its outputs were stored');
        }
        return { products, points, groupId };
      });
      if (!(await this.products.queuePreviews(result.products))) {
        log.write('warning', 'Thumbnails of the outputs were not queued; they will be made at the next worker start');
      }
      return { products: result.products.length, points: result.points, groupId: result.groupId };
    } catch (error) {
      await this.products.discard(stored);
      throw error;
    }
  }
}
