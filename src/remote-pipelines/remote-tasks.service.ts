import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { sessionSecret } from '../auth/session-settings';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RemoteServiceSpec } from '../pipeline-registry/pipeline-config.loader';
import { PIPELINE_REDIS_URL } from '../pipeline-runs/pipeline.tokens';
import { AsyncError, CancelledError, PipelineOutput } from '../pipeline-sdk/pipeline-process';
import { remoteEventsChannel, remoteOutputsDir, RemoteEventsService } from './remote-events.service';
import { inputUrlSignature, signaturesMatch, signedHeaders } from './remote-signing';
import { FileStorageService } from '../storage/file-storage.service';

/** How long an input's download URL stays valid. */
export const INPUT_URL_SECONDS = 15 * 60;
/** Tries to hand a task over, with these waits between them. */
const HANDOVER_WAITS_MS = [500, 1000, 2000];
/** One request to a service may take this long. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How often the events are read when no wake-up comes. */
const POLL_MS = 1000;

/** What a remote run needs from the runner. */
export interface RemoteRunContext {
  runId: number;
  identifier: string;
  pipelineName: string;
  service: RemoteServiceSpec;
  flags: Record<string, boolean>;
  params: Record<string, number | string | null>;
  target: { name: string; type: string; ra: number | null; dec: number | null };
  inputs: Array<{ id: number; originalName: string; sha256: string }>;
  log(level: 'debug' | 'info' | 'warning' | 'error', text: string): void;
  setStatus(text: string): void;
  signal: AbortSignal;
}

/** The key input download URLs are signed with: the portal's own, from the session secret (web and workers share it). */
export function inputUrlKey(config: Pick<AppConfig, 'sessionSecret' | 'dataDir'>): Buffer {
  return createHmac('sha256', sessionSecret(config)).update('portal remote input URLs').digest();
}

/**
 * The worker's side of a remote run: the task POSTed to the service (signed, with short-lived signed download URLs
 * for the inputs and the URL to report to; tried again with backoff when the service cannot be reached), then
 * the events the web processes accepted for the run, in order: status, progress and log lines as for a local run,
 * outputs collected and handed to the runner only when "done" comes; "failed" fails the run. A cancel, the time
 * limit or the worker's stop sends DELETE to the task at once.
 */
