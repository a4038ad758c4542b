import {
  fileNameOf,
  filterOf,
  orderSeries,
  ownerName,
  parseLightCurveView,
  parseSeriesKey,
  SeriesRow,
  seriesKey,
  seriesKeysFrom,
  sourceLabel,
  sourceRef,
  summarizeSeries,
} from './light-curve-series';

const ANN = '11111111-2222-4333-8444-555555555555';
const BOB = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const TEACHER = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';

const row = (fields: Partial<SeriesRow>): SeriesRow => ({
  ownerId: ANN,
  kind: 'run',
  ref: '7',
  facility: '',
  filter: 'V',
  sourceName: 'aperture_photometry_7',
  createdAt: new Date('2026-01-05T10:00:00Z'),
  username: 'ann',
  displayName: 'Ann Lee',
  visibility: 'private',
  points: 5,
  ...fields,
});

describe('light-curve views', () => {
  it('reads mine, class and everyone, defaults when absent and refuses anything else', () => {
    expect(parseLightCurveView('class')).toBe('class');
    expect(parseLightCurveView('everyone')).toBe('everyone');
    expect(parseLightCurveView(undefined)).toBe('mine');
    expect(parseLightCurveView('', 'everyone')).toBe('everyone');
    expect(parseLightCurveView('all')).toBeNull();
    expect(parseLightCurveView(['mine'])).toBeNull();
  });
});

describe('series keys', () => {
  it('round-trip every identity, URL-safe', () => {
    for (const identity of [
      { kind: 'run' as const, ref: '12', ownerId: ANN, facility: '', filter: 'V' },
      { kind: 'upload' as const, ref: '3', ownerId: null, facility: '', filter: 'SDSS "r", clear/+' },
      { kind: 'api' as const, ref: 'name:my notebook', ownerId: BOB, facility: '', filter: 'unfiltered instrumental' },
      { kind: 'upload' as const, ref: '4', ownerId: ANN, facility: 'Las Cumbres', filter: 'g' },
    ]) {
      const key = seriesKey(identity);
      expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(parseSeriesKey(key)).toEqual(identity);
    }
  });

  it('differ by owner, so two students\' identical sources are two series', () => {
    expect(seriesKey({ kind: 'upload', ref: '3', ownerId: ANN, facility: '', filter: 'V' })).not.toBe(seriesKey({ kind: 'upload', ref: '3', ownerId: BOB, facility: '', filter: 'V' }));
  });

  it('differ by facility, and stay the four-part keys of before for a series without one', () => {
    const ztf = seriesKey({ kind: 'upload', ref: '3', ownerId: ANN, facility: 'ZTF', filter: 'g' });
    const atlas = seriesKey({ kind: 'upload', ref: '3', ownerId: ANN, facility: 'ATLAS', filter: 'g' });
    expect(ztf).not.toBe(atlas);
    expect(JSON.parse(Buffer.from(ztf, 'base64url').toString('utf8'))).toEqual(['upload', '3', ANN, 'g', 'ZTF']);
    const plain = seriesKey({ kind: 'upload', ref: '3', ownerId: ANN, facility: '', filter: 'g' });
    expect(plain).toBe(Buffer.from(JSON.stringify(['upload', '3', ANN, 'g']), 'utf8').toString('base64url'));
  });

  it.each([
    ['', 'empty'],
    ['not base64!', 'not base64url'],
    [Buffer.from('{"a":1}').toString('base64url'), 'not an array'],
    [Buffer.from(JSON.stringify(['file', '1', '', 'V'])).toString('base64url'), 'an unknown kind'],
    [Buffer.from(JSON.stringify(['run', '1', 'robert', 'V'])).toString('base64url'), 'an owner that is not a uuid'],
    [Buffer.from(JSON.stringify(['run', '', '', 'V'])).toString('base64url'), 'no source'],
    [Buffer.from(JSON.stringify(['run', '1', '', 'V', 'x', 'y'])).toString('base64url'), 'six parts'],
    [Buffer.from(JSON.stringify(['run', '1', '', 'V', ''])).toString('base64url'), 'an empty fifth part (a series without a facility has four)'],
    [Buffer.from(JSON.stringify(['run', 1, '', 'V'])).toString('base64url'), 'a number for text'],
    ['A'.repeat(2001), 'too long'],
  ])('refuses %p (%s)', (key) => {
    expect(parseSeriesKey(key)).toBeNull();
  });

  it('agree with how a stored point is grouped (sourceRef, filterOf)', () => {
    const point = { dataProductId: 4, runId: null, batchId: null, sourceName: 'lc.csv' };
    expect(sourceRef('upload', point)).toBe('4');
    expect(sourceRef('run', { ...point, dataProductId: null, runId: 9 })).toBe('9');
    expect(sourceRef('api', { ...point, dataProductId: null, batchId: 'b1' })).toBe('b1');
    expect(sourceRef('api', { ...point, dataProductId: null })).toBe('name:lc.csv');
    expect(filterOf({ filter: 'R' })).toBe('R');
    expect(filterOf({ filter: '' })).toBe('unknown');
    expect(filterOf({ filter: 5 })).toBe('unknown');
    expect(filterOf({})).toBe('unknown');
  });

  it('are read from ?series= as a comma list; absent means every series, empty means none', () => {
    expect(seriesKeysFrom(undefined)).toBeUndefined();
    expect(seriesKeysFrom('')).toEqual([]);
    expect(seriesKeysFrom('a,b,,c')).toEqual(['a', 'b', 'c']);
    expect(seriesKeysFrom(['a', 'b,c'])).toEqual(['a', 'b', 'c']);
  });
});

