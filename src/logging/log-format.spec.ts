import { formatTextLine, redactHeaders, redactUrl, saneRequestId, serializeRequest } from './log-format';
import { requestLogLevel } from './request-id';

describe('saneRequestId', () => {
  it('keeps a short id of letters, digits, dot, underscore and dash', () => {
    expect(saneRequestId('abc-123_X.y')).toBe('abc-123_X.y');
    expect(saneRequestId('a'.repeat(128))).toBe('a'.repeat(128));
    expect(saneRequestId(['first-id', 'second'])).toBe('first-id');
  });

  it('refuses anything that could forge or bloat a log line', () => {
    expect(saneRequestId('a'.repeat(129))).toBeNull();
    expect(saneRequestId('id with spaces')).toBeNull();
    expect(saneRequestId('evil\n{"level":"info"}')).toBeNull();
    expect(saneRequestId('<script>')).toBeNull();
    expect(saneRequestId('')).toBeNull();
    expect(saneRequestId(undefined)).toBeNull();
  });
});

describe('redaction', () => {
  it('hides cookies, bearer tokens and CSRF tokens in headers, whatever their case', () => {
    expect(
      redactHeaders({ Cookie: 'portal.sid=s%3Asecret', authorization: 'Bearer pat_secret', 'x-csrf-token': 'tok', 'set-cookie': ['a=b'], accept: 'text/html' }),
    ).toEqual({ Cookie: '[redacted]', authorization: '[redacted]', 'x-csrf-token': '[redacted]', 'set-cookie': '[redacted]', accept: 'text/html' });
  });

  it('hides the value of ?_csrf= and token parameters and keeps the rest of the URL', () => {
    expect(redactUrl('/targets/1/data-products?_csrf=abc123&x=1')).toBe('/targets/1/data-products?_csrf=[redacted]&x=1');
    expect(redactUrl('/a?q=m13&%5Fcsrf=abc')).toBe('/a?q=m13&%5Fcsrf=[redacted]');
    expect(redactUrl('/a?access_token=t')).toBe('/a?access_token=[redacted]');
    expect(redactUrl('/targets?q=M13')).toBe('/targets?q=M13');
    expect(redactUrl('/plain')).toBe('/plain');
  });

  it('a logged request carries no query object and no secret', () => {
    const logged = serializeRequest({ id: 'r1', method: 'POST', url: '/x?_csrf=SECRET', headers: { cookie: 'SECRET' } });
    expect(JSON.stringify(logged)).not.toContain('SECRET');
    expect(logged).toEqual({ id: 'r1', method: 'POST', url: '/x?_csrf=[redacted]', headers: { cookie: '[redacted]' }, remoteAddress: undefined });
  });
});

describe('formatTextLine', () => {
  const time = '2026-12-02T06:00:00.000Z';

  it('writes time, level, context and message on one line, extra fields as key=value', () => {
    expect(formatTextLine({ level: 'info', time, pid: 1, context: 'Portal', msg: 'Portal ready', port: 3000 })).toBe(
      `${time} INFO  [Portal] Portal ready port=3000\n`,
    );
  });

  it('a request: method, URL, status, time and request id', () => {
    const line = formatTextLine({
      level: 'warn',
      time,
      context: 'http',
      msg: 'request completed',
      requestId: 'r-9',
      req: { id: 'r-9', method: 'GET', url: '/targets/99' },
      res: { statusCode: 404 },
      responseTime: 12.4,
    });
    expect(line).toBe(`${time} WARN  [http] request completed GET /targets/99 404 12ms requestId=r-9\n`);
  });

  it('puts a stack on indented lines and never lets a message start a line of its own', () => {
    const line = formatTextLine({ level: 'error', time, context: 'Errors', msg: 'GET /x: boom\nFAKE 2026 INFO forged', stack: 'TypeError: boom\n    at f (a.js:1:1)' });
    const lines = line.trimEnd().split('\n');
    expect(lines[0]).toBe(`${time} ERROR [Errors] GET /x: boom\\nFAKE 2026 INFO forged`);
    expect(lines.slice(1)).toEqual(['    TypeError: boom', '        at f (a.js:1:1)']);
  });

  it('reads numeric pino levels too', () => {
    expect(formatTextLine({ level: 50, time, msg: 'x' })).toBe(`${time} ERROR x\n`);
  });
});

describe('requestLogLevel', () => {
  it('error for 500s, warn for refusals, debug for successful polls, info otherwise', () => {
    expect(requestLogLevel('GET', '/targets', 500)).toBe('error');
    expect(requestLogLevel('GET', '/targets', 200, new Error('aborted'))).toBe('error');
    expect(requestLogLevel('POST', '/targets', 403)).toBe('warn');
    expect(requestLogLevel('GET', '/readyz', 503)).toBe('error');
    expect(requestLogLevel('GET', '/readyz', 200)).toBe('debug');
    expect(requestLogLevel('GET', '/admin/queues/api/queues?activeQueue=x', 200)).toBe('debug');
    expect(requestLogLevel('PUT', '/admin/queues/api/queues/previews/pause', 200)).toBe('info');
    expect(requestLogLevel('GET', '/healthzzz', 200)).toBe('info');
    expect(requestLogLevel('GET', '/targets', 200)).toBe('info');
  });
});
