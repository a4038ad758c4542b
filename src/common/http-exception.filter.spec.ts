import { ArgumentsHost, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { bodyParserRefusal, DATABASE_UNAVAILABLE, HttpExceptionFilter, isDatabaseUnavailable } from './http-exception.filter';

function connectionError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

describe('isDatabaseUnavailable', () => {
  it('recognises a refused, dropped or restarting database', () => {
    expect(isDatabaseUnavailable(connectionError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('the database system is starting up', '57P03'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('sorry, too many clients already', '53300'))).toBe(true);
    expect(isDatabaseUnavailable(connectionError('connection failure', '08006'))).toBe(true);
  });

  it('looks inside TypeORM query errors and causes', () => {
    const dropped = new QueryFailedError('SELECT 1', [], connectionError('Connection terminated unexpectedly'));
    expect(isDatabaseUnavailable(dropped)).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: connectionError('x', 'ECONNREFUSED') }))).toBe(true);
  });

  it('leaves bugs and bad queries alone', () => {
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT', [], connectionError('duplicate key value', '23505')))).toBe(false);
    expect(isDatabaseUnavailable(connectionError('syntax error at or near "FROM"', '42601'))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});

describe('HttpExceptionFilter', () => {
  function run(exception: unknown, accept: string, path = '/targets', id?: string) {
    const sent: { status?: number; view?: string; locals?: any; json?: any; headers: Record<string, string> } = { headers: {} };
    const req = { id, path, originalUrl: path, method: 'GET', accepts: (types: string[]) => (accept === 'html' ? types[0] : types[1]) };
    const res: any = {
      headersSent: false,
      setHeader: (name: string, value: string) => (sent.headers[name] = value),
      status: (status: number) => ((sent.status = status), res),
      render: (view: string, locals: unknown) => ((sent.view = view), (sent.locals = locals)),
      json: (body: unknown) => (sent.json = body),
      redirect: () => undefined,
    };
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
    const filter = new HttpExceptionFilter();
    (filter as any).logger = { warn: jest.fn(), error: jest.fn() };
    filter.catch(exception, host);
    return { sent, logger: (filter as any).logger };
  }

  it('answers 503 with a retry hint when the database is gone: a page for browsers, JSON for the API', () => {
    const html = run(connectionError('Connection terminated unexpectedly'), 'html');
    expect(html.sent).toMatchObject({ status: 503, view: 'error', headers: { 'Retry-After': '5' } });
    expect(html.sent.locals.message).toBe(DATABASE_UNAVAILABLE);
    expect(html.logger.error).not.toHaveBeenCalled();
    const json = run(connectionError('connect ECONNREFUSED', 'ECONNREFUSED'), 'json', '/api/targets');
    expect(json.sent).toMatchObject({ status: 503, json: { statusCode: 503, message: DATABASE_UNAVAILABLE } });
  });

  it('keeps 500 with a short message (stack to the log only) for other errors, and HTTP errors as they are', () => {
    const bug = run(new TypeError('boom'), 'json');
    expect(bug.sent.status).toBe(500);
    expect(JSON.stringify(bug.sent.json)).not.toContain('boom');
    expect(bug.logger.error).toHaveBeenCalled();
    expect(run(new NotFoundException('There is no target with id 9'), 'json').sent.json).toEqual({ statusCode: 404, message: 'There is no target with id 9' });
  });

  it('names the request id on a 500 (page and JSON) and in the error log line, with the stack', () => {
    const page = run(new TypeError('boom'), 'html', '/targets', 'req-42');
    expect(page.sent.locals.reference).toBe('req-42');
    expect(page.logger.error).toHaveBeenCalledWith(expect.objectContaining({ requestId: 'req-42', stack: expect.stringContaining('TypeError: boom') }));
    expect(run(new TypeError('boom'), 'json', '/api/targets', 'req-43').sent.json).toMatchObject({ statusCode: 500, requestId: 'req-43' });
    // Only 500s: a 404 page has nothing to look up.
    expect(run(new NotFoundException('gone'), 'html', '/targets', 'req-44').sent.locals.reference).toBeUndefined();
  });
});

describe('bodyParserRefusal', () => {
  const parserError = (type: string, status: number) => Object.assign(new Error('raw parser text'), { type, status, statusCode: status, expose: true });

  it('turns the body parsers\' refusals into clear 4xx messages', () => {
    expect(bodyParserRefusal(parserError('parameters.too.many', 413))).toEqual({ status: 400, message: 'The form has too many fields; nothing was done.' });
    expect(bodyParserRefusal(parserError('entity.too.large', 413))?.status).toBe(413);
    expect(bodyParserRefusal(parserError('entity.parse.failed', 400))?.message).toContain('could not be read');
  });

  it('ignores anything else', () => {
    expect(bodyParserRefusal(new Error('boom'))).toBeNull();
    expect(bodyParserRefusal(Object.assign(new Error('x'), { type: 'x', status: 500, expose: false }))).toBeNull();
    expect(bodyParserRefusal(undefined)).toBeNull();
  });
});
