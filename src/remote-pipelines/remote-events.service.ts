import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import busboy from 'busboy';
import Redis from 'ioredis';
import { Repository } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { checkText } from '../common/text';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';
import { RemoteServiceSpec } from '../pipeline-registry/pipeline-config.loader';
import { PIPELINE_REDIS_URL, pubSubPrefix } from '../pipeline-runs/pipeline.tokens';
import { PipelineRun } from '../pipeline-runs/pipeline-run.entity';
import { REMOTE_EVENT_KINDS, RemoteEventKind, RemoteTaskEvent } from './remote-task-event.entity';
import { SIGNATURE_HEADER, signaturesMatch, signer, TIMESTAMP_HEADER, timestampProblem } from './remote-signing';

/** The channel a web process wakes a run's worker on when it accepted an event for it. */
export const remoteEventsChannel = (redisUrl: string) => `${pubSubPrefix(redisUrl)}:remote-events`;

/** Where accepted output files wait for their run's end, under DATA_DIR. */
export const remoteOutputsDir = (dataDir: string, runId: number) => path.join(dataDir, 'remote-outputs', String(runId));

/** The largest event that is not a file. */
const MAX_JSON_EVENT_BYTES = 1024 * 1024;
const EVENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const LOG_LEVELS = ['debug', 'info', 'warning', 'error'];
const MAX_LOG_LINES_PER_EVENT = 1000;

