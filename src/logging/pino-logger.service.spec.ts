import { createPinoLogger } from './pino-logger';
import { PinoLoggerService } from './pino-logger.service';

function capture(format: 'json' | 'text' = 'json', level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const service = new PinoLoggerService(createPinoLogger({ level, format }, { write: (line: string) => void lines.push(line) }));
  return { service, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

describe('PinoLoggerService', () => {
  it('writes each Nest log call as one JSON object with level, time, msg and context', () => {
    const { service, records } = capture();
    service.log('Portal ready on http://localhost:3000', 'Portal');
    service.warn('slow', 'Queue');
    const [ready, slow] = records();
    expect(ready).toMatchObject({ level: 'info', msg: 'Portal ready on http://localhost:3000', context: 'Portal' });
    expect(new Date(ready.time).getTime()).not.toBeNaN();
    expect(slow).toMatchObject({ level: 'warn', msg: 'slow', context: 'Queue' });
  });

  it('keeps an error\'s stack, from Nest\'s (message, stack, context) or from an Error', () => {
    const { service, records } = capture();
    service.error('GET /x failed', 'TypeError: boom\n    at f (a.js:1:1)', 'Errors');
    service.error(new RangeError('out of range'));
    const [first, second] = records();
    expect(first).toMatchObject({ level: 'error', msg: 'GET /x failed', context: 'Errors', stack: expect.stringContaining('at f (a.js:1:1)') });
    expect(second).toMatchObject({ level: 'error', msg: 'out of range', err: { type: 'RangeError', message: 'out of range' } });
  });

  it('merges the fields of an object message (e.g. requestId) into the record', () => {
    const { service, records } = capture();
    service.error({ msg: 'GET /x: boom', requestId: 'r-1', stack: 'TypeError: boom' }, 'Errors');
    expect(records()[0]).toMatchObject({ msg: 'GET /x: boom', requestId: 'r-1', stack: 'TypeError: boom', context: 'Errors' });
  });

  it('obeys LOG_LEVEL', () => {
    const { service, records } = capture('json', 'warn');
    service.log('hidden');
    service.debug('hidden too');
    service.warn('shown');
    expect(records().map((record) => record.msg)).toEqual(['shown']);
  });

  it('with LOG_FORMAT=text writes short lines instead of JSON', () => {
    const { service, lines } = capture('text');
    service.log('Demo account: teacher / secret (teacher)', 'Portal');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}\[Portal\] Demo account: teacher \/ secret \(teacher\)\n$/);
  });
});
