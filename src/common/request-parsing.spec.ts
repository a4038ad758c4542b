import { BadRequestException, NotFoundException } from '@nestjs/common';
import {
  checkQuery,
  integerFrom,
  integerParam,
  jsonNestsDeeperThan,
  nulPath,
  numberParam,
  optionalRowIdParam,
  ParseRowIdPipe,
  PG_INTEGER_MAX,
  queryText,
  refuseDeepJson,
  rowIdFrom,
  rowIdList,
} from './request-parsing';

describe('request parsing', () => {
  it('reads ids as plain whole numbers from 1 to 2^31 - 1, and nothing else', () => {
    expect(rowIdFrom('1')).toBe(1);
    expect(rowIdFrom(' 42 ')).toBe(42);
    expect(rowIdFrom(String(PG_INTEGER_MAX))).toBe(PG_INTEGER_MAX);
    expect(rowIdFrom(7)).toBe(7);
    for (const bad of ['0', '-1', '2147483648', '1e308', '1e3', '0x10', '1.5', '1.0', 'NaN', 'Infinity', '', ' ', '9'.repeat(400), 1e308, 1.5, NaN, null, undefined, [1], {}]) {
      expect(rowIdFrom(bad)).toBeNull();
    }
  });

  it('reads whole numbers in a range', () => {
    expect(integerFrom('-3', -5, 5)).toBe(-3);
    expect(integerFrom('6', -5, 5)).toBeNull();
    expect(integerParam('', 'limit', { min: 1, max: 10 }, 5)).toBe(5);
    expect(integerParam(undefined, 'limit', { min: 1, max: 10 }, 5)).toBe(5);
    expect(() => integerParam('1e308', 'offset', { min: 0, max: 10 }, 0)).toThrow('offset must be a whole number from 0 to 10, not "1e308"');
  });

  it('reads decimal numbers in a range, not exponents or Infinity', () => {
    expect(numberParam('12.25', 'x', { min: -10, max: 100 })).toBe(12.25);
    expect(numberParam('-.5', 'x', { min: -10, max: 100 })).toBe(-0.5);
    for (const bad of ['1e3', 'Infinity', '', undefined, '101', '0x1', '1.2.3']) expect(() => numberParam(bad, 'x', { min: -10, max: 100 })).toThrow(BadRequestException);
  });

  it('refuses a query or form id that cannot be an id with a 400 naming the field', () => {
    expect(optionalRowIdParam('', 'list')).toBeUndefined();
    expect(optionalRowIdParam('12', 'list')).toBe(12);
    expect(() => optionalRowIdParam('2147483648', 'list')).toThrow('list must be an id (a whole number from 1 to 2147483647), not "2147483648"');
  });

  it('reads posted id lists, each once, and refuses the whole list for one bad id', () => {
    expect(rowIdList(undefined)).toEqual([]);
    expect(rowIdList('3')).toEqual([3]);
    expect(rowIdList(['3', '4', '3'])).toEqual([3, 4]);
    expect(() => rowIdList(['3', '1e308'], 'data product')).toThrow('Invalid data product id "1e308"');
    expect(() => rowIdList([{}], 'group')).toThrow(BadRequestException);
  });

  it('ParseRowIdPipe: a path id that cannot be an id is a 404 with a message', () => {
    const pipe = new ParseRowIdPipe();
    expect(pipe.transform('5', { type: 'param', data: 'id' })).toBe(5);
    expect(() => pipe.transform('2147483648', { type: 'param', data: 'id' })).toThrow(NotFoundException);
    expect(() => pipe.transform('abc', { type: 'param', data: 'id' })).toThrow('There is nothing with id "abc"');
    for (const odd of [' 5', '05', '+5', '5.0', '0x5', 5]) expect(() => pipe.transform(odd, { type: 'param', data: 'id' })).toThrow(NotFoundException);
  });

  it('refuses repeated query parameters and control characters with a 400 and a message', () => {
    expect(() => checkQuery({ q: 'M13', limit: '5' })).not.toThrow();
    expect(() => checkQuery({ q: ['a', 'b'] })).toThrow('The query parameter "q" is given 2 times; give it once');
    expect(() => checkQuery({ q: 'a\u0000b' })).toThrow('The query parameter "q" holds a control character');
    expect(() => checkQuery({ q: 'a\nb' })).toThrow(BadRequestException);
    expect(() => checkQuery({ 'q\u0000': 'a' })).toThrow('control character in its name');
    expect(() => checkQuery({ q: { a: '1' } })).toThrow('must be a single value');
    expect(queryText(' M 13 ', 'q')).toBe('M 13');
    expect(queryText('  ', 'q')).toBeUndefined();
    expect(() => queryText(['a', 'a'], 'q')).toThrow('"q" is given 2 times');
  });

  it('finds NUL in a parsed body, in values and keys, however it is nested', () => {
    expect(nulPath({ name: 'M13', points: [{ filter: 'V' }] })).toBeNull();
    expect(nulPath({ name: 'M13', points: [{ filter: 'V' }, { filter: 'B\u0000' }] })).toBe('points.1.filter');
    expect(nulPath({ ['a\u0000']: 1 })).toBe('a\u0000');
    expect(nulPath('x\u0000')).toBe('body');
  });

  it('measures JSON nesting from the bytes, ignoring brackets in strings', () => {
    const nested = (depth: number) => Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    expect(jsonNestsDeeperThan(nested(32), 32)).toBe(false);
    expect(jsonNestsDeeperThan(nested(33), 32)).toBe(true);
    expect(jsonNestsDeeperThan(Buffer.from(JSON.stringify({ text: '[[[[[[[[', quote: '"\\"[[[[[' })), 2)).toBe(false);
    expect(jsonNestsDeeperThan(Buffer.from('{"a":{"b":{"c":1}}}'), 2)).toBe(true);
    expect(() => refuseDeepJson(null, null, nested(3000))).toThrow(expect.objectContaining({ status: 400, expose: true, type: 'entity.too.deep' }));
    expect(() => refuseDeepJson(null, null, nested(10))).not.toThrow();
  });
});
