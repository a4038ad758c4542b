import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { requestIdOf } from '../logging/request-id';
import { JSON_MAX_DEPTH } from './request-parsing';

/** The message a user sees for an exception: Nest's own text, or the first validation message. */
export function userMessage(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: string | string[] }).message;
  if (Array.isArray(message)) return message.join('; ');
  return message ?? exception.message;
}

export const DATABASE_UNAVAILABLE = 'The database is unavailable, try again shortly';

/** The 400 when bad input got past every door to the database (see badValueSqlState); tests look for it. */
export const VALUE_REFUSED_BY_DATABASE = 'The request holds a value that cannot be stored or searched for (too long, out of range or unreadable); nothing was done.';

// SQLSTATE classes and codes that mean "the server is not there or not taking work", not "your query is wrong":
// 08 connection exception, 57P01-57P03 shutting down / cannot connect now, 53300 too many connections.
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// node-postgres reports a dropped or refused connection with plain messages and no code.
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|the database system is (starting up|shutting down)/i;

/**
 * True when an error means the database cannot be reached (dropped, refused, restarting), as opposed to a bug
 * or a bad query: those get a 503 that tells the user to try again, and the pool reconnects by itself.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    // TypeORM wraps the driver's error (QueryFailedError.driverError); errors may also carry a cause.
    const wrapped = current as { driverError?: unknown; cause?: unknown };
    current = wrapped.driverError ?? wrapped.cause;
  }
  return false;
}

/**
 * Errors the body parsers raise before any controller runs (http-errors with `expose` and a 4xx status): a form
 * with too many fields, a body over the size limit, unreadable JSON. Returns the status and a message, or null.
 */
export function bodyParserRefusal(error: unknown): { status: number; message: string } | null {
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number' || expose !== true || status < 400 || status >= 500) return null;
  switch (type) {
    case 'parameters.too.many':
      return { status: HttpStatus.BAD_REQUEST, message: 'The form has too many fields; nothing was done.' };
    case 'entity.too.large':
      return { status: HttpStatus.PAYLOAD_TOO_LARGE, message: 'The request is too large; nothing was done.' };
    case 'entity.parse.failed':
      return { status: HttpStatus.BAD_REQUEST, message: 'The request body could not be read (malformed JSON or form data).' };
    case 'entity.too.deep':
      return { status: HttpStatus.BAD_REQUEST, message: `The JSON body is nested more than ${JSON_MAX_DEPTH} levels deep; nothing was done.` };
    case 'querystring.parse.rangeError':
      return { status: HttpStatus.BAD_REQUEST, message: 'The form is nested too deeply; nothing was done.' };
    default:
      return { status, message: 'The request could not be read.' };
  }
}

// SQLSTATEs of values the database cannot take: 22001 too long, 22003 numeric value out of range, 22007/22008
// unreadable or overflowing date/time, 22021 invalid byte (NUL), 22P02 invalid text representation, 22P05 untranslatable.
const BAD_VALUE_SQLSTATES = new Set(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05']);

/**
 * The SQLSTATE when an error is the database refusing a value, else null. Bad input must be refused at the door
 * (src/common/request-parsing.ts); this is the last line of defence, so a missed door is a 400 and a log line.
 */
export function badValueSqlState(error: unknown): string | null {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && BAD_VALUE_SQLSTATES.has(code)) return code;
    const wrapped = current as { driverError?: unknown; cause?: unknown };
    current = wrapped.driverError ?? wrapped.cause;
  }
  return null;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The error page without the view engine: status, message, reference, nothing else. */
export function plainErrorPage(status: number, message: string, reference?: string): string {
  const quote = reference ? `<p>Reference: ${escapeHtml(reference)}</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${status}</title></head><body><h1>Error ${status}</h1><p>${escapeHtml(message)}</p>${quote}<p><a href="/">Back to the portal</a></p></body></html>`;
}

export function wantsHtml(req: Request): boolean {
  // originalUrl: inside a middleware (the CSRF check) req.path is relative to where the middleware is mounted.
  return !/^\/api(\/|\?|$)/.test(req.originalUrl ?? req.url) && req.accepts(['html', 'json']) === 'html';
}

/**
 * Every error ends here: browsers get the error page (or the login page when not logged in), API clients get
 * JSON. Unexpected errors are logged with their stack and shown as a short message, never as a trace.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost) {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const requestId = requestIdOf(req);

    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'Something went wrong on our side. The error has been logged; please try again.';
    let details: unknown;
    let errors: unknown;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      message = userMessage(exception);
      ({ details, errors } = exception.getResponse() as { details?: unknown; errors?: unknown });
    } else if (bodyParserRefusal(exception)) {
      ({ status, message } = bodyParserRefusal(exception)!);
    } else if (badValueSqlState(exception)) {
      status = HttpStatus.BAD_REQUEST;
      message = VALUE_REFUSED_BY_DATABASE;
      // A door let bad input through to the database: logged as an error with its stack, so it gets fixed there.
      this.logger.error({
        msg: `${req.method} ${req.path}: bad input reached the database (SQLSTATE ${badValueSqlState(exception)}): ${(exception as Error)?.message ?? exception}`,
        requestId,
        stack: (exception as Error)?.stack,
      });
    } else if (isDatabaseUnavailable(exception)) {
      // Expected while the database restarts or the network drops: one line, no stack, and no alarm per request.
      status = HttpStatus.SERVICE_UNAVAILABLE;
      message = DATABASE_UNAVAILABLE;
      this.logger.warn({ msg: `${req.method} ${req.path}: database unavailable (${(exception as Error)?.message ?? exception})`, requestId });
    } else {
      // The path, not the URL: a query string may carry a CSRF token. The request id ties this to the request log line.
      this.logger.error({ msg: `${req.method} ${req.path}: ${(exception as Error)?.message ?? exception}`, requestId, stack: (exception as Error)?.stack });
    }

    // A handler may have declared its success's type or a download (@Header, res.attachment): the error is neither.
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Disposition');
    if (wantsHtml(req)) {
      if (status === HttpStatus.UNAUTHORIZED && req.method === 'GET') {
        return res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
      }
      if (status === HttpStatus.SERVICE_UNAVAILABLE) res.setHeader('Retry-After', '5');
      // A 500 shows the request id so a user can quote it and we can find the stack in the log.
      const reference = status === HttpStatus.INTERNAL_SERVER_ERROR ? requestId : undefined;
      // Rendered with a callback: a failing render (a sub-app's view settings, a broken template) must not fall to
      // express's default handler, which prints the stack and server paths. The plain page says the same.
      return res.status(status).render('error', { title: `Error ${status}`, status, message, details, reference }, (error: Error | null, html?: string) => {
        if (!error) return res.send(html);
        this.logger.error({ msg: `${req.method} ${req.path}: the error page could not be rendered: ${error.message}`, requestId, stack: error.stack });
        res.type('html').send(plainErrorPage(status, message, reference));
      });
    }
    // `errors`: field name → messages, from a failed DTO validation (src/common/validation.ts).
    res.status(status).json({
      statusCode: status,
      message,
      ...(details ? { details } : {}),
      ...(errors ? { errors } : {}),
      ...(status === HttpStatus.INTERNAL_SERVER_ERROR && requestId ? { requestId } : {}),
    });
  }
}