describe('series labels', () => {
  it('name the student by display name, else username', () => {
    expect(ownerName({ displayName: 'Ann Lee', username: 'ann' })).toBe('Ann Lee');
    expect(ownerName({ displayName: '  ', username: 'ann' })).toBe('ann');
    expect(ownerName({ displayName: null, username: null })).toBe('no owner');
  });

  it('name the source: run identifier, uploaded file, or API batch with its date', () => {
    const createdAt = new Date('2026-01-05T10:04:59.900Z');
    expect(sourceLabel({ kind: 'run', sourceName: 'aperture_photometry_7', createdAt })).toBe('run aperture_photometry_7');
    expect(sourceLabel({ kind: 'upload', sourceName: 'lc.csv', createdAt })).toBe('file lc.csv');
    expect(sourceLabel({ kind: 'api', sourceName: 'api', createdAt })).toBe('API batch 2026-01-05 10:04 UTC');
    expect(sourceLabel({ kind: 'api', sourceName: 'my notebook', createdAt })).toBe('API batch 2026-01-05 10:04 UTC (my notebook)');
  });

  it('summarize a row: label, CSV origin, key and permission', () => {
    const summary = summarizeSeries(row({ displayName: null }), true);
    expect(summary).toMatchObject({
      label: 'ann · run aperture_photometry_7 · V',
      origin: 'ann · run aperture_photometry_7',
      owner: 'ann',
      source: 'run aperture_photometry_7',
      points: 5,
      canChange: true,
    });
    expect(parseSeriesKey(summary.key)).toEqual({ kind: 'run', ref: '7', ownerId: ANN, facility: '', filter: 'V' });
  });

  it('name the facility before the filter when the points name one', () => {
    const summary = summarizeSeries(row({ kind: 'upload', ref: '4', sourceName: 'sn.csv', facility: 'ZTF', filter: 'g' }), false);
    expect(summary).toMatchObject({ label: 'Ann Lee · file sn.csv · ZTF · g', origin: 'Ann Lee · file sn.csv', facility: 'ZTF', filter: 'g' });
    expect(parseSeriesKey(summary.key)).toEqual({ kind: 'upload', ref: '4', ownerId: ANN, facility: 'ZTF', filter: 'g' });
  });
});

describe('orderSeries', () => {
  it('lists the viewer\'s own first, then the target owner\'s, then others by name; sources by age, filters by code point', () => {
    const s = (fields: Partial<SeriesRow>) => summarizeSeries(row(fields), false);
    const series = [
      s({ ownerId: BOB, username: 'bob', displayName: null, ref: '1' }),
      s({ ownerId: TEACHER, username: 'teach', displayName: 'Ms Teach', ref: '2' }),
      s({ ownerId: ANN, ref: '9', filter: 'V', createdAt: new Date('2026-01-06T00:00:00Z') }),
      s({ ownerId: ANN, ref: '8', filter: 'V' }),
      s({ ownerId: ANN, ref: '8', filter: 'B' }),
      s({ ownerId: null, username: null, displayName: null, ref: '3' }),
    ];
    const ordered = orderSeries(series, ANN, TEACHER).map((x) => `${x.owner}/${x.ref}/${x.filter}`);
    expect(ordered).toEqual(['Ann Lee/8/B', 'Ann Lee/8/V', 'Ann Lee/9/V', 'Ms Teach/2/V', 'bob/1/V', 'no owner/3/V']);
  });

  it('orders one source\'s series by facility, then filter', () => {
    const s = (fields: Partial<SeriesRow>) => summarizeSeries(row(fields), false);
    const series = [s({ facility: 'ZTF', filter: 'r' }), s({ facility: 'ATLAS', filter: 'o' }), s({ facility: 'ZTF', filter: 'g' }), s({ facility: '', filter: 'V' })];
    expect(orderSeries(series, ANN, TEACHER).map((x) => `${x.facility}/${x.filter}`)).toEqual(['/V', 'ATLAS/o', 'ZTF/g', 'ZTF/r']);
  });
});

describe('fileNameOf', () => {
  it('keeps a file name to safe characters', () => {
    expect(fileNameOf('M 13 / Hercules')).toBe('M_13_Hercules');
  });
});
