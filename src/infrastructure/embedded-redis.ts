import type { Server, Socket } from 'node:net';
import { createRedisServer } from 'js-redis-server';

export interface EmbeddedRedis {
  url: string;
  close(): Promise<void>;
}

/** An in-process Redis-protocol server (js-redis-server, Lua via WebAssembly): Bull runs on it unchanged. */
export async function startEmbeddedRedis(): Promise<EmbeddedRedis> {
  const handle = await createRedisServer({ port: 0 });
  // Closing waits for clients to hang up; a Bull client still blocked in BLMOVE never does, so track and cut them.
  const netServer = (handle.server as unknown as { server: Server }).server;
  const sockets = new Set<Socket>();
  netServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    url: `redis://127.0.0.1:${handle.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await handle.close();
    },
  };
}
