import { BadRequestException } from '@nestjs/common';
import { pageUrl, pageView, parsePageRequest } from './paging';

const targets = { one: 'target', many: 'targets' };

describe('page requests and page views', () => {
  it('reads limit and offset, with defaults, and refuses anything but whole numbers in range', () => {
    expect(parsePageRequest({}, 50, 200)).toEqual({ limit: 50, offset: 0 });
    expect(parsePageRequest({ limit: ' 25 ', offset: '75' }, 50, 200)).toEqual({ limit: 25, offset: 75 });
    expect(parsePageRequest({ limit: '', offset: '' }, 50, 200)).toEqual({ limit: 50, offset: 0 });
    for (const bad of [{ limit: '0' }, { limit: '201' }, { limit: '2.5' }, { limit: 'ten' }, { offset: '-1' }, { offset: '1e3' }]) {
      expect(() => parsePageRequest(bad, 50, 200)).toThrow(BadRequestException);
    }
    expect(() => parsePageRequest({ limit: '0' }, 50, 200)).toThrow('limit must be a whole number from 1 to 200, not "0"');
  });

  it('builds links that keep the filters, leave out empty ones, the default limit and offset 0', () => {
    expect(pageUrl('/targets', { q: 'M 13', ra: '', list: undefined }, { limit: 50, offset: 0 }, 50)).toBe('/targets?q=M+13');
    expect(pageUrl('/targets', {}, { limit: 10, offset: 20 }, 50)).toBe('/targets?limit=10&offset=20');
    expect(pageUrl('/targets/3', {}, { limit: 50, offset: 0 }, 50, '#data')).toBe('/targets/3#data');
  });

  it('says what is shown and links to the pages before and after', () => {
    const middle = pageView('/targets', { q: 'x' }, { limit: 50, offset: 50, total: 120, shown: 50 }, 50, targets);
    expect(middle).toEqual({
      total: 120,
      from: 51,
      to: 100,
      summary: '120 targets, showing 51–100',
      prevUrl: '/targets?q=x',
      nextUrl: '/targets?q=x&offset=100',
    });
    const all = pageView('/targets', {}, { limit: 50, offset: 0, total: 1, shown: 1 }, 50, targets);
    expect([all.summary, all.prevUrl, all.nextUrl]).toEqual(['1 target', null, null]);
    expect(pageView('/targets', {}, { limit: 50, offset: 0, total: 0, shown: 0 }, 50, targets).summary).toBe('0 targets');
    // Past the end: nothing shown, and "previous" goes to the last page.
    const beyond = pageView('/targets', {}, { limit: 50, offset: 500, total: 120, shown: 0 }, 50, targets);
    expect([beyond.summary, beyond.prevUrl, beyond.nextUrl]).toEqual(['120 targets, none on this page', '/targets?offset=100', null]);
  });
});
