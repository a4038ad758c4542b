import { parsePhotometryCsv, PhotometryPoint } from './photometry-csv.reader';
import { ExportedPoint, PHOTOMETRY_CSV_HEADER, photometryToCsv, TOM_PHOTOMETRY_CSV_COLUMNS } from './photometry-csv.writer';

/** A point as exported: no limit or facility unless given. */
const exported = (fields: Partial<ExportedPoint> & Pick<ExportedPoint, 'timestamp'>): ExportedPoint => ({
  magnitude: 12,
  error: null,
  filter: 'V',
  limit: null,
  facility: '',
  source: 's',
  ...fields,
});

/** What a point says, without the line it was read from. */
const measurement = ({ timestamp, magnitude, error, filter, limit, facility }: ExportedPoint | PhotometryPoint) => ({ timestamp, magnitude, error, filter, limit, facility });

describe('photometryToCsv', () => {
  it('writes the header, ISO time, MJD and empty cells for missing errors', () => {
    const csv = photometryToCsv([
      exported({ timestamp: new Date('1858-11-18T00:00:00Z'), magnitude: 10, error: null, filter: 'V', source: 'a' }),
      exported({ timestamp: new Date('2013-05-05T12:00:00Z'), magnitude: 12.5, error: 0.05, filter: '', source: 'b' }),
    ]);
    expect(csv).toBe(`${PHOTOMETRY_CSV_HEADER}\n1858-11-18T00:00:00.000Z,1.00000000,10,,V,a\n2013-05-05T12:00:00.000Z,56417.50000000,12.5,0.05,,b\n`);
  });

  it('quotes commas and quotes, and keeps spreadsheet formulas as text', () => {
    const csv = photometryToCsv([exported({ timestamp: new Date('2020-01-01T00:00:00Z'), magnitude: 1, error: 0, filter: 'r,"g"', source: '=HYPERLINK("x")' })]);
    expect(csv.split('\n')[1]).toBe('2020-01-01T00:00:00.000Z,58849.00000000,1,0,"r,""g""","\'=HYPERLINK(""x"")"');
  });

  it('is read back by the portal\'s photometry reader', () => {
    const points = [
      exported({ timestamp: new Date('2013-05-05T04:31:02.250Z'), magnitude: 12.31, error: 0.02, filter: 'V', source: 'x' }),
      exported({ timestamp: new Date('2013-05-05T04:41:02Z'), magnitude: -1.5, error: null, filter: 'B', source: 'x' }),
    ];
    const parsed = parsePhotometryCsv(photometryToCsv(points));
    expect(parsed.errors).toEqual([]);
    expect(parsed.points.map(measurement)).toEqual(points.map(measurement));
  });

  it('reads back exactly what it wrote, formula-like and negative values included', () => {
    const points = [
      exported({ timestamp: new Date('2013-05-05T04:31:02.250Z'), magnitude: -1.5, error: 0.02, filter: '=HYPERLINK("http://x","y")', source: 'a' }),
      exported({ timestamp: new Date('2013-05-05T04:41:02Z'), magnitude: 12, error: null, filter: '-B', source: '@b' }),
      exported({ timestamp: new Date('2013-05-05T04:51:02Z'), magnitude: 12, error: null, filter: "'=already", source: 'c' }),
      exported({ timestamp: new Date('2013-05-05T05:01:02Z'), magnitude: 12, error: null, filter: 'r,"g";i', source: 'd' }),
      exported({ timestamp: new Date('2013-05-05T05:11:02Z'), magnitude: 12, error: null, filter: 'Mészáros ü', source: 'e' }),
    ];
    const csv = photometryToCsv(points);
    expect(csv).not.toMatch(/(^|,)[=+@-][^0-9.]/m);
    const parsed = parsePhotometryCsv(csv);
    expect(parsed.errors).toEqual([]);
    expect(parsed.points.map(measurement)).toEqual(points.map(measurement));
  });

  describe('limits and facilities', () => {
    const points = [
      exported({ timestamp: new Date('2024-03-01T02:24:00Z'), magnitude: 15.58, error: 0.01, filter: 'g', facility: 'ZTF', source: 'Ann · file sn.csv' }),
      exported({ timestamp: new Date('2024-03-01T02:24:00Z'), magnitude: 15.61, error: 0.02, filter: 'o', limit: 19.4, facility: 'ATLAS', source: 'Ann · file sn.csv' }),
      exported({ timestamp: new Date('2024-03-02T04:48:00.123Z'), magnitude: null, error: null, filter: 'g', limit: 20.5, facility: 'ZTF', source: 'Ann · file sn.csv' }),
      exported({ timestamp: new Date('2024-03-03T00:00:00Z'), magnitude: 16, error: null, filter: 'V', facility: '=cmd', source: 'Ann · file sn.csv' }),
    ];

    it('adds limit and facility after the portal\'s columns when a point has either, empty magnitude for a non-detection', () => {
      const lines = photometryToCsv(points).split('\n');
      expect(lines[0]).toBe(`${PHOTOMETRY_CSV_HEADER},limit,facility`);
      expect(lines[1]).toBe('2024-03-01T02:24:00.000Z,60370.10000000,15.58,0.01,g,Ann · file sn.csv,,ZTF');
      expect(lines[2]).toBe('2024-03-01T02:24:00.000Z,60370.10000000,15.61,0.02,o,Ann · file sn.csv,19.4,ATLAS');
      expect(lines[3]).toBe('2024-03-02T04:48:00.123Z,60371.20000142,,,g,Ann · file sn.csv,20.5,ZTF');
      expect(lines[4]).toBe("2024-03-03T00:00:00.000Z,60372.00000000,16,,V,Ann · file sn.csv,,'=cmd");
    });

    it('writes TOM Toolkit\'s columns in its order, time in MJD without trailing zeros, the facility as source', () => {
      const lines = photometryToCsv(points, 'tom').split('\n');
      expect(lines[0]).toBe(TOM_PHOTOMETRY_CSV_COLUMNS.join(','));
      expect(lines[0]).toBe('time,filter,magnitude,error,limit,source');
      expect(lines.slice(1)).toEqual(['60370.1,g,15.58,0.01,,ZTF', '60370.1,o,15.61,0.02,19.4,ATLAS', '60371.20000142,g,,,20.5,ZTF', "60372,V,16,,,'=cmd", '']);
    });

    it.each(['portal', 'tom'] as const)('reads back the %s layout to the same points, to the millisecond', (format) => {
      const parsed = parsePhotometryCsv(photometryToCsv(points, format));
      expect(parsed.errors).toEqual([]);
      expect(parsed.points.map(measurement)).toEqual(points.map(measurement));
    });

    it('writes TOM\'s layout for points without limits or facilities too (empty cells)', () => {
      const csv = photometryToCsv([exported({ timestamp: new Date('2013-05-05T00:00:00Z'), magnitude: 12.5, error: 0.05, filter: 'V' })], 'tom');
      expect(csv).toBe('time,filter,magnitude,error,limit,source\n56417,V,12.5,0.05,,\n');
    });
  });
});
