import { ArgumentsHost, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { badValueSqlState, bodyParserRefusal, DATABASE_UNAVAILABLE, HttpExceptionFilter, isDatabaseUnavailable } from './http-exception.filter';

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
      removeHeader: (name: string) => delete sent.headers[name],
      status: (status: number) => ((sent.status = status), res),
      render: (view: string, locals: unknown) => ((sent.view = view), (sent.locals = locals)),
      json: (body: unknown) => (sent.json = body),
      redirect: () => undefined,
    };
    // A CSV route's type, set before its handler ran: the error must not go out under it.
    sent.headers['Content-Type'] = 'text/csv';
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

  it('answers bad input that reached the database with a 400, and logs it as an error to fix at the door', () => {
    const overflow = new QueryFailedError('SELECT', [], connectionError('value "2147483648" is out of range for type integer', '22003'));
    const answer = run(overflow, 'json', '/api/targets/2147483648', 'req-45');
    expect(answer.sent).toMatchObject({ status: 400, json: { statusCode: 400, message: expect.stringContaining('cannot be stored or searched for') } });
    expect(answer.sent.headers['Content-Type']).toBeUndefined();
    expect(answer.logger.error).toHaveBeenCalledWith(expect.objectContaining({ msg: expect.stringContaining('SQLSTATE 22003'), requestId: 'req-45' }));
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

  it('sends a plain error page, never a stack, when the error page itself cannot be rendered', () => {
    const req = { path: '/admin/queues/static/x', originalUrl: '/admin/queues/static/x', method: 'GET', accepts: (types: string[]) => types[0] };
    const sent: { status?: number; body?: string; type?: string } = {};
    const res: any = {
      headersSent: false,
      setHeader: () => undefined,
      removeHeader: () => undefined,
      status: (status: number) => ((sent.status = status), res),
      type: (type: string) => ((sent.type = type), res),
      send: (body: string) => (sent.body = body),
      render: (_view: string, _locals: unknown, done: (error: Error | null, html?: string) => void) =>
        done(new Error('Failed to lookup view "error" in views directory "/srv/portal/node_modules/@bull-board/ui/dist"')),
    };
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
    const filter = new HttpExceptionFilter();
    (filter as any).logger = { warn: jest.fn(), error: jest.fn() };
    filter.catch(new NotFoundException('Cannot GET <b>/admin/queues/static/x</b>'), host);
    expect(sent).toMatchObject({ status: 404, type: 'html' });
    expect(sent.body).toContain('Error 404');
    expect(sent.body).toContain('Cannot GET &#60;b&#62;/admin/queues/static/x&#60;/b&#62;');
    expect(sent.body).not.toMatch(/\/srv\/portal|node_modules|at \w+ \(/);
    expect((filter as any).logger.error).toHaveBeenCalledWith(expect.objectContaining({ stack: expect.any(String) }));
  });
});

describe('badValueSqlState', () => {
  it('names the SQLSTATEs of values Postgres cannot take, inside TypeORM errors too', () => {
    for (const code of ['22003', '22P02', '22021', '22P05', '22001']) expect(badValueSqlState(new QueryFailedError('SELECT', [], connectionError('x', code)))).toBe(code);
    expect(badValueSqlState(connectionError('duplicate key value', '23505'))).toBeNull();
    expect(badValueSqlState(new TypeError('boom'))).toBeNull();
  });
});

describe('bodyParserRefusal for nesting', () => {
  it('says how deep JSON may nest', () => {
    const deep = Object.assign(new Error('deep'), { type: 'entity.too.deep', status: 400, expose: true });
    expect(bodyParserRefusal(deep)).toEqual({ status: 400, message: 'The JSON body is nested more than 32 levels deep; nothing was done.' });
  });
});
