import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/**
 * Photometry in TOM Toolkit's format (issue 17) on the real app: TOM's columns time (MJD), filter, magnitude, error,
 * limit, source (the survey or telescope, which the portal calls the facility). Uploaded through the page and the
 * API, refused by line, drawn as series per facility and filter with their limits, and exported back in TOM's
 * columns so a file goes out and comes in again unchanged.
 */
const TOM_CSV = path.join(FIXTURES, 'tom', 'photometry.csv');
const TOM_BAD_CSV = path.join(FIXTURES, 'tom', 'photometry-bad.csv');
const FIXTURE = fs.readFileSync(TOM_CSV, 'utf8');
const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);

interface Row {
  t: number;
  filter: string;
  magnitude: number | null;
  error: number | null;
  limit: number | null;
  facility: string;
}

/** The fixture's rows read here by hand (it has no quoted cells), not by the reader under test. */
const EXPECTED: Row[] = FIXTURE.trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [time, filter, magnitude, error, limit, source] = line.split(',');
    const number = (text: string) => (text === '' ? null : Number(text));
    return { t: Math.round(MJD_EPOCH_MS + Number(time) * 86_400_000), filter, magnitude: number(magnitude), error: number(error), limit: number(limit), facility: source };
  });

interface Series {
  key: string;
  label: string;
  filter: string;
  facility: string;
  source: string;
  points: number;
  t: number[];
  mag: Array<number | null>;
  err: Array<number | null>;
  lim: Array<number | null>;
}

