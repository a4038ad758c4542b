import { parsePhotometryCsv } from './photometry-csv.reader';
import { PHOTOMETRY_CSV_HEADER, photometryToCsv } from './photometry-csv.writer';

describe('photometryToCsv', () => {
  it('writes the header, ISO time, MJD and empty cells for missing errors', () => {
    const csv = photometryToCsv([
      { timestamp: new Date('1858-11-18T00:00:00Z'), magnitude: 10, error: null, filter: 'V', source: 'a' },
      { timestamp: new Date('2013-05-05T12:00:00Z'), magnitude: 12.5, error: 0.05, filter: '', source: 'b' },
    ]);
    expect(csv).toBe(`${PHOTOMETRY_CSV_HEADER}\n1858-11-18T00:00:00.000Z,1.00000000,10,,V,a\n2013-05-05T12:00:00.000Z,56417.50000000,12.5,0.05,,b\n`);
  });

  it('quotes commas and quotes, and keeps spreadsheet formulas as text', () => {
    const csv = photometryToCsv([{ timestamp: new Date('2020-01-01T00:00:00Z'), magnitude: 1, error: 0, filter: 'r,"g"', source: '=HYPERLINK("x")' }]);
    expect(csv.split('\n')[1]).toBe('2020-01-01T00:00:00.000Z,58849.00000000,1,0,"r,""g""","\'=HYPERLINK(""x"")"');
  });

  it('is read back by the portal\'s photometry reader', () => {
    const points = [
      { timestamp: new Date('2013-05-05T04:31:02.250Z'), magnitude: 12.31, error: 0.02, filter: 'V', source: 'x' },
      { timestamp: new Date('2013-05-05T04:41:02Z'), magnitude: -1.5, error: null, filter: 'B', source: 'x' },
    ];
    const parsed = parsePhotometryCsv(photometryToCsv(points));
    expect(parsed.errors).toEqual([]);
    expect(parsed.points.map(({ timestamp, magnitude, error, filter }) => ({ timestamp, magnitude, error, filter }))).toEqual(
      points.map(({ timestamp, magnitude, error, filter }) => ({ timestamp, magnitude, error, filter })),
    );
  });

  it('reads back exactly what it wrote, formula-like and negative values included', () => {
    const points = [
      { timestamp: new Date('2013-05-05T04:31:02.250Z'), magnitude: -1.5, error: 0.02, filter: '=HYPERLINK("http://x","y")', source: 'a' },
      { timestamp: new Date('2013-05-05T04:41:02Z'), magnitude: 12, error: null, filter: '-B', source: '@b' },
      { timestamp: new Date('2013-05-05T04:51:02Z'), magnitude: 12, error: null, filter: "'=already", source: 'c' },
      { timestamp: new Date('2013-05-05T05:01:02Z'), magnitude: 12, error: null, filter: 'r,"g";i', source: 'd' },
      { timestamp: new Date('2013-05-05T05:11:02Z'), magnitude: 12, error: null, filter: 'Mészáros ü', source: 'e' },
    ];
    const csv = photometryToCsv(points);
    expect(csv).not.toMatch(/(^|,)[=+@-][^0-9.]/m);
    const parsed = parsePhotometryCsv(csv);
    expect(parsed.errors).toEqual([]);
    expect(parsed.points.map(({ timestamp, magnitude, error, filter }) => ({ timestamp, magnitude, error, filter }))).toEqual(
      points.map(({ timestamp, magnitude, error, filter }) => ({ timestamp, magnitude, error, filter })),
    );
  });
});
