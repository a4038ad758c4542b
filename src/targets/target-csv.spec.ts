import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShareChoice } from '../sharing/share-choice';
import { extraColumnName, plainDecimal, readTargetsCsv, TARGET_IMPORT_MAX_ROWS, TargetCsvReading, targetsToCsv } from './target-csv';

const TOM = path.join(__dirname, '..', '..', 'test', 'fixtures', 'tom');
const PRIVATE: ShareChoice = { visibility: 'private', classroomId: null };
const read = (text: string, share: ShareChoice = PRIVATE) => readTargetsCsv(text, share);
const reasonsOf = (reading: TargetCsvReading) => Object.fromEntries(reading.rows.filter((row) => row.reasons.length).map((row) => [row.line, row.reasons.join('; ')]));

describe('readTargetsCsv (TOM Toolkit\'s format)', () => {
  it('reads sidereal targets in degrees and sexagesimal, with aliases in one cell and other columns as extra fields', () => {
    const reading = read(fs.readFileSync(path.join(TOM, 'targets.csv'), 'utf8'));
    expect(reading.problems).toEqual([]);
    expect(reasonsOf(reading)).toEqual({});
    expect(reading.extraColumns).toEqual(['constellation', 'magnitude', 'observing notes']);
    const [m13, vega, betelgeuse, sirius] = reading.rows.map((row) => row.fields!);
    expect(m13).toMatchObject({ name: 'M13', type: 'sidereal', epoch: 2000, pmRa: null, aliases: ['NGC 6205', 'Hercules Cluster'], visibility: 'private', classroomId: null });
    expect(m13.ra).toBeCloseTo(250.42333, 4);
    expect(m13.dec).toBeCloseTo(36.46139, 4);
    expect(m13.extra).toEqual({ constellation: 'Hercules', magnitude: '5.8', 'observing notes': 'Best in June' });
    expect(vega).toMatchObject({ ra: 279.23473, dec: 38.78369, pmRa: 200.94, pmDec: 286.23, aliases: ['alf Lyr', 'HR 7001'], extra: { constellation: 'Lyra', magnitude: '0.03' } });
    expect(betelgeuse.ra).toBeCloseTo(88.79292, 4);
    expect(betelgeuse.dec).toBeCloseTo(7.40694, 4);
    expect(betelgeuse.extra['observing notes']).toBe('Variable, semi-regular');
    expect(sirius.dec).toBeCloseTo(-16.71611, 4);
    expect(sirius.extra).toMatchObject({ magnitude: '-1.46', 'observing notes': '=brightest in the night sky' });
    expect(reading.rows.map((row) => row.line)).toEqual([2, 3, 4, 5]);
  });

  it('reads non-sidereal targets: TOM\'s element names (perihdist is perihelion_distance), name2/name3 aliases, created not used', () => {
    const reading = read(fs.readFileSync(path.join(TOM, 'targets-non-sidereal.csv'), 'utf8'));
    expect(reasonsOf(reading)).toEqual({});
    expect(reading.ignoredColumns).toEqual(['created']);
    const [ceres, halley] = reading.rows.map((row) => row.fields!);
    expect(ceres).toMatchObject({ name: 'Ceres', type: 'non_sidereal', scheme: 'MPC_MINOR_PLANET', ra: null, dec: null, epoch: null, aliases: ['1 Ceres', 'A899 OF'], extra: { source: 'MPC' } });
    expect(ceres.elements).toEqual({
      epoch_of_elements: 60600,
      mean_anomaly: 188.7,
      arg_of_perihelion: 73.6,
      eccentricity: 0.0789,
      lng_asc_node: 80.25,
      inclination: 10.59,
      mean_daily_motion: 0.2141,
      semimajor_axis: 2.767,
    });
    expect(halley).toMatchObject({ scheme: 'MPC_COMET', aliases: ['1P/Halley'] });
    expect(halley.elements).toMatchObject({ epoch_of_perihelion: 46470.52, perihelion_distance: 0.586, eccentricity: 0.967 });
  });

  it('names every bad line with its reasons, column by column', () => {
    const reading = read(fs.readFileSync(path.join(TOM, 'targets-bad.csv'), 'utf8'));
    const reasons = reasonsOf(reading);
    expect(Object.keys(reasons).map(Number)).toEqual([3, 4, 5]);
    expect(reasons[3]).toMatch(/^ra: Right ascension hours must be between 0 and 24/);
    expect(reasons[4]).toBe('type: unknown type "PLANET"; write SIDEREAL or NON_SIDEREAL');
    expect(reasons[5]).toBe('name: A name is required');
    // The checks against the database and the rest of the file are the plan's.
    expect(reading.rows.find((row) => row.line === 8)!.fields!.name).toBe('M13');
  });

  it('refuses numbers the form would read loosely, elements on a sidereal line, and a non-sidereal line without a scheme', () => {
    const reading = read(
      [
        'name,type,ra,dec,epoch,pm_ra,scheme,eccentricity,perihdist',
        'Hex,SIDEREAL,1,1,0x7D0,,,,',
        'Mixed,SIDEREAL,1,1,,1_000,MPC_COMET,0.5,',
        'Comet,NON_SIDEREAL,,,,,,0.5,near',
        'Lost,NON_SIDEREAL,,,,,,0.5,',
      ].join('\n'),
    );
    expect(reasonsOf(reading)).toEqual({
      2: 'epoch: "0x7D0" is not a number',
      3: 'pm_ra: "1_000" is not a number; scheme, eccentricity: a scheme and orbital elements are for NON_SIDEREAL targets, and this line\'s type is SIDEREAL',
      4: 'perihdist: "near" is not a number; scheme: Choose a scheme: MPC_MINOR_PLANET, MPC_COMET, JPL_MAJOR_PLANET, EPHEMERIS',
      5: 'scheme: Choose a scheme: MPC_MINOR_PLANET, MPC_COMET, JPL_MAJOR_PLANET, EPHEMERIS',
    });
  });

  it('reads headers in any case, semicolons, quotes, a BOM and CRLF; an empty cell sets nothing', () => {
    const reading = read('\uFEFFName ; TYPE ; RA ; Dec ; Aliases ; Colour\r\n"Alpha; A" ; Sidereal ; 1 ; -2 ; ; \r\n\r\n;;;;;\r\n');
    expect(reasonsOf(reading)).toEqual({});
    expect(reading.rows).toHaveLength(1);
    expect(reading.rows[0].fields).toMatchObject({ name: 'Alpha; A', ra: 1, dec: -2, aliases: [], extra: {} });
  });

  it('shares every line as asked', () => {
    const reading = read('name,ra,dec\nA,1,1\n', { visibility: 'class', classroomId: 7 });
    expect(reading.rows[0].fields).toMatchObject({ visibility: 'class', classroomId: 7 });
  });

  it('refuses a file without a name column, a column named twice, an empty file and a header alone', () => {
    expect(read('ra,dec\n1,2\n').problems).toEqual([{ line: 1, reason: expect.stringContaining('"name" column') }]);
    expect(read('name,ra,RA,dec\nA,1,1,1\n').problems).toEqual([{ line: 1, reason: 'the header names the same column twice: "ra" and "RA"' }]);
    expect(read('name,perihdist,perihelion_distance\n').problems[0].reason).toContain('twice');
    expect(read('name,extra:ra,extra:ra\n').problems[0].reason).toContain('twice');
    expect(read('\n\n').problems).toEqual([{ line: 1, reason: expect.stringContaining('the file is empty') }]);
    expect(read('name,ra,dec\n').problems).toEqual([{ line: 1, reason: 'the file has a header but no targets' }]);
  });

  it('refuses a line with more values than the header names, a value under a nameless column, and broken quoting', () => {
    const reading = read('name,ra,dec,\nA,1,1,,\nB,1,1,2,3\nC,1,1,x\n"D,1,1\n');
    expect(reasonsOf(reading)).toEqual({ 3: expect.stringContaining('the line has 5 values but the header names 4 columns'), 4: '"x" is in a column the header gives no name' });
    expect(reading.problems).toEqual([{ line: 5, reason: expect.stringContaining('closing quote') }]);
  });

  it('takes at most TARGET_IMPORT_MAX_ROWS targets', () => {
    const lines = Array.from({ length: TARGET_IMPORT_MAX_ROWS + 1 }, (_, i) => `T${i},1,1`);
    const reading = read(`name,ra,dec\n${lines.join('\n')}\n`);
    expect(reading.rows).toHaveLength(TARGET_IMPORT_MAX_ROWS);
    expect(reading.problems).toEqual([{ line: TARGET_IMPORT_MAX_ROWS + 2, reason: expect.stringContaining(`at most ${TARGET_IMPORT_MAX_ROWS} targets`) }]);
  });

  it('keeps text rules: a control character in a name or extra value is refused, an invisible one removed', () => {
    const reading = read('name,notes\n"Bad\tName",x\nOK\u200b,"two\nlines"\n');
    expect(reasonsOf(reading)).toEqual({
      2: expect.stringContaining('name: The name cannot contain line breaks'),
      3: expect.stringContaining('notes: An extra field\'s value cannot contain line breaks'),
    });
    expect(reading.rows[1].name).toBe('OK');
  });
});

