import { Emitter } from '@socket.io/redis-emitter';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { pubSubPrefix } from '../pipeline-runs/pipeline.tokens';
import { sessionRoom, userRoom } from './live-rooms';

/** The Redis the web processes' Socket.IO adapters listen on; null where none can be reached (see LiveModule). */
export const LIVE_REDIS_URL = Symbol('LIVE_REDIS_URL');

/** How long a request waits for Redis to take the message; the change itself is already stored by then. */
const PUBLISH_DEADLINE_MS = 3000;

/**
 * The one place that ends users' live connections. A Socket.IO socket keeps the rooms it joined (a run's log
 * lines, a target's run states) until it reconnects, and only connecting and joining check the session and the
 * sharing policy. So when a user's sessions end or what they may see narrows (deactivation, a password reset or
 * change, a new role, leaving a class), their sockets are disconnected in every web process through the Redis
 * adapter (each socket is in its user's and its session's room, PipelineGateway). The pages connect again and
 * re-join: without a session they are refused, and each join is checked against the user as they are now.
 * Call it after the change is committed, or a quick reconnect could still see the old state.
 */
@Injectable()
export class LiveConnectionsService implements OnApplicationShutdown {
  private readonly logger = new Logger('LiveConnections');
  private client?: { redis: Redis; emitter: Emitter };
  /** The publish the emitter started last (it starts them without returning them). */
  private lastPublish: Promise<unknown> = Promise.resolve();

  constructor(@Inject(LIVE_REDIS_URL) private readonly redisUrl: string | null) {}

  /** Disconnects every socket of these users, except those of `exceptSessionId` (the session making the change). */
  async endForUsers(userIds: Iterable<string>, options: { exceptSessionId?: string } = {}): Promise<void> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return;
    await this.publish(`${ids.length} user(s)`, (emitter) => {
      const everyone = emitter.in(ids.map(userRoom));
      (options.exceptSessionId ? everyone.except(sessionRoom(options.exceptSessionId)) : everyone).disconnectSockets(true);
    });
  }

  /** Disconnects the sockets of one session, e.g. when it logs out (other sessions of the same user stay). */
  async endForSession(sessionId: string): Promise<void> {
    await this.publish('a session', (emitter) => emitter.in(sessionRoom(sessionId)).disconnectSockets(true));
  }

  /**
   * Sends events to every socket of their users, in every web process (notifications, src/notifications/). Best
   * effort as the rest: what they tell is stored first, and a failed publish is logged, never thrown.
   */
  async sendToUsers(messages: Array<{ userId: string; event: string; payload: unknown }>): Promise<void> {
    if (messages.length === 0) return;
    await this.publish(
      `${new Set(messages.map((message) => message.userId)).size} user(s)`,
      (emitter) => {
        for (const { userId, event, payload } of messages) emitter.to(userRoom(userId)).emit(event, payload);
      },
      'Could not send live events to',
    );
  }

  private async publish(whose: string, send: (emitter: Emitter) => void, failure = 'Could not end the live connections of'): Promise<void> {
    // A CLI on the embedded default: the embedded Redis lives in the web process, which cannot run beside it.
    if (!this.redisUrl) return;
    send(this.connect().emitter);
    const sent = this.lastPublish;
    sent.catch(() => undefined); // a late failure is reported below, once
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${PUBLISH_DEADLINE_MS} ms`)), PUBLISH_DEADLINE_MS);
    });
    try {
      await Promise.race([sent, deadline]);
    } catch (error) {
      // The change stands; the sockets keep their rooms until they reconnect, and every join checks afresh.
      this.logger.warn(`${failure} ${whose}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connected on first use: most requests never end anyone's connections, and CLI commands rarely do. */
  private connect(): { redis: Redis; emitter: Emitter } {
    if (this.client) return this.client;
    const redis = new Redis(this.redisUrl!, { maxRetriesPerRequest: 2 });
    let down = false;
    redis.on('error', (error: Error) => {
      if (!down) this.logger.warn(`Redis connection lost (${error.message}); reconnecting`);
      down = true;
    });
    redis.on('ready', () => (down = false));
    const publisher = { publish: (channel: string, message: string) => (this.lastPublish = redis.publish(channel, message)) };
    this.client = { redis, emitter: new Emitter(publisher, { key: `${pubSubPrefix(this.redisUrl!)}:socket.io` }) };
    return this.client;
  }

  /** At the last step of shutdown, as the run events' emitter: a logout during the grace period still reaches Redis. */
  async onApplicationShutdown() {
    const redis = this.client?.redis;
    this.client = undefined;
    await redis?.quit().catch(() => redis.disconnect());
  }
}
