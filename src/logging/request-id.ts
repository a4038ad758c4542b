import { randomUUID } from 'node:crypto';
import { NextFunction, Request, Response } from 'express';
import { Logger } from 'pino';
import pinoHttp from 'pino-http';
import { REQUEST_ID_HEADER, saneRequestId, serializeRequest, serializeResponse } from './log-format';

/** The id of this request: the caller's sane X-Request-Id, else a fresh UUID; set by `requestIdMiddleware`. */
export function requestIdOf(req: Request): string | undefined {
  const id = (req as unknown as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/** Gives every request an id (`req.id`) and echoes it in the X-Request-Id response header, logging on or off. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction) {
  const id = saneRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  (req as unknown as { id: string }).id = id;
  res.setHeader('X-Request-Id', id);
  next();
}

// Polled over and over (probes, the queue board refreshing itself): a successful poll is logged at debug only.
const POLLED = /^\/(healthz|readyz)(\?|$)|^\/admin\/queues\/api\//;

/** error for 500s, warn for other refusals, info for the rest, debug for a successful poll. */
export function requestLogLevel(method: string, url: string, status: number, error?: Error): 'error' | 'warn' | 'info' | 'debug' {
  if (error || status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return method === 'GET' && POLLED.test(url) ? 'debug' : 'info';
}

/**
 * pino-http: one line per finished request (method, URL with secrets redacted, status, time, request id),
 * at warn for 4xx-5xx answers we chose and error for 500s. Comes after `requestIdMiddleware`, whose id it reuses.
 */
export function requestLoggingMiddleware(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as unknown as { id?: string }).id ?? randomUUID(),
    // The per-request child logger would repeat the whole request on every line; `requestId` is enough.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    // originalUrl: a mounted router (the queue board) shortens req.url while it handles the request.
    // A handler whose refusal is expected (a readiness probe while the process stops) sets res.locals.logLevel.
    customLogLevel: (req, res, error) =>
      (res as unknown as { locals?: { logLevel?: 'warn' | 'info' } }).locals?.logLevel ??
      requestLogLevel(req.method ?? '', (req as unknown as Request).originalUrl ?? req.url ?? '', res.statusCode, error),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customProps: () => ({ context: 'http' }),
    // pino-http puts its own serializers over the logger's: give it ours again (method, URL and headers, secrets
    // redacted; no query object, which would repeat `?_csrf=`).
    serializers: { req: serializeRequest, res: serializeResponse },
    // A 500 with no error attached gets a made-up "failed with status code 500" error from pino-http; the real
    // one is logged by HttpExceptionFilter under the same request id, so leave the made-up stack out.
    customErrorObject: (_req, _res, error, value) => (/^failed with status code \d+$/.test(error.message) ? { ...value, err: undefined } : value),
  });
}
