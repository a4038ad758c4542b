import { MAX_REPORTED_ROW_ERRORS, parsePhotometryCsv, PHOTOMETRY_COLUMN_NAMES } from './photometry-csv.reader';

const iso = (date: Date) => date.toISOString();

describe('parsePhotometryCsv', () => {
  it('reads an MJD file and converts MJD to UTC', () => {
    const result = parsePhotometryCsv('mjd,mag,err,filter\n56417.0,14.2,0.03,V\n56417.25,14.3,0.04,R\n');
    expect(result.errors).toEqual([]);
    expect(result.points).toEqual([
      { timestamp: new Date('2013-05-05T00:00:00Z'), magnitude: 14.2, error: 0.03, filter: 'V', limit: null, facility: '', line: 2 },
      { timestamp: new Date('2013-05-05T06:00:00Z'), magnitude: 14.3, error: 0.04, filter: 'R', limit: null, facility: '', line: 3 },
    ]);
  });

  it('reads ISO 8601 times with "band" and "magerr" headers, with or without a zone', () => {
    const result = parsePhotometryCsv(
      [
        'Date-Obs, Magnitude, MagErr, Band',
        '2013-05-05T04:31:02,12.1,0.01,g',
        '2013-05-05 04:31:02.5,12.2,0.02,r',
        '2013-05-05T04:31:02Z,12.3,,i',
        '2013-05-05T06:31:02+02:00,12.4,0,z',
        '2013-05-05,12.5,0.1,z',
      ].join('\n'),
    );
    expect(result.errors).toEqual([]);
    expect(result.points.map((point) => iso(point.timestamp))).toEqual([
      '2013-05-05T04:31:02.000Z',
      '2013-05-05T04:31:02.500Z',
      '2013-05-05T04:31:02.000Z',
      '2013-05-05T04:31:02.000Z',
      '2013-05-05T00:00:00.000Z',
    ]);
    expect(result.points.map((point) => point.filter)).toEqual(['g', 'r', 'i', 'z', 'z']);
    expect(result.points.map((point) => point.error)).toEqual([0.01, 0.02, null, 0, 0.1]);
  });

  it('reads Julian Dates, by header name or by size', () => {
    const byName = parsePhotometryCsv('JD,mag\n2456417.5,10\n');
    expect(byName.errors).toEqual([]);
    expect(iso(byName.points[0].timestamp)).toBe('2013-05-05T00:00:00.000Z');

    const bySize = parsePhotometryCsv('time,mag\n2456417.75,10\n');
    expect(iso(bySize.points[0].timestamp)).toBe('2013-05-05T06:00:00.000Z');
  });

  it('says when a "jd" column holds values that are not Julian Dates', () => {
    const result = parsePhotometryCsv('jd,mag\n56417,10\n');
    expect(result.points).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].reason).toContain('time "56417" is not a plausible MJD (read as a Julian Date');
  });

  it('reads semicolon- and tab-separated files', () => {
    const semicolons = parsePhotometryCsv('time;mag;err;filter\n56417;14.0;;V\n56418;13,5;0,1;R\n');
    expect(semicolons.errors).toEqual([]);
    expect(semicolons.points).toEqual([
      { timestamp: new Date('2013-05-05T00:00:00Z'), magnitude: 14, error: null, filter: 'V', limit: null, facility: '', line: 2 },
      // Semicolon files come from spreadsheets that write decimal commas.
      { timestamp: new Date('2013-05-06T00:00:00Z'), magnitude: 13.5, error: 0.1, filter: 'R', limit: null, facility: '', line: 3 },
    ]);

    const tabs = parsePhotometryCsv('mjd\tmag\n56417\t14.0\n');
    expect(tabs.errors).toEqual([]);
    expect(tabs.points[0]).toMatchObject({ magnitude: 14, error: null, filter: 'unknown' });
  });

  it('reports a bad row at its physical line, counting comments, blank lines and CRLF endings', () => {
    const text = [
      '# exported by the reduction pipeline', // 1
      '', // 2
      'time,mag,err,filter', // 3
      '56417.0,14.2,0.03,V', // 4
      '# a comment between rows', // 5
      '', // 6
      '56417.1,abc,0.03,V', // 7
      '56417.2,14.4,-0.1,V', // 8
      '56417.3,14.5,0.03', // 9
      '56417.4,14.6,0.03,V', // 10
    ].join('\r\n');
    const result = parsePhotometryCsv(text);
    expect(result.points.map((point) => point.line)).toEqual([4, 10]);
    expect(result.errors).toHaveLength(3);
    expect(result.errors[0].line).toBe(7);
    expect(result.errors[0].reason).toContain('magnitude "abc" is not a number');
    expect(result.errors[1].line).toBe(8);
    expect(result.errors[1].reason).toContain('error "-0.1"');
    expect(result.errors[2]).toEqual({ line: 9, reason: 'expected 4 fields like the header but found 3' });
  });

  it('reports every problem on a row in one reason', () => {
    const result = parsePhotometryCsv('time,mag,err\nyesterday,99,x\n');
    expect(result.errors).toHaveLength(1);
    const { line, reason } = result.errors[0];
    expect(line).toBe(2);
    expect(reason).toContain('time "yesterday" is not an MJD, JD or ISO 8601 date');
    expect(reason).toContain('magnitude "99" is outside the plausible range -30 to 40');
    expect(reason).toContain('error "x" is not a number');
  });

  it.each([
    ['123456', 'time "123456" is not a plausible MJD'],
    ['-5', 'time "-5" is not a plausible MJD'],
    ['1700-01-01', 'time "1700-01-01" is not a plausible date'],
    ['2013-02-30', 'time "2013-02-30" is not an MJD, JD or ISO 8601 date'],
    ['2013-05-05T24:00:00', 'time "2013-05-05T24:00:00" is not an MJD, JD or ISO 8601 date'],
    ['', 'time is empty'],
  ])('rejects the time %p', (time, reason) => {
    const result = parsePhotometryCsv(`time,mag\n"${time}",10\n`);
    expect(result.points).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].reason).toContain(reason);
  });

  it.each([
    ['', 'magnitude is empty'],
    ['NaN', 'magnitude "NaN" is not a number'],
    ['Infinity', 'magnitude "Infinity" is not a number'],
    ['-31', 'magnitude "-31" is outside the plausible range'],
    ['40.5', 'magnitude "40.5" is outside the plausible range'],
  ])('rejects the magnitude %p', (magnitude, reason) => {
    const result = parsePhotometryCsv(`time,mag\n56417,${magnitude}\n`);
    expect(result.errors[0]).toEqual({ line: 2, reason: expect.stringContaining(reason) });
  });

  it('names the missing columns and the accepted names at the header line', () => {
    const noMagnitude = parsePhotometryCsv('# comment\nmjd,flux,filter\n56417,1.5,V\n');
    expect(noMagnitude.points).toEqual([]);
    expect(noMagnitude.errors).toEqual([
      { line: 2, reason: 'The header has no magnitude column (accepted names: mag, magnitude)' },
    ]);

    const neither = parsePhotometryCsv('a,b\n1,2\n');
    expect(neither.errors).toHaveLength(1);
    expect(neither.errors[0].line).toBe(1);
    expect(neither.errors[0].reason).toContain(`no time column (accepted names: ${PHOTOMETRY_COLUMN_NAMES.time.join(', ')})`);
    expect(neither.errors[0].reason).toContain('no magnitude column');
  });

  it('matches header names leniently', () => {
    const result = parsePhotometryCsv('" MJD ","Mag (AB)","Mag Err","PassBand"\n56417,10,0.1,B\n');
    expect(result.errors).toEqual([]);
    expect(result.points[0]).toMatchObject({ magnitude: 10, error: 0.1, filter: 'B' });
  });

  it('strips a UTF-8 byte order mark', () => {
    const result = parsePhotometryCsv('\uFEFFtime,mag\n56417,10\n');
    expect(result.errors).toEqual([]);
    expect(result.points).toHaveLength(1);
  });

  it('reads quoted fields, including doubled quotes and delimiters inside quotes', () => {
    const result = parsePhotometryCsv(
      'time,mag,filter\n56417,10,"Johnson V"\n56418,11,"SDSS ""r"", clear"\n56419,12,""\n',
    );
    expect(result.errors).toEqual([]);
    expect(result.points.map((point) => point.filter)).toEqual(['Johnson V', 'SDSS "r", clear', 'unknown']);
  });

  it('reports broken quoting on its line', () => {
    const result = parsePhotometryCsv('time,mag,filter\n56417,10,"V\n56418,10,"V"x\n');
    expect(result.errors).toEqual([
      { line: 2, reason: 'a quoted field has no closing quote' },
      { line: 3, reason: expect.stringContaining('unexpected text after a closing quote') },
    ]);
  });

  it('skips rows that are nothing but delimiters', () => {
    const result = parsePhotometryCsv('time,mag\n56417,10\n,\n,\n');
    expect(result.errors).toEqual([]);
    expect(result.points).toHaveLength(1);
  });

  it('reports an empty file at line 1', () => {
    const expected = [
      { line: 1, reason: 'The file is empty: expected a header line such as "time,magnitude,error,filter"' },
    ];
    expect(parsePhotometryCsv('')).toEqual({ points: [], errors: expected });
    expect(parsePhotometryCsv('\uFEFF\n\r\n  \n')).toEqual({ points: [], errors: expected });
    expect(parsePhotometryCsv('# only a comment\n')).toEqual({ points: [], errors: expected });
  });

  it('returns no points and no errors for a header without rows', () => {
    expect(parsePhotometryCsv('time,mag\n')).toEqual({ points: [], errors: [] });
  });

  it('refuses a filter over 32 characters on its line (a 100,000-character filter was accepted)', () => {
    const result = parsePhotometryCsv(`time,mag,filter\n56417,10,${'V'.repeat(100_000)}\n56418,10,${'r'.repeat(33)}\n56419,10,${'g'.repeat(32)}\n`);
    expect(result.errors).toEqual([
      { line: 2, reason: 'filter is at most 32 characters' },
      { line: 3, reason: 'filter is at most 32 characters (this one has 33)' },
    ]);
    expect(result.points.map((point) => point.filter)).toEqual(['g'.repeat(32)]);
  });

  it('cleans filters by the text rule: NFC, invisible, bidi and control characters out', () => {
    const result = parsePhotometryCsv('time,mag,filter\n56417,10,V\u200B\n56418,10,"\u202EH\u03b1"\n56419,10,Ha\u0308\n56420,10,\u200B\n');
    expect(result.errors).toEqual([]);
    expect(result.points.map((point) => point.filter)).toEqual(['V', 'H\u03b1', 'H\u00e4', 'unknown']);
  });

  it('takes off the apostrophe the CSV writer put before a formula-like filter', () => {
    const result = parsePhotometryCsv(`time,mag,filter\n56417,-1.5,'=HYPERLINK(""x"")\n56418,10,"'-B"\n56419,10,'plain\n`);
    expect(result.errors).toEqual([]);
    expect(result.points.map((point) => [point.magnitude, point.filter])).toEqual([
      [-1.5, '=HYPERLINK(""x"")'],
      [10, '-B'],
      [10, "'plain"],
    ]);
  });

  describe('TOM Toolkit\'s photometry CSV', () => {
    const TOM = [
      'time,filter,magnitude,error,limit,source',
      '60370.1,g,15.58,0.012,,ZTF',
      '60370.1,o,15.61,0.02,19.4,ATLAS',
      '60371.2,g,,,20.5,ZTF',
      '60372.25,V,16.1,0.05,,Las Cumbres 1m',
      '',
    ].join('\n');

    it('reads detections and non-detections (a limit alone), with the facility from `source`', () => {
      const result = parsePhotometryCsv(TOM);
      expect(result.errors).toEqual([]);
      expect(result.points).toEqual([
        { timestamp: new Date('2024-03-01T02:24:00Z'), magnitude: 15.58, error: 0.012, filter: 'g', limit: null, facility: 'ZTF', line: 2 },
        { timestamp: new Date('2024-03-01T02:24:00Z'), magnitude: 15.61, error: 0.02, filter: 'o', limit: 19.4, facility: 'ATLAS', line: 3 },
        { timestamp: new Date('2024-03-02T04:48:00Z'), magnitude: null, error: null, filter: 'g', limit: 20.5, facility: 'ZTF', line: 4 },
        { timestamp: new Date('2024-03-03T06:00:00Z'), magnitude: 16.1, error: 0.05, filter: 'V', limit: null, facility: 'Las Cumbres 1m', line: 5 },
      ]);
    });

    it('refuses, by line, a row with neither a magnitude nor a limit, an error without a magnitude, and bad limits', () => {
      const result = parsePhotometryCsv(
        ['time,filter,magnitude,error,limit,source', '60370.1,g,,,,ZTF', '60370.2,g,,0.1,20.1,ZTF', '60370.3,g,,,deep,ZTF', '60370.4,g,15,,41,ZTF', '60370.5,g,15,,,ZTF'].join('\n'),
      );
      expect(result.errors).toEqual([
        { line: 2, reason: 'magnitude and limit are both empty: a row needs a magnitude, a limit (a non-detection) or both' },
        { line: 3, reason: 'error "0.1" is given without a magnitude (a non-detection has only a limit)' },
        { line: 4, reason: 'limit "deep" is not a number' },
        { line: 5, reason: 'limit "41" is outside the plausible range -30 to 40' },
      ]);
      expect(result.points.map((point) => point.line)).toEqual([6]);
    });

    it('keeps the old message for an empty magnitude in a file without a limit column', () => {
      expect(parsePhotometryCsv('time,mag,source\n56417,,ZTF\n').errors).toEqual([{ line: 2, reason: 'magnitude is empty' }]);
    });

    it('reads a file of limits alone', () => {
      const result = parsePhotometryCsv('time,filter,limit\n56417,r,19.5\n');
      expect(result.errors).toEqual([]);
      expect(result.points).toEqual([{ timestamp: new Date('2013-05-05T00:00:00Z'), magnitude: null, error: null, filter: 'r', limit: 19.5, facility: '', line: 2 }]);
    });

    it('takes the facility from `facility`, `source`, `telescope` or `survey`, preferring them in that order', () => {
      expect(parsePhotometryCsv('time,mag,telescope\n56417,10,LT\n').points[0].facility).toBe('LT');
      expect(parsePhotometryCsv('time,mag,Survey\n56417,10,ASAS-SN\n').points[0].facility).toBe('ASAS-SN');
      expect(parsePhotometryCsv('time,mag,telescope,source\n56417,10,LT,ZTF\n').points[0].facility).toBe('ZTF');
      expect(parsePhotometryCsv('time,mag,source,facility\n56417,10,ZTF,Palomar 48-inch\n').points[0].facility).toBe('Palomar 48-inch');
      expect(parsePhotometryCsv('time,mag\n56417,10\n').points[0].facility).toBe('');
    });

    it('does not read the `source` of the portal\'s own export (time and mjd columns) as a facility', () => {
      const ours = parsePhotometryCsv('time,mjd,magnitude,error,filter,source\n2013-05-05T00:00:00.000Z,56417.00000000,12,,V,Ann Lee · API batch 2026-01-05 10:00 UTC (a long name for my notebook)\n');
      expect(ours.errors).toEqual([]);
      expect(ours.points[0]).toMatchObject({ magnitude: 12, facility: '', limit: null });
      const withFacility = parsePhotometryCsv('time,mjd,magnitude,error,filter,source,limit,facility\n2013-05-05T00:00:00.000Z,56417.00000000,,,V,Ann · file a.csv,19,ZTF\n');
      expect(withFacility.errors).toEqual([]);
      expect(withFacility.points[0]).toMatchObject({ magnitude: null, limit: 19, facility: 'ZTF' });
    });

    it('cleans the facility by the text rule and refuses one over 64 characters on its line', () => {
      const result = parsePhotometryCsv(`time,mag,source\n56417,10,Z\u200BTF\n56418,10,${'x'.repeat(65)}\n56419,10,'=cmd\n`);
      expect(result.errors).toEqual([{ line: 3, reason: 'facility is at most 64 characters (this one has 65)' }]);
      expect(result.points.map((point) => point.facility)).toEqual(['ZTF', '=cmd']);
    });
  });

  it(`stops after ${MAX_REPORTED_ROW_ERRORS} problems`, () => {
    const rows = Array.from({ length: 5000 }, () => 'x,y').join('\n');
    const result = parsePhotometryCsv(`time,mag\n${rows}\n`);
    expect(result.errors).toHaveLength(MAX_REPORTED_ROW_ERRORS + 1);
    expect(result.errors[MAX_REPORTED_ROW_ERRORS]).toEqual({ line: 101, reason: 'reading stopped after 100 problems; fix these and upload again' });
  });
});
