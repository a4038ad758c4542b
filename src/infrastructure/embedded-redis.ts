import type { Server, Socket } from 'node:net';
import { createRedisServer } from 'js-redis-server';

export interface EmbeddedRedis {
  url: string;
  close(): Promise<void>;
}

/** The parts of js-redis-server's RESP2 server (0.3.x) that the fixes below reach into. */
interface Resp2Server {
  server: Server;
  adapters: Set<{ transport?: { socket?: Socket }; session?: { close(): void } }>;
}

/**
 * An in-process Redis-protocol server (js-redis-server, Lua via WebAssembly): Bull runs on it unchanged.
 * `onConnection` sees each accepted socket (the spec checks the socket options below).
 */
export async function startEmbeddedRedis(options: { onConnection?: (socket: Socket) => void } = {}): Promise<EmbeddedRedis> {
  const handle = await createRedisServer({ port: 0 });
  const resp2 = handle.server as unknown as Resp2Server;
  if (!(resp2.adapters instanceof Set) || typeof resp2.server?.on !== 'function') {
    await handle.close();
    throw new Error('js-redis-server changed: its connections are not where the portal expects them (see src/infrastructure/embedded-redis.ts)');
  }
  // Closing waits for clients to hang up; a Bull client still blocked in BLMOVE never does, so track and cut them.
  const sockets = new Set<Socket>();
  resp2.server.on('connection', (socket: Socket) => {
    // js-redis-server leaves Nagle's algorithm on. A reply written in more than one piece then waits for the
    // client's delayed ACK (40 ms on Linux): with two Bull consumers in one process every job paid it several
    // times (5 runs/s instead of 56). Redis itself sets TCP_NODELAY on every client.
    socket.setNoDelay(true);
    // The server ends a connection's session only after its current command returns, so a BLMOVE from a client
    // that is gone (a worker killed, Bull's pause cutting its blocked connection) stayed parked and took the next
    // job pushed, which then sat in the active list of nobody until the stalled-job check. Redis drops the
    // command with its client; so does this. (The server registers its session before this listener runs.)
    const adapter = [...resp2.adapters].find((candidate) => candidate.transport?.socket === socket);
    socket.once('close', () => adapter?.session?.close());
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    options.onConnection?.(socket);
  });
  return {
    url: `redis://127.0.0.1:${handle.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await handle.close();
    },
  };
}
