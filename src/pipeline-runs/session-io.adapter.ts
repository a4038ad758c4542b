import type { IncomingMessage } from 'node:http';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { RequestHandler } from 'express';
import Redis from 'ioredis';
import { Server, ServerOptions } from 'socket.io';
import { originAllowed } from '../common/origin-check';
import { pubSubPrefix } from './pipeline.tokens';

/**
 * Socket.IO with the pages' own login: the session and Passport middlewares run on the handshake, so
 * `socket.request.user` is the logged-in user. The Redis adapter delivers what workers emit from other processes.
 */
export class SessionIoAdapter extends IoAdapter {
  private readonly redisClients: Redis[] = [];
  private readonly logger = new Logger('SocketIO');

  constructor(
    app: INestApplicationContext,
    private readonly redisUrl: string,
    private readonly middlewares: RequestHandler[],
    /** ALLOWED_ORIGINS; empty: only the request's own host. */
    private readonly allowedOrigins: readonly string[] = [],
    /**
     * Several web processes share the port (WEB_PROCESSES): a long-polling session's requests could reach different
     * processes, which do not know each other's sessions, so only WebSockets (one connection, one process) are served.
     */
    private readonly websocketOnly = false,
  ) {
    super(app);
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      serveClient: true,
      ...(this.websocketOnly ? { transports: ['websocket' as const] } : {}),
      // The handshake carries the session cookie, and a WebSocket is not bound by CORS: a page of another site
      // could otherwise open a socket as the logged-in user (cross-site WebSocket hijacking). Engine.IO asks this
      // for handshakes only, before the session is read. A request without an Origin is not from a browser page.
      allowRequest: (req: IncomingMessage, callback: (error: string | null, success: boolean) => void) => {
        const origin = req.headers.origin;
        const allowed = origin === undefined || originAllowed(origin, req.headers.host, this.allowedOrigins);
        callback(allowed ? null : 'This page may not connect to the portal (its origin is not allowed).', allowed);
      },
    });
    const pub = new Redis(this.redisUrl, { maxRetriesPerRequest: 20 });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) {
      // ioredis reconnects (and resubscribes) by itself; say so once per outage instead of a warning per retry.
      let down = false;
      client.on('error', (error: Error) => {
        if (!down) this.logger.warn(`Socket.IO Redis connection lost (${error.message}); reconnecting`);
        down = true;
      });
      client.on('ready', () => {
        if (down) this.logger.log('Socket.IO Redis connection back');
        down = false;
      });
    }
    this.redisClients.push(pub, sub);
    server.adapter(createAdapter(pub, sub, { key: `${pubSubPrefix(this.redisUrl)}:socket.io` }));
    for (const middleware of this.middlewares) {
      // Only the handshake carries the cookie that matters; later polling requests reuse the socket's user.
      server.engine.use((req: any, res: any, next: (error?: unknown) => void) =>
        req._query?.sid === undefined ? middleware(req, res, next) : next(),
      );
    }
    return server;
  }

  async close(server: Server): Promise<void> {
    await super.close(server);
    // QUIT lets the adapter's last UNSUBSCRIBE finish instead of failing on a cut connection.
    await Promise.all(this.redisClients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
  }
}
