import Redis, { RedisOptions } from 'ioredis';

/**
 * The Redis connections Bull opened through our factory. Bull leaves connections it did not create itself open
 * when a queue closes, so whoever supplies them must close them (see QueueShutdown).
 */
export class BullRedisClients {
  private readonly clients = new Set<Redis>();

  /**
   * Bull's client factory. Bull still calls BRPOPLPUSH, which Redis deprecated and the embedded server does not
   * implement; BLMOVE ... RIGHT LEFT is the same operation, so every client gets that one-line shim.
   */
  create(redisUrl: string, type: 'client' | 'subscriber' | 'bclient'): Redis {
    // A blocking client's hang-up: Bull's local pause ends a blocked BLMOVE by disconnecting. The built-in
    // embedded server reads a connection's next bytes (and so its FIN) only after the blocked command returns, so
    // ioredis waited its full 2 s disconnectTimeout before closing the socket itself; every stop paid it.
    const options: RedisOptions =
      type === 'client' ? { maxRetriesPerRequest: 20 } : { maxRetriesPerRequest: null, enableReadyCheck: false, disconnectTimeout: 100 };
    const client = new Redis(redisUrl, options);
    (client as any).brpoplpush = (source: string, destination: string, timeout: number) =>
      client.blmove(source, destination, 'RIGHT', 'LEFT', timeout);
    // Kept even after 'end': Bull reconnects a blocking client it disconnected while pausing.
    this.clients.add(client);
    return client;
  }

  /** Hangs up every connection; a blocked one (BLMOVE) cannot QUIT, so it is cut. */
  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.clients].map(async (client) => {
        try {
          await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
        } catch {
          // already closing
        }
        client.disconnect();
      }),
    );
    this.clients.clear();
  }
}
