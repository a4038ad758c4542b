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

  it('draws the light curve with one series per filter from the app-served chart library', async () => {
    const page = await student.agent.get(`/targets/${targetId}`).expect(200);
    const json = /<script type="application\/json" id="light-curve-data">([^<]*)<\/script>/.exec(page.text);
    expect(json).not.toBeNull();
    const curve = JSON.parse(json![1]);
    expect(Object.keys(curve).sort()).toEqual(['R', 'V']);
    expect(curve.V).toHaveLength(4);
    expect(curve.V[0]).toEqual({ t: '2023-02-25T02:24:00.000Z', mag: 12.31, err: 0.02 });
    expect(page.text).toContain('<script src="/vendor/chart.js/chart.umd.js"></script>');
    const chartJs = await student.agent.get('/vendor/chart.js/chart.umd.js').expect(200);
    expect(chartJs.text.length).toBeGreaterThan(100_000);
    const script = await student.agent.get('/js/light-curve.js').expect(200);
    expect(script.text).toContain('reverse: true');
  });

  it('deleting the photometry product deletes its points', async () => {
    const [product] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'overlap.csv'`);
    await student.agent.post(`/data-products/${product.id}/delete`).type('form').send({ _csrf: student.csrf }).expect(303);
    expect(await points()).toHaveLength(5);
  });
});
