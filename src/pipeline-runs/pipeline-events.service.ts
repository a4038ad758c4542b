import { Emitter } from '@socket.io/redis-emitter';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Owned } from '../sharing/visibility';
import { PIPELINE_REDIS_URL, pubSubPrefix } from './pipeline.tokens';

export interface LogLineEvent {
  runId: number;
  seq: number;
  time: string;
  level: string;
  text: string;
}

export interface RunStateEvent {
  runId: number;
  targetId: number;
  state: string;
  status: string;
  failureMessage: string | null;
  /** Which start of the run this is (0 before the first), of maxAttempts at most. */
  attempt: number;
  maxAttempts: number;
  outputGroupId: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A workflow run's step changed (socket event 'run-step', to the run's room). */
export interface RunStepEvent {
  runId: number;
  position: number;
  pipeline: string;
  state: string;
  status: string;
  failureMessage: string | null;
  attempt: number;
  outputCount: number;
  pointCount: number;
  /** Where the step's lines begin in the run's log. */
  firstLogSeq: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A run's room: joined only after the sharing policy let the socket's user see the run. */
export const runRoom = (runId: number) => `run:${runId}`;
/**
 * A target page's room. Nothing is broadcast to it: a target's runs have different owners and sharing, so the web
 * process hands each run's state to each socket in it that may see that run (PipelineGateway).
 */
export const targetRoom = (targetId: number) => `target:${targetId}`;
/** An assignment's progress table: joined only by those who teach its class (AssignmentsGateway). */
export const assignmentRoom = (assignmentId: number) => `assignment:${assignmentId}`;

/** What the progress table hears: which student's row changed (it then reads the row again). */
export interface AssignmentProgressEvent {
  assignmentId: number;
  studentId: string | null;
  runId: number | null;
  state: string | null;
}

/** Server-side events (web processes only, never sent to a browser as they are), with the run's sharing facts. */
export const RUN_ACCESS_CHANGED = 'portal:run-access-changed';
export interface TargetRunStateEvent {
  state: RunStateEvent;
  owned: Owned;
}
/**
 * Runs' log batches and states, in the order they were stored, as one server-side event per turn of this process's
 * event loop: each web process hands each line batch to its sockets in the run's room ('log-lines'), and each state
 * to them ('run') and to the target pages' sockets whose users may see the run (PipelineGateway). One publish
 * carries what took one per room and one per target-page delivery before (a run's last lines and its end: one).
 */
export const RUN_EVENTS = 'portal:run-events';
export type RunEvent = { runId: number; lines: LogLineEvent[] } | TargetRunStateEvent;
export interface RunAccessChangedEvent {
  runId: number;
  owned: Owned;
}
/** A product's thumbnail was made (or could not be): for the target pages showing it as "preview pending". */
export const TARGET_PRODUCT_PREVIEW = 'portal:target-product-preview';
export interface ProductPreviewState {
  productId: number;
  targetId: number;
  state: 'made' | 'failed';
  /** Why there is no preview, when it failed. */
  reason: string | null;
}
export interface TargetProductPreviewEvent {
  preview: ProductPreviewState;
  owned: Owned;
}
/** Where the web process tells workers to stop a run. */
export const cancelChannel = (redisUrl: string) => `${pubSubPrefix(redisUrl)}:pipeline-cancel`;

/**
 * Sends run events to browsers from any process: the Socket.IO Redis emitter publishes, the web process's Redis
 * adapter delivers to the sockets in the room. Also carries cancel requests from the web process to the workers.
 * Live events are best effort: what they carry is stored first, and pages catch up from the database, so a
 * publish that fails (Redis away, or this process stopping) is logged, never thrown.
 */
@Injectable()
export class PipelineEventsService implements OnApplicationShutdown {
  private readonly logger = new Logger('PipelineEvents');
  private readonly redis: Redis;
  private readonly emitter: Emitter;
  private readonly cancelChannel: string;
  private closed = false;
  /** Failed publishes since the last one reported: reported once per failure spell, not once per log batch. */
  private failing = 0;
  /** Run events of this turn of the event loop, sent together (sendRunEvents). */
  private runEvents: RunEvent[] = [];

