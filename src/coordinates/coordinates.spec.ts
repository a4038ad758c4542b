import {
  angularSeparation,
  CoordinateError,
  formatDec,
  formatRa,
  parseDec,
  parseRa,
  parseRadius,
} from './coordinates';

describe('parseRa', () => {
  it('reads M13 in every sexagesimal spelling as hours', () => {
    for (const text of ['16:41:41.6', '16 41 41.6', '16h41m41.6s', '16h 41m 41.6s', ' 16:41:41.6 ']) {
      expect(parseRa(text)).toBeCloseTo(250.4233, 4);
    }
  });

  it('reads decimal degrees', () => {
    expect(parseRa('250.4235')).toBe(250.4235);
    expect(parseRa('0')).toBe(0);
    expect(parseRa('359.9999')).toBe(359.9999);
  });

  it('reads hours and decimal minutes', () => {
    expect(parseRa('12:30.5')).toBeCloseTo((12 + 30.5 / 60) * 15, 10);
  });

  it.each([
    ['25:00:00', /hours must be between 0 and 24/],
    ['24:00:00', /hours must be between 0 and 24/],
    ['12:61:00', /minutes must be between 0 and 60/],
    ['12:00:60', /seconds must be between 0 and 60/],
    ['360', /less than 360/],
    ['-1', /at least 0/],
    ['abc', /Cannot read right ascension "abc"/],
    ['12.5:30:00', /Cannot read right ascension/],
    ['', /Right ascension is empty/],
    ['   ', /Right ascension is empty/],
  ])('rejects %p', (text, message) => {
    expect(() => parseRa(text)).toThrow(CoordinateError);
    expect(() => parseRa(text)).toThrow(message);
  });
});

describe('parseDec', () => {
  it('reads M13 in every sexagesimal spelling', () => {
    for (const text of ['+36:27:41', '36:27:41', '36 27 41', '36d27m41s', '+36°27\'41"']) {
      expect(parseDec(text)).toBeCloseTo(36.46139, 5);
    }
  });

  it('reads negative values with an ASCII or unicode minus', () => {
    const expected = -(5 + 23 / 60 + 28 / 3600);
    expect(parseDec('-05 23 28')).toBeCloseTo(expected, 10);
    expect(parseDec('−05:23:28')).toBeCloseTo(expected, 10);
    expect(parseDec('-05d23m28s')).toBeCloseTo(expected, 10);
    expect(parseDec('−5.5')).toBe(-5.5);
  });

  it('applies the sign to the whole value when the degrees are zero', () => {
    expect(parseDec('-00:30:00')).toBe(-0.5);
    expect(parseDec('-00 00 36')).toBeCloseTo(-0.01, 10);
    expect(parseDec('+00:30:00')).toBe(0.5);
  });

  it('never returns negative zero', () => {
    expect(Object.is(parseDec('-00:00:00'), 0)).toBe(true);
    expect(Object.is(parseDec('-0'), 0)).toBe(true);
  });

  it('accepts the poles exactly', () => {
    expect(parseDec('90')).toBe(90);
    expect(parseDec('-90:00:00')).toBe(-90);
  });

  it.each([
    ['91', /Declination must be between -90 and \+90 degrees/],
    ['-90.0001', /Declination must be between -90 and \+90 degrees/],
    ['90:00:01', /Declination must be between -90 and \+90 degrees/],
    ['10:60:00', /minutes must be between 0 and 60/],
    ['abc', /Cannot read declination "abc"/],
    ['+-10:00:00', /Cannot read declination/],
    ['', /Declination is empty/],
  ])('rejects %p', (text, message) => {
    expect(() => parseDec(text)).toThrow(CoordinateError);
    expect(() => parseDec(text)).toThrow(message);
  });
});

describe('formatRa and formatDec', () => {
  it('formats M13', () => {
    expect(formatRa(250.4235)).toBe('16:41:41.64');
    expect(formatDec(36.46131)).toBe('+36:27:40.7');
  });

  it('carries rounding instead of printing 60 seconds', () => {
    // 0h 0m 59.999s and 23h 59m 59.999s of time
    expect(formatRa((59.999 / 3600) * 15)).toBe('00:01:00.00');
    expect(formatRa(((24 * 3600 - 0.001) / 3600) * 15)).toBe('00:00:00.00');
    expect(formatDec(10 + 59 / 60 + 59.99 / 3600)).toBe('+11:00:00.0');
  });

  it('always signs declinations, and keeps the sign of small negative values', () => {
    expect(formatDec(0)).toBe('+00:00:00.0');
    expect(formatDec(-0)).toBe('+00:00:00.0');
    expect(formatDec(-0.5)).toBe('-00:30:00.0');
    expect(formatDec(-90)).toBe('-90:00:00.0');
  });

  it('wraps right ascension into one turn', () => {
    expect(formatRa(360)).toBe('00:00:00.00');
    expect(formatRa(-15)).toBe('23:00:00.00');
  });

  it('round-trips through the parsers', () => {
    for (const ra of [0, 0.001, 83.8221, 180, 250.4235, 359.999]) {
      expect(parseRa(formatRa(ra))).toBeCloseTo(ra, 3);
    }
    for (const dec of [-90, -45.123, -0.5, -0.0001, 0, 36.46131, 89.9999, 90]) {
      expect(parseDec(formatDec(dec))).toBeCloseTo(dec, 4);
    }
    expect(formatRa(parseRa('16:41:41.64'))).toBe('16:41:41.64');
    expect(formatDec(parseDec('-05:23:28.0'))).toBe('-05:23:28.0');
    expect(formatDec(parseDec('-00:30:00'))).toBe('-00:30:00.0');
  });

  it('refuses values that are not coordinates', () => {
    expect(() => formatRa(NaN)).toThrow(CoordinateError);
    expect(() => formatDec(91)).toThrow(CoordinateError);
  });
});

describe('angularSeparation', () => {
  it('measures simple separations', () => {
    expect(angularSeparation(0, 0, 0, 1)).toBeCloseTo(1, 10);
    expect(angularSeparation(0, 0, 1, 0)).toBeCloseTo(1, 10);
    expect(angularSeparation(359.5, 0, 0.5, 0)).toBeCloseTo(1, 10);
  });

  it('goes across the pole', () => {
    expect(angularSeparation(10, 89.9, 190, 89.9)).toBeCloseTo(0.2, 10);
  });

  it('is zero for identical points and 180 for antipodes', () => {
    expect(angularSeparation(250.4235, 36.4613, 250.4235, 36.4613)).toBe(0);
    expect(angularSeparation(0, 0, 180, 0)).toBeCloseTo(180, 10);
    expect(angularSeparation(30, 45, 210, -45)).toBeCloseTo(180, 10);
  });

  it('stays accurate for tiny separations', () => {
    const oneMilliarcsecond = 1 / 3600 / 1000;
    // Relative tolerance: 20 + 1 mas itself carries float error of ~1e-15 degrees.
    const separation = angularSeparation(100, 20, 100, 20 + oneMilliarcsecond);
    expect(Math.abs(separation / oneMilliarcsecond - 1)).toBeLessThan(1e-6);
  });
});

describe('parseRadius', () => {
  it('reads decimal degrees', () => {
    expect(parseRadius('0.5')).toBe(0.5);
    expect(parseRadius(' 180 ')).toBe(180);
  });

  it.each(['0', '-1', '180.1', 'abc', '', '1e3'])('rejects %p', (text) => {
    expect(() => parseRadius(text)).toThrow(CoordinateError);
  });
});
