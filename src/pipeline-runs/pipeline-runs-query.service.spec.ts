import { BadRequestException } from '@nestjs/common';
import { formatDuration, parseRunQuery, runsUrl } from './pipeline-runs-query.service';

describe('parseRunQuery', () => {
  it('reads the filters and paging, trimming blanks away', () => {
    expect(parseRunQuery({ state: 'failed', pipeline: 'Byte count', user: ' alice ', target: '', limit: '10', offset: '20' })).toEqual({
      filters: { state: 'failed', pipeline: 'Byte count', user: 'alice', target: undefined, mine: undefined },
      limit: 10,
      offset: 20,
    });
    expect(parseRunQuery({})).toMatchObject({ limit: 50, offset: 0 });
    expect(parseRunQuery({ mine: '1' }).filters.mine).toBe(true);
    expect(parseRunQuery({ mine: 'on' }).filters.mine).toBe(true);
    expect(parseRunQuery({ mine: '0' }).filters.mine).toBeUndefined();
  });

  it('refuses unknown states and bad numbers with a message naming the field', () => {
    expect(() => parseRunQuery({ state: 'done' })).toThrow(BadRequestException);
    expect(() => parseRunQuery({ state: 'done' })).toThrow(/state must be one of queued, running/);
    expect(() => parseRunQuery({ limit: '201' })).toThrow(/limit must be a whole number from 1 to 200/);
    expect(() => parseRunQuery({ limit: '0' })).toThrow(/limit/);
    expect(() => parseRunQuery({ offset: '-5' })).toThrow(/offset/);
    expect(() => parseRunQuery({ offset: '1e3' })).toThrow(/offset/);
    expect(() => parseRunQuery({ mine: 'yes please' })).toThrow(/mine must be 1 or 0/);
  });
});

describe('formatDuration', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
  it('scales from milliseconds to hours; nothing before the start; a running run counts to now', () => {
    expect(formatDuration({ startedAt: null, finishedAt: null })).toBeNull();
    expect(formatDuration({ startedAt: at(0), finishedAt: at(0.25) })).toBe('250 ms');
    expect(formatDuration({ startedAt: at(0), finishedAt: at(12.34) })).toBe('12.3 s');
    expect(formatDuration({ startedAt: at(0), finishedAt: at(245) })).toBe('4 min 05 s');
    expect(formatDuration({ startedAt: at(0), finishedAt: at(7380) })).toBe('2 h 03 min');
    expect(formatDuration({ startedAt: at(0), finishedAt: null }, at(3))).toBe('3.0 s');
  });
});

describe('runsUrl', () => {
  it('keeps the filters, leaves defaults out', () => {
    expect(runsUrl({}, 50, 0)).toBe('/runs');
    expect(runsUrl({ state: 'failed', target: 'M 13' }, 20, 40)).toBe('/runs?state=failed&target=M+13&limit=20&offset=40');
    expect(runsUrl({ mine: true }, 50, 50)).toBe('/runs?mine=1&offset=50');
  });
});