  constructor(@Inject(PIPELINE_REDIS_URL) redisUrl: string) {
    // Auto-pipelining: the publishes of one turn of the event loop (a run's last lines and its state, several runs'
    // events) leave in one write and their replies come back together: fewer system calls and round trips per run.
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 20, enableAutoPipelining: true });
    // The emitter starts its publishes without returning them: this one catches what each one rejects with.
    const publisher = { publish: (channel: string, message: string) => this.publish(channel, message) };
    this.emitter = new Emitter(publisher, { key: `${pubSubPrefix(redisUrl)}:socket.io` });
    this.cancelChannel = cancelChannel(redisUrl);
  }

  private publish(channel: string, message: string): Promise<unknown> {
    if (this.closed) {
      this.logger.debug('An event after the shutdown was dropped');
      return Promise.resolve(0);
    }
    return this.redis.publish(channel, message).then(
      (receivers) => {
        if (this.failing) this.logger.log(`Live events flow again (${this.failing} were lost; pages catch up from the database)`);
        this.failing = 0;
        return receivers;
      },
      (error: Error) => {
        if (!this.failing++) this.logger.warn(`A live event was not sent (${error.message}); pages catch up from the database`);
        return 0;
      },
    );
  }

  /**
   * One event per stored batch of a run's lines (in seq order), not one per line: at 100 lines/s per run and
   * tens of watchers, a frame per line per socket was most of the web process's work.
   */
  logLines(runId: number, lines: LogLineEvent[]) {
    if (lines.length) this.queueRunEvent({ runId, lines });
  }

  /**
   * A run's new state: to its room, and to the target pages' sockets whose users may see the run (a run's room has
   * only those; a target's room has every viewer of the target), by every web process (RUN_EVENTS).
   */
  runState(owned: Owned, state: RunStateEvent, assignmentId: number | null = null) {
    this.queueRunEvent({ state, owned });
    if (assignmentId !== null) this.assignmentProgress({ assignmentId, studentId: owned.ownerId, runId: state.runId, state: state.state });
  }

  private queueRunEvent(event: RunEvent) {
    if (!this.runEvents.length) setImmediate(() => this.sendRunEvents());
    this.runEvents.push(event);
  }

  private sendRunEvents() {
    if (!this.runEvents.length) return;
    const events = this.runEvents;
    this.runEvents = [];
    this.emitter.serverSideEmit(RUN_EVENTS, events);
  }

  /** A workflow run's step changed: to the run's room, whose sockets the sharing policy let see the run. */
  runStep(event: RunStepEvent) {
    this.emitter.to(runRoom(event.runId)).emit('run-step', event);
  }

  /** A student's row of an assignment's progress changed (a run of theirs, a hand-in, feedback). */
  assignmentProgress(event: AssignmentProgressEvent) {
    this.emitter.to(assignmentRoom(event.assignmentId)).emit('assignment-progress', event);
  }

  /** A run's sharing changed: each web process sends the sockets that may no longer see it out of its room. */
  accessChanged(runId: number, owned: Owned) {
    this.emitter.serverSideEmit(RUN_ACCESS_CHANGED, { runId, owned } satisfies RunAccessChangedEvent);
  }

  /**
   * A product's preview settled (the previews worker, in any process): each web process passes it to the target
   * pages' sockets whose users may see the product, as the `product-preview` event (PipelineGateway).
   */
  productPreview(owned: Owned, preview: ProductPreviewState) {
    this.emitter.serverSideEmit(TARGET_PRODUCT_PREVIEW, { preview, owned } satisfies TargetProductPreviewEvent);
  }

  async requestCancel(runId: number) {
    await this.redis.publish(this.cancelChannel, String(runId));
  }

  /** After every run in this process is settled (PipelineWorkerService stops them at onModuleDestroy). */
  async onApplicationShutdown() {
    this.sendRunEvents();
    this.closed = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