describe('photometry in TOM Toolkit\'s format (e2e)', () => {
  let portal: TestPortal;
  let student: LoggedIn;
  let token: string;
  let targetId: number;

  beforeAll(async () => {
    portal = await startTestPortal();
    student = await portal.login('tom-student', 'student');
    const [{ id }] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'tom-student'`);
    token = (await portal.app.get(ApiTokensService).create({ id }, 'tom')).token;
    targetId = await createTarget(student, { name: 'SN 2024abc', ra: '150.1', dec: '2.2' });
  }, 60_000);
  afterAll(() => portal?.close());

  const pageUpload = (target: number, content: string | Buffer, name: string) =>
    student.agent
      .post(`/targets/${target}/data-products?_csrf=${encodeURIComponent(student.csrf)}`)
      .field('productType', 'photometry')
      .attach('files', Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  const bearer = (method: 'get' | 'post' | 'delete', url: string) => portal.http[method](url).set('Authorization', `Bearer ${token}`);
  const apiUpload = (target: number, content: string, name: string) =>
    bearer('post', `/api/targets/${target}/data-products`).field('productType', 'photometry').attach('files', Buffer.from(content), name);
  const stored = async (target: number): Promise<Row[]> =>
    (
      await portal.dataSource.query(
        `SELECT timestamp, value, "limit", facility FROM reduced_data WHERE target_id = $1 AND data_type = 'photometry' ORDER BY timestamp, id`,
        [target],
      )
    ).map((row: { timestamp: Date; value: Record<string, unknown>; limit: number | null; facility: string }) => ({
      t: new Date(row.timestamp).getTime(),
      filter: row.value.filter,
      magnitude: row.value.magnitude,
      error: row.value.error,
      limit: row.limit,
      facility: row.facility,
    }));
  const counts = async () => (await portal.dataSource.query(`SELECT (SELECT count(*) FROM reduced_data)::int AS points, (SELECT count(*) FROM data_products)::int AS products`))[0];
  const curve = async (target: number): Promise<Series[]> => (await student.agent.get(`/targets/${target}/light-curve.json`).expect(200)).body.series;
  const newTarget = (name: string) => createTarget(student, { name, ra: '150.1', dec: '2.2' });

  it('reads a TOM file uploaded on the target page: every row, non-detections with their limit and no magnitude', async () => {
    const response = await pageUpload(targetId, FIXTURE, 'photometry.csv').set('Accept', 'text/html').expect(303);
    expect(response.headers.location).toBe(`/targets/${targetId}#data`);
    expect((await student.agent.get(`/targets/${targetId}`).expect(200)).text).toContain('Uploaded 1 file. 19 photometry point(s) added, 0 already present.');
    expect(await stored(targetId)).toEqual(EXPECTED);
    // The fixture's kinds of rows: 4 non-detections (a limit alone), 6 detections that also report a limit.
    expect(EXPECTED.filter((row) => row.magnitude === null && row.limit !== null)).toHaveLength(4);
    expect(EXPECTED.filter((row) => row.magnitude !== null && row.limit !== null)).toHaveLength(6);
    const [{ value }] = await portal.dataSource.query(`SELECT value FROM reduced_data WHERE target_id = $1 AND "limit" = 20.61`, [targetId]);
    expect(value).toEqual({ magnitude: null, error: null, filter: 'g' });
  });

  it('adds no duplicates when the same rows come again, in the same file or inside another one', async () => {
    const again = await pageUpload(targetId, FIXTURE, 'photometry-again.csv').set('Accept', 'application/json').expect(201);
    expect(again.body).toMatchObject({ pointsAdded: 0, pointsSkipped: 19, created: [] });
    // Another file holding every row and one new non-detection: only that one is added.
    const more = `${FIXTURE}60416.5,g,,,19.8,ZTF\n`;
    const moreResponse = await pageUpload(targetId, more, 'more.csv').set('Accept', 'application/json').expect(201);
    expect(moreResponse.body).toMatchObject({ pointsAdded: 1, pointsSkipped: 19 });
    expect(await stored(targetId)).toHaveLength(20);
    // A row differing only in its limit, or only in its facility, is another point.
    const near = 'time,filter,magnitude,error,limit,source\n60400.112,g,,,20.62,ZTF\n60403.45,o,18.87,0.07,,ZTF\n';
    expect((await pageUpload(targetId, near, 'near.csv').set('Accept', 'application/json').expect(201)).body).toMatchObject({ pointsAdded: 2, pointsSkipped: 0 });
    for (const name of ['more.csv', 'near.csv']) {
      const [product] = await portal.dataSource.query('SELECT id FROM data_products WHERE original_name = $1', [name]);
      await student.agent.post(`/data-products/${product.id}/delete`).type('form').send({ _csrf: student.csrf }).expect(303);
    }
    expect(await stored(targetId)).toEqual(EXPECTED);
  });

  it('refuses a file with bad lines, page and API alike, naming each line and reason, and stores nothing of it', async () => {
    const before = await counts();
    const bad = fs.readFileSync(TOM_BAD_CSV, 'utf8');
    const page = await pageUpload(targetId, bad, 'photometry-bad.csv').set('Accept', 'text/html').expect(400);
    for (const line of [3, 4, 5, 6, 8]) expect(page.text).toContain(`Line ${line}:`);
    expect(page.text).not.toContain('Line 2:');
    expect(page.text).not.toContain('Line 7:');
    expect(page.text).toContain('photometry-bad.csv: magnitude and limit are both empty: a row needs a magnitude, a limit (a non-detection) or both');
    const api = await apiUpload(targetId, bad, 'photometry-bad.csv').expect(400);
    expect(api.body.details).toEqual([
      { line: 3, reason: 'photometry-bad.csv: magnitude and limit are both empty: a row needs a magnitude, a limit (a non-detection) or both' },
      { line: 4, reason: 'photometry-bad.csv: error "0.11" is given without a magnitude (a non-detection has only a limit)' },
      { line: 5, reason: 'photometry-bad.csv: limit "deep" is not a number' },
      { line: 6, reason: 'photometry-bad.csv: time "yesterday" is not an MJD, JD or ISO 8601 date such as 2013-05-05T04:31:02' },
      { line: 8, reason: 'photometry-bad.csv: expected 6 fields like the header but found 4' },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('reads the same file uploaded through the API to the same points', async () => {
    const apiTarget = await newTarget('SN 2024abc (API)');
    expect((await apiUpload(apiTarget, FIXTURE, 'photometry.csv').expect(201)).body).toMatchObject({ pointsAdded: 19, pointsSkipped: 0 });
    expect(await stored(apiTarget)).toEqual(EXPECTED);
  });

  it('draws one series per facility and filter, the light-curve JSON carrying limits and null magnitudes', async () => {
    const series = await curve(targetId);
    expect(series.map((s) => s.label)).toEqual([
      'tom-student · file photometry.csv · ATLAS · c',
      'tom-student · file photometry.csv · ATLAS · o',
      'tom-student · file photometry.csv · Las Cumbres 1m · B',
      'tom-student · file photometry.csv · Las Cumbres 1m · V',
      'tom-student · file photometry.csv · ZTF · g',
      'tom-student · file photometry.csv · ZTF · r',
    ]);
    // Every series is the fixture's rows of its facility and filter, oldest first.
    for (const s of series) {
      const rows = EXPECTED.filter((row) => row.facility === s.facility && row.filter === s.filter);
      expect(s).toMatchObject({
        points: rows.length,
        source: 'file photometry.csv',
        t: rows.map((row) => row.t),
        mag: rows.map((row) => row.magnitude),
        err: rows.map((row) => row.error),
        lim: rows.map((row) => row.limit),
      });
    }
    const ztfG = series.find((s) => s.facility === 'ZTF' && s.filter === 'g')!;
    expect(ztfG.mag).toEqual([null, 19.42, 17.51, null, 16.88]);
    expect(ztfG.lim).toEqual([20.61, 20.55, 20.6, 16.4, 20.4]);

    // The API's light curve is the same JSON; its series list and points name the facility and the limit.
    expect((await bearer('get', `/api/targets/${targetId}/light-curve?view=mine`).expect(200)).body.series).toEqual(series);
    const listed = (await bearer('get', `/api/targets/${targetId}/series`).expect(200)).body;
    expect(listed.map((s: { facility: string; filter: string }) => `${s.facility} ${s.filter}`)).toEqual(series.map((s) => `${s.facility} ${s.filter}`));
    expect(listed[0]).not.toHaveProperty('lim');
    const points = (await bearer('get', `/api/targets/${targetId}/reduced-data?limit=100`).expect(200)).body.items;
    expect(points.map((p: { timestamp: string; value: { magnitude: number | null }; limit: number | null; facility: string }) => [Date.parse(p.timestamp), p.value.magnitude, p.limit, p.facility])).toEqual(
      EXPECTED.map((row) => [row.t, row.magnitude, row.limit, row.facility]),
    );
    const keys = new Set(series.map((s) => s.key));
    expect(points.every((p: { seriesKey: string }) => keys.has(p.seriesKey))).toBe(true);
  });

  it('deletes one facility\'s series alone', async () => {
    const target = await newTarget('SN 2024abc (delete)');
    await pageUpload(target, FIXTURE, 'photometry.csv').set('Accept', 'application/json').expect(201);
    const atlasO = (await curve(target)).find((s) => s.facility === 'ATLAS' && s.filter === 'o')!;
    const deleted = await bearer('delete', `/api/targets/${target}/series/${atlasO.key}`).expect(200);
    expect(deleted.body).toEqual({ deleted: 4, label: 'tom-student · file photometry.csv · ATLAS · o' });
    expect(await stored(target)).toEqual(EXPECTED.filter((row) => !(row.facility === 'ATLAS' && row.filter === 'o')));
  });

  it('adds limits and facilities through the JSON API, and refuses a point with neither magnitude nor limit', async () => {
    const target = await newTarget('SN 2024abc (points)');
    const added = await bearer('post', `/api/targets/${target}/reduced-data`)
      .send({
        source: 'my notebook',
        points: [
          { timestamp: '2024-04-01T00:00:00Z', limit: 19.9, filter: 'g', facility: 'ZTF' },
          { timestamp: '2024-04-02T00:00:00Z', magnitude: 17.2, error: 0.05, limit: 20.1, filter: 'g', facility: 'ZTF' },
          { timestamp: '2024-04-02T00:00:00Z', magnitude: 17.3, filter: 'V' },
        ],
      })
      .expect(201);
    expect(added.body).toMatchObject({ added: 3, skipped: 0 });
    const series = await curve(target);
    expect(series.map((s) => s.label.replace(/API batch \S+ \S+ UTC/, 'API batch'))).toEqual([
      'tom-student · API batch (my notebook) · V',
      'tom-student · API batch (my notebook) · ZTF · g',
    ]);
    expect(series[1]).toMatchObject({ facility: 'ZTF', mag: [null, 17.2], err: [null, 0.05], lim: [19.9, 20.1] });
    expect(series[0]).toMatchObject({ facility: '', mag: [17.3], lim: [null] });

    const before = await counts();
    const refuse = async (point: object, field: string): Promise<string[]> => {
      const response = await bearer('post', `/api/targets/${target}/reduced-data`).send({ points: [point] }).expect(400);
      expect(Object.keys(response.body.errors)).toEqual([field]);
      return response.body.errors[field];
    };
    const neither = 'magnitude must be a number (a non-detection gives a limit instead)';
    expect(await refuse({ timestamp: '2024-04-03T00:00:00Z', filter: 'g' }, 'points.0.magnitude')).toContain(neither);
    expect(await refuse({ timestamp: '2024-04-03T00:00:00Z', magnitude: null, limit: null }, 'points.0.magnitude')).toContain(neither);
    expect(await refuse({ timestamp: '2024-04-03T00:00:00Z', error: 0.1, limit: 19 }, 'points.0.error')).toEqual(['error is given without a magnitude (a non-detection has only a limit)']);
    expect(await refuse({ timestamp: '2024-04-03T00:00:00Z', limit: 41 }, 'points.0.limit')).toEqual(['limit must not be greater than 40']);
    expect(await refuse({ timestamp: '2024-04-03T00:00:00Z', magnitude: 12, facility: 'x'.repeat(65) }, 'points.0.facility')).toEqual([
      'facility: The facility is at most 64 characters (this one has 65)',
    ]);
    expect(await counts()).toEqual(before);
  });

  it('exports in TOM\'s columns, byte for byte the file that came in, and re-imports it into a fresh target unchanged', async () => {
    const page = await student.agent.get(`/targets/${targetId}/light-curve.csv?format=tom`).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/csv/);
    expect(page.headers['content-disposition']).toContain('SN_2024abc_light_curve_mine_tom.csv');
    expect(page.text).toBe(FIXTURE);
    const api = await bearer('get', `/api/targets/${targetId}/photometry.csv?format=tom`).expect(200);
    expect(api.headers['content-disposition']).toContain('SN_2024abc_photometry_tom.csv');
    expect(api.text).toBe(FIXTURE);
    // Only the series left shown: one facility and filter.
    const ztfR = (await curve(targetId)).find((s) => s.facility === 'ZTF' && s.filter === 'r')!;
    const subset = await student.agent.get(`/targets/${targetId}/light-curve.csv?format=tom&series=${ztfR.key}`).expect(200);
    const ztfRLines = FIXTURE.trim().split('\n').filter((line) => line.split(',')[1] === 'r' && line.split(',')[5] === 'ZTF');
    expect(ztfRLines).toHaveLength(4);
    expect(subset.text.trim().split('\n')).toEqual(['time,filter,magnitude,error,limit,source', ...ztfRLines]);

    const fresh = await newTarget('SN 2024abc (round trip)');
    expect((await pageUpload(fresh, page.text, 'exported_tom.csv').set('Accept', 'application/json').expect(201)).body).toMatchObject({ pointsAdded: 19 });
    expect(await stored(fresh)).toEqual(await stored(targetId));
    expect((await student.agent.get(`/targets/${fresh}/light-curve.csv?format=tom`).expect(200)).text).toBe(FIXTURE);
  });

  it('exports the portal\'s own layout with limit and facility columns added, which re-imports unchanged too', async () => {
    const page = await student.agent.get(`/targets/${targetId}/light-curve.csv`).expect(200);
    const lines = page.text.trim().split('\n');
    expect(lines[0]).toBe('time,mjd,magnitude,error,filter,source,limit,facility');
    expect(lines[1]).toBe('2024-03-31T02:41:16.800Z,60400.11200000,,,g,tom-student · file photometry.csv,20.61,ZTF');
    const api = await bearer('get', `/api/targets/${targetId}/photometry.csv`).expect(200);
    expect(api.text).toBe(page.text);
    const fresh = await newTarget('SN 2024abc (portal layout)');
    expect((await apiUpload(fresh, page.text, 'exported.csv').expect(201)).body).toMatchObject({ pointsAdded: 19 });
    expect(await stored(fresh)).toEqual(await stored(targetId));
  });

  it('keeps the default export of a light curve without limits or facilities exactly as before, and refuses an unknown format', async () => {
    const plain = await newTarget('RR Lyr');
    await pageUpload(plain, 'time,magnitude,error,filter\n60000.1,12.31,0.02,V\n', 'lc.csv').set('Accept', 'application/json').expect(201);
    const csv = (await student.agent.get(`/targets/${plain}/light-curve.csv`).expect(200)).text;
    expect(csv).toBe('time,mjd,magnitude,error,filter,source\n2023-02-25T02:24:00.000Z,60000.10000000,12.31,0.02,V,tom-student · file lc.csv\n');
    expect((await student.agent.get(`/targets/${plain}/light-curve.csv?format=tom`).expect(200)).text).toBe('time,filter,magnitude,error,limit,source\n60000.1,V,12.31,0.02,,\n');
    const refused = await student.agent.get(`/targets/${plain}/light-curve.csv?format=xml`).set('Accept', 'application/json').expect(400);
    expect(refused.body.message).toBe('format must be one of portal, tom');
    const apiRefused = await bearer('get', `/api/targets/${plain}/photometry.csv?format=xml`).expect(400);
    expect(Object.keys(apiRefused.body.errors)).toEqual(['format']);
  });
});