type Exported = Parameters<typeof targetsToCsv>[0] extends Iterable<infer T> ? T : never;

describe('targetsToCsv', () => {
  const base = { epoch: 2000, pmRa: null, pmDec: null, scheme: null, elements: {}, aliases: [] as string[], extra: {} as Record<string, string> };

  it('writes TOM\'s columns, the aliases in one cell and a column per extra field, read back to the same targets', () => {
    const targets: Exported[] = [
      { ...base, name: 'M13', type: 'sidereal' as const, ra: 250.4233333, dec: 36.4613889, aliases: ['NGC 6205', 'Hercules Cluster'], extra: { constellation: 'Hercules', notes: '=HYPERLINK("x")' } },
      { ...base, name: '-Minus', type: 'sidereal' as const, ra: 1e-7, dec: -2.5e-8, pmRa: -1.5, pmDec: 0, extra: { magnitude: '-1.46' } },
      {
        ...base,
        name: 'Ceres',
        type: 'non_sidereal' as const,
        ra: null,
        dec: null,
        epoch: null,
        scheme: 'MPC_MINOR_PLANET' as const,
        elements: { eccentricity: 0.0789, perihelion_distance: 2.55, ephemeris_id: 'JPL#1' },
        aliases: ['1 Ceres'],
      },
    ];
    const csv = targetsToCsv(targets);
    const [header, m13, minus, ceres] = csv.trimEnd().split('\n');
    expect(header).toBe(
      'name,type,ra,dec,epoch,pm_ra,pm_dec,scheme,epoch_of_elements,mean_anomaly,arg_of_perihelion,eccentricity,lng_asc_node,inclination,mean_daily_motion,semimajor_axis,epoch_of_perihelion,perihdist,ephemeris_id,aliases,constellation,magnitude,notes',
    );
    expect(m13).toBe('M13,SIDEREAL,250.4233333,36.4613889,2000,,,,,,,,,,,,,,,"NGC 6205, Hercules Cluster",Hercules,,"\'=HYPERLINK(""x"")"');
    expect(minus).toBe("'-Minus,SIDEREAL,0.0000001,-0.000000025,2000,-1.5,0,,,,,,,,,,,,,,,-1.46,");
    expect(ceres).toBe('Ceres,NON_SIDEREAL,,,,,,MPC_MINOR_PLANET,,,,0.0789,,,,,,2.55,JPL#1,1 Ceres,,,');

    const back = readTargetsCsv(csv, PRIVATE);
    expect(back.problems).toEqual([]);
    expect(reasonsOf(back)).toEqual({});
    expect(back.rows.map((row) => row.fields)).toEqual(targets.map((target) => ({ ...target, visibility: 'private', classroomId: null })));
  });

  it('writes an extra field whose key would read as another column as extra:KEY, and reads it back', () => {
    const target = { ...base, name: 'X', type: 'sidereal' as const, ra: 1, dec: 2, extra: { RA: 'typed', name2: 'not an alias', created: 'yesterday', 'extra:y': 'z', plain: 'p' } };
    const csv = targetsToCsv([target]);
    expect(csv.split('\n')[0]).toMatch(/,aliases,extra:RA,extra:created,extra:extra:y,extra:name2,plain$/);
    const back = readTargetsCsv(csv, PRIVATE);
    expect(back.rows[0].fields!.extra).toEqual(target.extra);
    expect(back.rows[0].fields!.aliases).toEqual([]);
    expect(extraColumnName('Constellation')).toBe('Constellation');
    expect(extraColumnName('Type')).toBe('extra:Type');
  });

  it('writes an empty file as the header alone', () => {
    expect(targetsToCsv([])).toBe('name,type,ra,dec,epoch,pm_ra,pm_dec,scheme,epoch_of_elements,mean_anomaly,arg_of_perihelion,eccentricity,lng_asc_node,inclination,mean_daily_motion,semimajor_axis,epoch_of_perihelion,perihdist,aliases\n');
  });

  it('plainDecimal: coordinates without an exponent, the same number when read', () => {
    for (const value of [0, 1e-7, -2.5e-8, 1.234567890123456e-10, 359.99999999999994, -89.123456789, 5e-324, 1e21]) {
      const text = plainDecimal(value)!;
      expect(text).not.toMatch(/e/i);
      expect(Number(text)).toBe(value);
    }
    expect(plainDecimal(null)).toBeNull();
  });
});
