import { Emitter } from '@socket.io/redis-emitter';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { PIPELINE_REDIS_URL } from './pipeline.tokens';

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
export const CANCEL_CHANNEL = 'portal:pipeline-cancel';

/**
 * Sends run events to browsers from any process: the Socket.IO Redis emitter publishes, the web process's Redis
 * adapter delivers to the sockets in the room. Also carries cancel requests from the web process to the workers.
 */
@Injectable()
export class PipelineEventsService implements OnModuleDestroy {
  private readonly redis: Redis;
  private readonly emitter: Emitter;

  constructor(@Inject(PIPELINE_REDIS_URL) redisUrl: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 20 });
    this.emitter = new Emitter(this.redis);
  }

  logLine(line: LogLineEvent) {
    this.emitter.to(runRoom(line.runId)).emit('log', line);
  }

  runState(state: RunStateEvent) {
    this.emitter.to([runRoom(state.runId), targetRoom(state.targetId)]).emit('run', state);
  }

  async requestCancel(runId: number) {
    await this.redis.publish(CANCEL_CHANNEL, String(runId));
  }

  async onModuleDestroy() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
