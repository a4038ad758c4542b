import { Emitter } from '@socket.io/redis-emitter';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
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
  outputGroupId: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export const runRoom = (runId: number) => `run:${runId}`;
export const targetRoom = (targetId: number) => `target:${targetId}`;
/** Where the web process tells workers to stop a run. */
export const cancelChannel = (redisUrl: string) => `${pubSubPrefix(redisUrl)}:pipeline-cancel`;

/**
 * Sends run events to browsers from any process: the Socket.IO Redis emitter publishes, the web process's Redis
 * adapter delivers to the sockets in the room. Also carries cancel requests from the web process to the workers.
 */
@Injectable()
export class PipelineEventsService implements OnModuleDestroy {
  private readonly redis: Redis;
  private readonly emitter: Emitter;
  private readonly cancelChannel: string;

  constructor(@Inject(PIPELINE_REDIS_URL) redisUrl: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 20 });
    this.emitter = new Emitter(this.redis, { key: `${pubSubPrefix(redisUrl)}:socket.io` });
    this.cancelChannel = cancelChannel(redisUrl);
  }

  /**
   * One event per stored batch of a run's lines (in seq order), not one per line: at 100 lines/s per run and
   * tens of watchers, a frame per line per socket was most of the web process's work.
   */
  logLines(runId: number, lines: LogLineEvent[]) {
    this.emitter.to(runRoom(runId)).emit('log-lines', lines);
  }

  runState(state: RunStateEvent) {
    this.emitter.to([runRoom(state.runId), targetRoom(state.targetId)]).emit('run', state);
  }

  async requestCancel(runId: number) {
    await this.redis.publish(this.cancelChannel, String(runId));
  }

  async onModuleDestroy() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