/** What a request to the events route carries, as the controller hands it over. */
export interface EventRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** A run as the events route checks it: its state, and its pipeline's service (null: not a remote run). */
export interface EventRun {
  run: Pick<PipelineRun, 'id' | 'state'>;
  service: RemoteServiceSpec | null;
  pipelineName: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const header = (headers: EventRequest['headers'], name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** A glob of file names (`*` and `?`) as a regular expression. */
function globMatches(glob: string, name: string): boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`, 'i').test(name);
}

/**
 * Events from processing services about remote runs (table remote_task_events, written only here). Each one is
 * checked before anything is kept: the signature over its timestamp and raw body, the timestamp within five
 * minutes, its run open, its event id new, its fields, an output's name and size, and the run's rate. An accepted
 * event is stored, its file (an output) kept under DATA_DIR, and the run's worker woken; the worker reads the
 * events in order (eventsAfter).
 */
@Injectable()
export class RemoteEventsService implements OnApplicationShutdown {
  private readonly logger = new Logger('RemoteEvents');
  private publisher?: Redis;
  /** Per run: the second being counted and the events accepted in it. */
  private readonly rates = new Map<number, { second: number; count: number }>();

  constructor(
    @InjectRepository(RemoteTaskEvent) private readonly events: Repository<RemoteTaskEvent>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PIPELINE_REDIS_URL) private readonly redisUrl: string,
  ) {}

  onApplicationShutdown() {
    this.publisher?.disconnect();
  }

  /** What the events route checks of a run: its state and pipeline (null when there is no such run). */
  async findRun(id: number): Promise<Pick<PipelineRun, 'id' | 'state' | 'pipelineKey'> | null> {
    const [row] = await this.events.manager.query('SELECT id, state, pipeline_key AS "pipelineKey" FROM pipeline_runs WHERE id = $1', [id]);
    return row ?? null;
  }

  /** The run's events after event `afterId`, in the order they were accepted. */
  eventsAfter(runId: number, afterId: number): Promise<RemoteTaskEvent[]> {
    return this.events.createQueryBuilder('e').where('e.run_id = :runId AND e.id > :afterId', { runId, afterId }).orderBy('e.id').limit(500).getMany();
  }

  /**
   * Checks and keeps one event (see the class). `target`: the run and its pipeline's service, or null when there
   * is no such run. Answers with the stored event; refusals are HTTP errors with a message, and leave nothing.
   */
  async receive(target: EventRun | null, request: EventRequest): Promise<RemoteTaskEvent> {
    if (!target) throw new NotFoundException('There is no such run');
    if (!target.service) throw new NotFoundException(`Run ${target.run.id} is not a remote run`);
    const secret = process.env[target.service.secretEnv];
    if (!secret) throw new ServiceUnavailableException(`${target.pipelineName} is not set up here: ${target.service.secretEnv} is not set`);
    const timestamp = header(request.headers, TIMESTAMP_HEADER);
    const presented = header(request.headers, SIGNATURE_HEADER);
    const skew = timestampProblem(timestamp);
    if (skew) throw new UnauthorizedException(skew);
    if (!presented) throw new UnauthorizedException(`The event is not signed: ${SIGNATURE_HEADER} is missing`);
    const contentType = String(header(request.headers, 'content-type') ?? '');
    const multipart = /^multipart\/form-data/i.test(contentType);
    if (!multipart && !/^application\/json/i.test(contentType)) throw new BadRequestException('Send an event as application/json, or an output as multipart/form-data');

    // The raw body goes to a temp file while its signature is computed: nothing of it is read before it is checked.
    const tmpDir = path.join(this.config.dataDir, 'tmp');
    await fs.promises.mkdir(tmpDir, { recursive: true });
    const raw = path.join(tmpDir, `remote-event-${randomBytes(8).toString('hex')}`);
    let kept: string | null = null;
    try {
      const limit = multipart ? this.config.uploadMaxBytes + 64 * 1024 : MAX_JSON_EVENT_BYTES;
      const hmac = signer(secret, timestamp!);
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > limit) return done(new PayloadTooLargeException(multipart ? `The output is over the upload limit of ${limitText(limit)}` : 'An event is at most 1 MiB'));
          hmac.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(request.body, counter, fs.createWriteStream(raw));
      if (!signaturesMatch(hmac.signature(), presented)) throw new UnauthorizedException('The signature does not match the body: check the shared secret');
      this.checkRate(target.run.id);
      if (target.run.state === 'cancelled') throw new ConflictException(`Run ${target.run.id} was cancelled: it takes no more events`);
      if (target.run.state !== 'running') throw new ConflictException(`Run ${target.run.id} has ended (${target.run.state}): it takes no more events`);

      let event: Record<string, unknown>;
      if (multipart) {
        const parsed = await this.readMultipart(raw, contentType, target);
        event = parsed.event;
        kept = parsed.file;
      } else {
        event = parseJson(await fs.promises.readFile(raw, 'utf8'));
      }
      const checked = checkEvent(event, Boolean(kept), target.service);
      const stored = await this.events
        .createQueryBuilder()
        .insert()
        .values({ runId: target.run.id, eventId: checked.id, kind: checked.kind, payload: checked.payload as object, filePath: kept })
        .orIgnore()
        .returning('*')
        .execute();
      if (!stored.raw.length) throw new ConflictException(`Event ${checked.id} was already received for run ${target.run.id}`);
      kept = null;
      await this.wake(target.run.id);
      return this.events.create({ id: stored.raw[0].id, runId: target.run.id, eventId: checked.id, kind: checked.kind });
    } finally {
      await fs.promises.rm(raw, { force: true });
      if (kept) await fs.promises.rm(kept, { force: true });
    }
  }

  /** Refuses a run's events beyond the configured rate (per web process). */
  private checkRate(runId: number) {
    const second = Math.floor(Date.now() / 1000);
    const rate = this.rates.get(runId);
    if (!rate || rate.second !== second) {
      this.rates.set(runId, { second, count: 1 });
      if (this.rates.size > 10_000) for (const [key, value] of this.rates) if (value.second < second) this.rates.delete(key);
      return;
    }
    if (++rate.count > this.config.remoteEventsPerSecond) {
      throw new HttpException({ statusCode: 429, message: `More than ${this.config.remoteEventsPerSecond} events a second for run ${runId}: slow down and send it again` }, HttpStatus.TOO_MANY_REQUESTS);
    }
  }

  /** An output event: its `event` field (JSON) and its `file`, kept under DATA_DIR/remote-outputs/<run>/. */
  private async readMultipart(raw: string, contentType: string, target: EventRun): Promise<{ event: Record<string, unknown>; file: string | null }> {
    const dir = remoteOutputsDir(this.config.dataDir, target.run.id);
    await fs.promises.mkdir(dir, { recursive: true });
    let eventText: string | null = null;
    let file: string | null = null;
    let fileName = '';
    const writes: Array<Promise<void>> = [];
    await new Promise<void>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fields: 5, fieldSize: MAX_JSON_EVENT_BYTES }, defParamCharset: 'utf8' });
      } catch (error) {
        return reject(new BadRequestException(`The multipart body cannot be read: ${(error as Error).message}`));
      }
      parser.on('field', (name, value) => {
        if (name === 'event') eventText = value;
      });
      parser.on('file', (name, stream, info) => {
        if (name !== 'file' || file) {
          stream.resume();
          return;
        }
        fileName = info.filename ?? '';
        file = path.join(dir, randomUUID());
        writes.push(pipeline(stream, fs.createWriteStream(file)));
      });
      parser.on('error', (error) => reject(new BadRequestException(`The multipart body cannot be read: ${(error as Error).message}`)));
      parser.on('close', () => resolve());
      fs.createReadStream(raw).pipe(parser);
    });
    await Promise.all(writes);
    if (eventText === null) {
      if (file) await fs.promises.rm(file, { force: true });
      throw new BadRequestException('An output needs its event as the multipart field "event" (JSON)');
    }
    const event = parseJson(eventText);
    if (file && event.name === undefined) event.name = fileName;
    return { event, file };
  }

  private async wake(runId: number) {
    this.publisher ??= new Redis(this.redisUrl, { maxRetriesPerRequest: 2 });
    // Best effort: the worker also looks for new events every second.
    await this.publisher.publish(remoteEventsChannel(this.redisUrl), String(runId)).catch((error) => this.logger.warn(`Waking the worker of run ${runId}: ${error.message}`));
  }
}

/** A control character (C0 or DEL) anywhere in the text. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f);
}

function limitText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${bytes} bytes`;
}

function parseJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestException('The event is not JSON');
  }
  if (!isRecord(value)) throw new BadRequestException('An event is a JSON object: {"id": "...", "kind": "...", ...}');
  return value;
}

