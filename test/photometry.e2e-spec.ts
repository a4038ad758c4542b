import { parseSeriesKey } from '../src/reduced-data/light-curve-series';
import { createTarget, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

const GOOD_CSV = `# V and R photometry of a variable
time,magnitude,error,filter
60000.10,12.31,0.02,V
60000.20,12.35,0.02,V
60000.30,12.40,0.03,V
60000.15,11.80,0.04,R
2023-02-25T12:00:00Z,11.90,0.05,R
`;

const BAD_CSV = `mjd,mag,magerr,band
60001.10,12.31,0.02,V
60001.20,twelve,0.02,V
60001.30,12.40,0.03,V
`;

describe('photometry import and light curve (e2e)', () => {
  let portal: TestPortal;
  let student: LoggedIn;
  let targetId: number;

  beforeAll(async () => {
    portal = await startTestPortal();
    student = await portal.login('student1', 'student');
    targetId = await createTarget(student, { name: 'RR Lyr', ra: '291.3659', dec: '42.7844' });
  });
  afterAll(() => portal.close());

  const uploadCsv = (text: string, name: string) =>
    student.agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(student.csrf)}`)
      .field('productType', 'photometry')
      .attach('files', Buffer.from(text), name);

  const points = () =>
    portal.dataSource.query(
      `SELECT timestamp, value, data_product_id FROM reduced_data WHERE target_id = $1 AND data_type = 'photometry' ORDER BY timestamp, value->>'filter'`,
      [targetId],
    );

  it('imports every row of a good CSV as reduced data linked to its data product', async () => {
    const response = await uploadCsv(GOOD_CSV, 'lc.csv').set('Accept', 'application/json').expect(201);
    expect(response.body).toMatchObject({ pointsAdded: 5, pointsSkipped: 0 });
    const rows = await points();
    expect(rows).toHaveLength(5);
    expect(rows[0].value).toEqual({ magnitude: 12.31, error: 0.02, filter: 'V' });
    expect(new Date(rows[0].timestamp).toISOString()).toBe('2023-02-25T02:24:00.000Z'); // MJD 60000.10
    expect(rows.every((r: any) => r.data_product_id === response.body.created[0].id)).toBe(true);
    const iso = rows.find((r: any) => r.value.magnitude === 11.9);
    expect(new Date(iso.timestamp).toISOString()).toBe('2023-02-25T12:00:00.000Z');
  });

  it('adds no duplicates when the same file is uploaded again', async () => {
    const response = await uploadCsv(GOOD_CSV, 'lc-again.csv').set('Accept', 'application/json').expect(201);
    expect(response.body).toMatchObject({ pointsAdded: 0, pointsSkipped: 5 });
    expect(response.body.created).toHaveLength(0);
    expect(response.body.duplicates).toHaveLength(1);
    expect(await points()).toHaveLength(5);
  });

  it('adds no duplicates when overlapping points arrive in another file', async () => {
    const overlap = 'time,magnitude,error,filter\n60000.10,12.31,0.02,V\n60000.40,12.45,0.03,V\n';
    const response = await uploadCsv(overlap, 'overlap.csv').set('Accept', 'application/json').expect(201);
    expect(response.body).toMatchObject({ pointsAdded: 1, pointsSkipped: 1 });
    expect(await points()).toHaveLength(6);
  });

  it('reports a bad row by line number and reason, and keeps nothing of that file', async () => {
    const productsBefore = await portal.dataSource.query('SELECT id FROM data_products');
    const response = await uploadCsv(BAD_CSV, 'bad.csv').set('Accept', 'text/html').expect(400);
    expect(response.text).toContain('Line 3:');
    expect(response.text).toContain('bad.csv: magnitude &quot;twelve&quot; is not a number');
    expect(await points()).toHaveLength(6);
    expect(await portal.dataSource.query('SELECT id FROM data_products')).toEqual(productsBefore);
  });

  it('draws the light curve with one series per filter and source from the app-served chart library', async () => {
    const page = await student.agent.get(`/targets/${targetId}`).expect(200);
    // The page carries no points: the script fetches them from the canvas's data-src.
    expect(page.text).toContain(`<canvas id="light-curve" data-src="/targets/${targetId}/light-curve.json"`);
    expect(page.text).not.toContain('12.31');
    const curve = (await student.agent.get(`/targets/${targetId}/light-curve.json`).expect(200).expect('Content-Type', /json/)).body;
    // The overlapping file's point already in lc.csv's series stays there: overlap.csv's series has only its new one.
    expect(curve.series.map((series: { label: string }) => series.label)).toEqual([
      'student1 · file lc.csv · R',
      'student1 · file lc.csv · V',
      'student1 · file overlap.csv · V',
    ]);
    const v = curve.series[1];
    expect(v).toMatchObject({ filter: 'V', owner: 'student1', source: 'file lc.csv', sourceKind: 'upload', points: 3, canChange: true });
    expect([v.t[0], v.mag[0], v.err[0]]).toEqual([Date.parse('2023-02-25T02:24:00.000Z'), 12.31, 0.02]);
    expect(page.text).toContain('<script src="/vendor/chart.js/chart.umd.js"></script>');
    const chartJs = await student.agent.get('/vendor/chart.js/chart.umd.js').expect(200);
    expect(chartJs.text.length).toBeGreaterThan(100_000);
    const script = await student.agent.get('/js/light-curve.js').expect(200);
    expect(script.text).toContain('reverse: true');
    expect(script.text).toContain("getAttribute('data-src')");
  });

  it('serves the light curve as arrays equal to the stored points, oldest first, with the page’s access rule', async () => {
    // An API batch of the student's: a point without filter or error, and one whose magnitude is not a number
    // (left out of the curve).
    const [{ id: owner }] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'student1'`);
    await portal.dataSource.query(
      `INSERT INTO reduced_data (target_id, data_type, source_name, timestamp, value, owner_id, source_kind, batch_id) VALUES
         ($1, 'photometry', 'test', '2023-02-26T01:02:03.456Z', '{"magnitude": 13.25}', $2, 'api', '00000000-0000-4000-8000-000000000001'),
         ($1, 'photometry', 'test', '2023-02-26T02:00:00Z', '{"magnitude": "bright", "filter": "V"}', $2, 'api', '00000000-0000-4000-8000-000000000001')`,
      [targetId, owner],
    );
    const curve = (await student.agent.get(`/targets/${targetId}/light-curve.json`).expect(200)).body;
    for (const series of curve.series) {
      const { kind, ref, filter } = parseSeriesKey(series.key)!;
      const column = { upload: 'data_product_id', run: 'run_id', api: 'batch_id' }[kind];
      const stored: Array<{ timestamp: Date; value: { magnitude: number; error?: number } }> = await portal.dataSource.query(
        `SELECT timestamp, value FROM reduced_data WHERE target_id = $1 AND ${column}::text = $2 AND coalesce(nullif(value->>'filter', ''), 'unknown') = $3
            AND jsonb_typeof(value->'magnitude') = 'number' ORDER BY timestamp, id`,
        [targetId, ref, filter],
      );
      expect(series).toMatchObject({
        points: stored.length,
        t: stored.map((row) => new Date(row.timestamp).getTime()),
        mag: stored.map((row) => row.value.magnitude),
        err: stored.map((row) => row.value.error ?? null),
      });
    }
    const batch = curve.series.find((series: { sourceKind: string }) => series.sourceKind === 'api');
    expect(batch).toMatchObject({ filter: 'unknown', t: [Date.parse('2023-02-26T01:02:03.456Z')], mag: [13.25], err: [null] });
    expect(batch.label).toMatch(/^student1 · API batch \d{4}-\d\d-\d\d \d\d:\d\d UTC \(test\) · unknown$/);
    expect(curve.series.flatMap((series: { mag: unknown[] }) => series.mag)).not.toContain('bright');

    // Another student may not see this private target's curve; nobody logged out may.
    const other = await portal.login('student2', 'student');
    const refused = await other.agent.get(`/targets/${targetId}/light-curve.json`).set('Accept', 'application/json').expect(403);
    expect(refused.body.message).toMatch(/^This target is private/);
    await portal.http.get(`/targets/${targetId}/light-curve.json`).set('Accept', 'application/json').expect(401);
    await student.agent.get('/targets/999999/light-curve.json').set('Accept', 'application/json').expect(404);
    await portal.dataSource.query(`DELETE FROM reduced_data WHERE source_name = 'test'`);
  });

  it('answers a repeated light-curve request with 304 until the points change, then with the new points', async () => {
    const url = `/targets/${targetId}/light-curve.json`;
    const first = await student.agent.get(url).expect(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/"light-curve-\d+-mine-[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    await student.agent.get(url).set('If-None-Match', etag).expect(304);

    // A point added to the student's overlap.csv series, then deleted again: each time a new version and the curve as stored.
    await portal.dataSource.query(
      `INSERT INTO reduced_data (target_id, data_type, source_name, timestamp, value, owner_id, source_kind, data_product_id)
       SELECT target_id, 'photometry', 'etag', '2023-03-01T00:00:00Z', '{"magnitude": 14.5, "filter": "V"}', owner_id, 'upload', data_product_id
         FROM reduced_data WHERE target_id = $1 AND source_name = 'overlap.csv' LIMIT 1`,
      [targetId],
    );
    const added = await student.agent.get(url).set('If-None-Match', etag).expect(200);
    expect(added.headers.etag).not.toBe(etag);
    expect(added.body.series[2].mag).toContain(14.5);
    await portal.dataSource.query(`DELETE FROM reduced_data WHERE source_name = 'etag'`);
    const removed = await student.agent.get(url).set('If-None-Match', added.headers.etag).expect(200);
    expect(removed.body).toEqual(first.body);
    expect(removed.headers.etag).not.toBe(added.headers.etag);
  });

  it('deleting the photometry product deletes its points', async () => {
    const [product] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'overlap.csv'`);
    await student.agent.post(`/data-products/${product.id}/delete`).type('form').send({ _csrf: student.csrf }).expect(303);
    expect(await points()).toHaveLength(5);
  });
});
