import Redis, { RedisOptions } from 'ioredis';

/**
 * Bull's client factory. Bull still calls BRPOPLPUSH, which Redis deprecated and the embedded server does not
 * implement; BLMOVE ... RIGHT LEFT is the same operation, so every client gets that one-line shim.
 */
export function createBullRedisClient(redisUrl: string, type: 'client' | 'subscriber' | 'bclient'): Redis {
  const options: RedisOptions =
    type === 'client' ? { maxRetriesPerRequest: 20 } : { maxRetriesPerRequest: null, enableReadyCheck: false };
  const client = new Redis(redisUrl, options);
  (client as any).brpoplpush = (source: string, destination: string, timeout: number) =>
    client.blmove(source, destination, 'RIGHT', 'LEFT', timeout);
  return client;
}
