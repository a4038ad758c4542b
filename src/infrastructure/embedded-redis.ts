import type { Server, Socket } from 'node:net';
import { createRedisServer } from 'js-redis-server';

export interface EmbeddedRedis {
  url: string;
  close(): Promise<void>;
}

/**
 * An in-process Redis-protocol server (js-redis-server, Lua via WebAssembly): Bull runs on it unchanged.
 * `onConnection` sees each accepted socket (the spec checks the socket options below).
 */
export async function startEmbeddedRedis(options: { onConnection?: (socket: Socket) => void } = {}): Promise<EmbeddedRedis> {
  const handle = await createRedisServer({ port: 0 });
  // Closing waits for clients to hang up; a Bull client still blocked in BLMOVE never does, so track and cut them.
  const netServer = (handle.server as unknown as { server: Server }).server;
  const sockets = new Set<Socket>();
  netServer.on('connection', (socket: Socket) => {
    // js-redis-server leaves Nagle's algorithm on. A reply written in more than one piece then waits for the
    // client's delayed ACK (40 ms on Linux): with two Bull consumers in one process every job paid it several
    // times (5 runs/s instead of 56). Redis itself sets TCP_NODELAY on every client.
    socket.setNoDelay(true);
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