/**
 * An event's fields as kept, or a 400 naming the problem. `hasFile`: the request carried a file (outputs only);
 * `service`: the outputs the pipeline's entry takes.
 */
export function checkEvent(event: Record<string, unknown>, hasFile: boolean, service: RemoteServiceSpec): { id: string; kind: RemoteEventKind; payload: Record<string, unknown> } {
  const id = event.id;
  if (typeof id !== 'string' || !EVENT_ID.test(id)) throw new BadRequestException('Each event needs an "id" of 1 to 100 letters, digits, ".", "_", ":" or "-"');
  const kind = event.kind as RemoteEventKind;
  if (!REMOTE_EVENT_KINDS.includes(kind)) throw new BadRequestException(`"kind" must be one of ${REMOTE_EVENT_KINDS.join(', ')}`);
  if (kind !== 'output' && hasFile) throw new BadRequestException('Only an output event carries a file');
  const text = (value: unknown, field: string, max = 500) => {
    if (typeof value !== 'string') throw new BadRequestException(`"${field}" must be text`);
    const cleaned = checkText(value.slice(0, max * 4), 'notificationBody');
    if (cleaned.error !== undefined) throw new BadRequestException(`"${field}": ${cleaned.error}`);
    return cleaned.value.slice(0, max);
  };
  switch (kind) {
    case 'status':
      return { id, kind, payload: { text: text(event.text, 'text') } };
    case 'progress': {
      const i = event.i;
      const n = event.n;
      if (!Number.isInteger(i) || !Number.isInteger(n) || (n as number) < 1 || (i as number) < 0 || (i as number) > (n as number) || (n as number) > 1e9) {
        throw new BadRequestException('A progress event has whole numbers "i" and "n" with 0 ≤ i ≤ n and n ≥ 1');
      }
      return { id, kind, payload: { i, n, ...(event.text !== undefined ? { text: text(event.text, 'text', 200) } : {}) } };
    }
    case 'log': {
      const lines = Array.isArray(event.lines) ? event.lines : [{ level: event.level, text: event.text }];
      if (!lines.length || lines.length > MAX_LOG_LINES_PER_EVENT) throw new BadRequestException(`A log event has 1 to ${MAX_LOG_LINES_PER_EVENT} lines`);
      return {
        id,
        kind,
        payload: {
          lines: lines.map((line: unknown, index: number) => {
            if (!isRecord(line)) throw new BadRequestException(`lines[${index}] must be {"level": "info", "text": "..."}`);
            const level = line.level ?? 'info';
            if (typeof level !== 'string' || !LOG_LEVELS.includes(level)) throw new BadRequestException(`lines[${index}].level must be one of ${LOG_LEVELS.join(', ')}`);
            if (typeof line.text !== 'string') throw new BadRequestException(`lines[${index}].text must be text`);
            // Log lines keep their text as sent (the log page shows it as text); only length is bounded.
            return { level, text: line.text.slice(0, 10_000) };
          }),
        },
      };
    }
    case 'output': {
      if (!hasFile) throw new BadRequestException('An output event carries its file as the multipart part "file"');
      const name = event.name;
      if (typeof name !== 'string' || !name || name.length > 200 || /[\\/]/.test(name) || name.startsWith('.') || hasControlCharacter(name) || name.includes('..')) {
        throw new BadRequestException('An output\'s name must be a plain file name (no folders, no "..", not hidden), at most 200 characters');
      }
      const outputType = event.outputType ?? 'DataProduct';
      if (outputType !== 'DataProduct' && outputType !== 'ReducedDatum') throw new BadRequestException('"outputType" must be "DataProduct" or "ReducedDatum"');
      const productType = event.productType ?? 'other';
      if (typeof productType !== 'string' || !PRODUCT_TYPES.includes(productType as never)) throw new BadRequestException(`"productType" must be one of ${PRODUCT_TYPES.join(', ')}`);
      let tag: string | undefined;
      if (service.outputs.length) {
        const rule = service.outputs.find((output) => globMatches(output.glob, name));
        if (!rule) throw new BadRequestException(`${name} is not an output this pipeline takes (${service.outputs.map((output) => output.glob).join(', ')})`);
        if (rule.outputType !== outputType) throw new BadRequestException(`${name} is taken as ${rule.outputType}, not ${outputType}`);
        tag = rule.tag;
      }
      return { id, kind, payload: { name, outputType, productType, ...(tag ? { tag } : {}) } };
    }
    case 'done':
      return { id, kind, payload: {} };
    case 'failed':
      return { id, kind, payload: { message: text(event.message, 'message', 2000) } };
  }
}
