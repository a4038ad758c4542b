import type { Socket } from 'node:net';
import Bull from 'bull';
import { BullRedisClients } from '../queue/redis-client';
import { EmbeddedRedis, startEmbeddedRedis } from './embedded-redis';

/** Node keeps a socket's TCP_NODELAY choice under this symbol (there is no public getter). */
const noDelayOf = (socket: Socket): boolean => {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  if (!symbol) throw new Error('this Node keeps no kSetNoDelay on sockets: the check needs another way');
  return (socket as unknown as Record<symbol, boolean>)[symbol];
};

describe('the embedded Redis-protocol server', () => {
  let redis: EmbeddedRedis;
  const accepted: Socket[] = [];
  const clients = new BullRedisClients();

  beforeAll(async () => {
    redis = await startEmbeddedRedis({ onConnection: (socket) => accepted.push(socket) });
  });
  afterAll(async () => {
    await clients.closeAll();
    await redis.close();
  });

  it('turns Nagle off on every connection it accepts (replies must not wait for the client’s delayed ACK)', async () => {
    const client = clients.create(redis.url, 'client');
    await expect(client.ping()).resolves.toBe('PONG');
    expect(accepted.length).toBeGreaterThan(0);
    for (const socket of accepted) expect(noDelayOf(socket)).toBe(true);
  });

  it('drops a blocked BLMOVE with its client: a client that is gone takes no item pushed after it left', async () => {
    const gone = clients.create(redis.url, 'bclient');
    await gone.ping();
    const blocked = gone.blmove('jobs:wait', 'jobs:active', 'RIGHT', 'LEFT', 0).catch((error: Error) => error.message);
    await eventuallyParked();
    gone.disconnect();
    await expect(blocked).resolves.toBe('Connection is closed.');
    const client = clients.create(redis.url, 'client');
    await client.lpush('jobs:wait', 'job-1');
    // A live client's read proves the server has handled the push (and any waiter it woke) before it answers.
    await expect(client.lrange('jobs:wait', 0, -1)).resolves.toEqual(['job-1']);
    await expect(client.lrange('jobs:active', 0, -1)).resolves.toEqual([]);

    async function eventuallyParked() {
      // The BLMOVE is parked once the server has read it: a PING sent after it on another connection is answered later.
      const probe = clients.create(redis.url, 'client');
      await probe.ping();
    }
  });

  it('runs two Bull jobs of one consumer at the same time, and both finish', async () => {
    const queue = new Bull('two-at-once', { createClient: (type) => clients.create(redis.url, type) });
    let running = 0;
    let mostAtOnce = 0;
    let releaseBoth!: () => void;
    const bothStarted = new Promise<void>((resolve) => (releaseBoth = resolve));
    void queue.process(2, async (job) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      if (running === 2) releaseBoth();
      await bothStarted; // each job holds its slot until the other one has started too
      running--;
      return job.data.n * 2;
    });
    const jobs = await Promise.all([queue.add({ n: 1 }), queue.add({ n: 2 })]);
    await expect(Promise.all(jobs.map((job) => job.finished()))).resolves.toEqual([2, 4]);
    expect(mostAtOnce).toBe(2);
    await queue.close();
  });
});
