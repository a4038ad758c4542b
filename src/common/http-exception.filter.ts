import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';

/** The message a user sees for an exception: Nest's own text, or the first validation message. */
export function userMessage(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: string | string[] }).message;
  if (Array.isArray(message)) return message.join('; ');
  return message ?? exception.message;
}

export function wantsHtml(req: Request): boolean {
  return !req.path.startsWith('/api/') && req.accepts(['html', 'json']) === 'html';
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

    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'Something went wrong on our side. The error has been logged; please try again.';
    let details: unknown;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      message = userMessage(exception);
      details = (exception.getResponse() as { details?: unknown }).details;
    } else {
      this.logger.error(`${req.method} ${req.originalUrl}: ${(exception as Error)?.stack ?? exception}`);
    }

    if (wantsHtml(req)) {
      if (status === HttpStatus.UNAUTHORIZED && req.method === 'GET') {
        return res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
      }
      return res.status(status).render('error', { title: `Error ${status}`, status, message, details });
    }
    res.status(status).json({ statusCode: status, message, ...(details ? { details } : {}) });
  }
}