@Injectable()
export class RemoteTasksService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RemoteTasks');
  private subscriber?: Redis;
  private readonly waiting = new Map<number, () => void>();
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PIPELINE_REDIS_URL) private readonly redisUrl: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: RemoteEventsService,
    private readonly storage: FileStorageService,
  ) {
    this.key = inputUrlKey(config);
  }

  async onModuleInit() {
    this.subscriber = new Redis(this.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.subscriber.on('error', (error) => this.logger.warn(`Remote events channel: ${error.message}`));
    this.subscriber.on('message', (_channel, message) => this.waiting.get(Number(message))?.());
    await this.subscriber.connect();
    await this.subscriber.subscribe(remoteEventsChannel(this.redisUrl));
  }

  onApplicationShutdown() {
    this.subscriber?.disconnect();
  }

  /** The download URL of one input, valid for INPUT_URL_SECONDS. */
  inputUrl(runId: number, productId: number, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + INPUT_URL_SECONDS;
    return `${this.config.portalUrl}/api/remote/runs/${runId}/inputs/${productId}?expires=${expires}&signature=${inputUrlSignature(this.key, runId, productId, expires)}`;
  }

  /**
   * The file behind an input's download URL, or null when the URL is not one the portal signed, has expired, or
   * names a product that is not an input of that run while it runs.
   */
  async inputFile(runId: number, productId: number, expires: unknown, signature: unknown): Promise<{ path: string; name: string } | null> {
    const expiresAt = Number(expires);
    if (!Number.isInteger(expiresAt) || expiresAt < Date.now() / 1000 || typeof signature !== 'string') return null;
    if (!signaturesMatch(inputUrlSignature(this.key, runId, productId, expiresAt), signature)) return null;
    const [row]: Array<{ storedPath: string; name: string }> = await this.dataSource.query(
      `SELECT p.stored_path AS "storedPath", p.original_name AS name FROM pipeline_runs r JOIN data_products p ON p.id = ANY(r.input_ids)
       WHERE r.id = $1 AND p.id = $2 AND r.state = 'running'`,
      [runId, productId],
    );
    return row ? { path: this.storage.resolve(row.storedPath), name: row.name } : null;
  }

  /** Runs a remote run to its end (see the class): its outputs, once "done" came. */
  async run(context: RemoteRunContext): Promise<PipelineOutput[]> {
    const secret = process.env[context.service.secretEnv];
    if (!secret) throw new AsyncError(`${context.pipelineName} is not set up on this worker: ${context.service.secretEnv} is not set`);
    // Events of an earlier attempt of this run (its worker stopped) are not this attempt's.
    const [{ last }] = await this.dataSource.query('SELECT coalesce(max(id), 0)::int AS last FROM remote_task_events WHERE run_id = $1', [context.runId]);
    let cursor: number = last;
    const task = {
      runId: context.runId,
      identifier: context.identifier,
      pipeline: context.pipelineName,
      flags: context.flags,
      params: context.params,
      target: context.target,
      inputs: context.inputs.map((input) => ({ id: input.id, name: input.originalName, sha256: input.sha256, url: this.inputUrl(context.runId, input.id) })),
      notifyUrl: `${this.config.portalUrl}/api/remote/runs/${context.runId}/events`,
      timeLimitSeconds: context.service.timeLimitSeconds,
    };
    await this.handOver(context, secret, JSON.stringify(task));
    context.log('info', `Handed to the service at ${context.service.url}; waiting for its events`);
    context.setStatus('Waiting for the service');
    try {
      const outputs: PipelineOutput[] = [];
      for (;;) {
        if (context.signal.aborted) throw new CancelledError('Cancelled');
        const events = await this.events.eventsAfter(context.runId, cursor);
        for (const event of events) {
          cursor = event.id;
          const payload = event.payload as Record<string, any>;
          switch (event.kind) {
            case 'status':
              context.setStatus(payload.text);
              break;
            case 'progress':
              context.setStatus(`${payload.text ?? 'Working'} ${payload.i}/${payload.n}`);
              break;
            case 'log':
              for (const line of payload.lines as Array<{ level: 'info'; text: string }>) context.log(line.level, line.text);
              break;
            case 'output':
              context.log('info', `Received ${payload.name} (${payload.outputType}${payload.outputType === 'DataProduct' ? `, ${payload.productType}` : ''})`);
              outputs.push({ path: this.namedOutput(event.filePath!, payload.name), outputType: payload.outputType, dataProductType: payload.productType, ...(payload.tag ? { tag: payload.tag } : {}) });
              break;
            case 'done':
              context.log('info', `The service is done: ${outputs.length} output(s)`);
              return outputs;
            case 'failed':
              throw new AsyncError(`The service reported a failure: ${payload.message}`);
          }
        }
        if (!events.length) await this.nextWake(context.runId, context.signal);
      }
    } catch (error) {
      if (context.signal.aborted) {
        // Told at once, whatever the service does next; the run ends here without waiting for its answer.
        void this.cancelTask(context, secret, String(context.signal.reason));
        context.log('warning', `Told the service to stop the task (${context.signal.reason === 'timeout' ? 'time limit' : context.signal.reason === 'shutdown' ? 'worker stopping' : 'cancelled'})`);
      }
      throw error;
    }
  }

  /**
   * An output file as the runner stores it: under its returned name (the store keeps the name it is given), in a
   * folder of its own beside the others of the run.
   */
  private namedOutput(filePath: string, name: string): string {
    const dir = `${filePath}.d`;
    fs.mkdirSync(dir, { recursive: true });
    const named = `${dir}/${name}`;
    if (!fs.existsSync(named)) fs.linkSync(filePath, named);
    return named;
  }

  /** The run's kept output files, once it ended. */
  async cleanUp(runId: number): Promise<void> {
    await fs.promises.rm(remoteOutputsDir(this.config.dataDir, runId), { recursive: true, force: true });
  }

  private nextWake(runId: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.waiting.get(runId) === done) this.waiting.delete(runId);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      signal.addEventListener('abort', done);
      this.waiting.set(runId, done);
    });
  }

  /** POSTs the task; a service that cannot be reached (or answers 5xx) is tried again after 0.5, 1 and 2 s. */
  private async handOver(context: RemoteRunContext, secret: string, body: string): Promise<void> {
    const url = `${context.service.url}/tasks`;
    let problem = '';
    for (let attempt = 0; attempt <= HANDOVER_WAITS_MS.length; attempt++) {
      if (attempt > 0) {
        context.log('warning', `The service at ${context.service.url} did not take the task (${problem}); trying again in ${HANDOVER_WAITS_MS[attempt - 1] / 1000} s`);
        await sleep(HANDOVER_WAITS_MS[attempt - 1], context.signal);
      }
      if (context.signal.aborted) throw new CancelledError('Cancelled');
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signedHeaders(secret, body) },
          body,
          signal: AbortSignal.any([context.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        });
        const answer = (await response.text().catch(() => '')).slice(0, 300);
        if (response.ok) return;
        problem = `HTTP ${response.status}${answer ? `: ${answer}` : ''}`;
        // A refusal (4xx other than 429) will not change by asking again.
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        if (context.signal.aborted) throw new CancelledError('Cancelled');
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        problem = cause?.code ?? cause?.message ?? (error as Error).message;
      }
    }
    throw new AsyncError(`Could not hand the run to the service at ${context.service.url}: ${problem}`);
  }

  /** DELETE /tasks/<run id>, signed; a failure is only logged (the run has ended here either way). */
  private async cancelTask(context: RemoteRunContext, secret: string, reason: string): Promise<void> {
    try {
      const response = await fetch(`${context.service.url}/tasks/${context.runId}`, {
        method: 'DELETE',
        headers: signedHeaders(secret, ''),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (!response.ok && response.status !== 404) this.logger.warn(`Stopping the task of run ${context.runId} (${reason}): HTTP ${response.status}`);
    } catch (error) {
      this.logger.warn(`Stopping the task of run ${context.runId} (${reason}): ${(error as Error).message}`);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
