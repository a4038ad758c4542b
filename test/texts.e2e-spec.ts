import request from 'supertest';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { PROJECT_ROOT } from '../src/config/paths';
import { createTarget, LoggedIn, logOf, startTestPortal, TEST_PIPELINES, TestPortal, waitForRun } from './utils/test-app';

/**
 * Texts people see (issue 12, item 6): uploaded file names keep their UTF-8; names are one text rule (NFC, no
 * invisible characters, bidi and control characters refused, a length limit) at every door, so "M13" and "M13" +
 * U+200B are one target; runs name files by their uploaded names; an asset 404 under any mount is the portal's own
 * error, never a stack trace with server paths.
 */
describe('texts people see (e2e)', () => {
  let portal: TestPortal;
  let alice: LoggedIn;
  let admin: LoggedIn;
  let bearer: (method: 'get' | 'post' | 'patch', url: string) => request.Test;
  let targetId: number;

  const q = (sql: string, params: unknown[] = []) => portal.dataSource.query(sql, params);
  const count = async (table: string) => (await q(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;
  const pageUpload = (user: LoggedIn, target: number, bytes: Buffer, name: string, productType: string) =>
    user.agent
      .post(`/targets/${target}/data-products?_csrf=${encodeURIComponent(user.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', productType)
      .attach('files', bytes, name);
  const PHOTOMETRY = (filter: string) => Buffer.from(`time,mag,filter\n2013-05-05T04:31:02Z,12.5,${filter}\n`);

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    alice = await portal.login('alice', 'student');
    admin = await portal.login('operator', 'admin');
    const [row] = await q(`SELECT id FROM users WHERE username = 'alice'`);
    const { token } = await portal.app.get(ApiTokensService).create({ id: row.id }, 'texts');
    bearer = (method, url) => portal.http[method](url).set('Authorization', `Bearer ${token}`);
    targetId = await createTarget(alice, { name: 'Vega', ra: '279.23', dec: '38.78' });
  });
  afterAll(() => portal.close());

  describe('uploaded file names keep their UTF-8', () => {
    it('through the page: Mészáros_ü.csv is stored, listed and offered back as Mészáros_ü.csv', async () => {
      const response = await pageUpload(alice, targetId, PHOTOMETRY('V'), 'Mészáros_ü.csv', 'photometry').expect(201);
      expect(response.body.created[0].name).toBe('Mészáros_ü.csv');
      const id = response.body.created[0].id;
      expect(await q('SELECT original_name FROM data_products WHERE id = $1', [id])).toEqual([{ original_name: 'Mészáros_ü.csv' }]);
      expect(await q('SELECT DISTINCT source_name FROM reduced_data WHERE data_product_id = $1', [id])).toEqual([{ source_name: 'Mészáros_ü.csv' }]);
      const page = await alice.agent.get(`/targets/${targetId}`).expect(200);
      expect(page.text).toContain('Mészáros_ü.csv');
      expect(page.text).not.toContain('MÃ');
      const download = await alice.agent.get(`/data-products/${id}/download`).expect(200);
      expect(download.headers['content-disposition']).toBe('attachment; filename="Mészáros_ü.csv"');
    });

    it('through the API (bearer token), and a name decomposed as macOS sends it is stored composed (NFC)', async () => {
      const decomposed = 'Ke\u0301pe\u0301k_o\u0308.fits.txt';
      const response = await bearer('post', `/api/targets/${targetId}/data-products`)
        .field('productType', 'other')
        .attach('files', Buffer.from('notes'), 'Ünïcødé 星.txt')
        .attach('files', Buffer.from('other notes'), decomposed)
        .expect(201);
      expect(response.body.created.map((product: { name: string }) => product.name)).toEqual(['Ünïcødé 星.txt', 'Képék_ö.fits.txt']);
      const stored = await q('SELECT original_name FROM data_products WHERE id = ANY($1) ORDER BY id', [response.body.created.map((p: { id: number }) => p.id)]);
      expect(stored.map((row: { original_name: string }) => row.original_name)).toEqual(['Ünïcødé 星.txt', 'K\u00e9p\u00e9k_\u00f6.fits.txt']);
      const listed = await bearer('get', `/api/data-products/${response.body.created[0].id}`).expect(200);
      expect(listed.body.name).toBe('Ünïcødé 星.txt');
      // Beyond latin1, the download names the file in RFC 5987 form.
      const download = await bearer('get', `/api/data-products/${response.body.created[0].id}/download`).expect(200);
      expect(download.headers['content-disposition']).toContain("filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E6%98%9F.txt");
    });

    it('drops invisible and bidirectional characters from file names (the "gnp.exe" spoof)', async () => {
      const response = await pageUpload(alice, targetId, Buffer.from('x'), 'notes\u202Etxt.exe\u200B', 'other').expect(201);
      expect(response.body.created[0].name).toBe('notestxt.exe');
    });
  });

  describe('names are one text rule at every door', () => {
    it('"M13" and "M13" + U+200B are one target, on the page and in the API; the name is stored clean', async () => {
      const id = await createTarget(alice, { name: 'M13\u200B', ra: '250.42', dec: '36.46', aliases: 'NGC\u00a06205\uFEFF' });
      expect(await q('SELECT name, aliases FROM targets WHERE id = $1', [id])).toEqual([{ name: 'M13', aliases: ['NGC 6205'] }]);
      const before = await count('targets');
      const page = await alice.agent.post('/targets').type('form').send({ name: 'M13', ra: '1', dec: '1', _csrf: alice.csrf }).expect(400);
      expect(page.text).toContain('Another target is already called &quot;M13&quot;');
      const zeroWidth = await alice.agent.post('/targets').type('form').send({ name: '\u200BM13', ra: '1', dec: '1', _csrf: alice.csrf }).expect(400);
      expect(zeroWidth.text).toContain('Another target is already called');
      await bearer('post', '/api/targets').send({ name: 'M\u200D13', ra: 1, dec: 1 }).expect(409);
      const alias = await bearer('post', '/api/targets').send({ name: 'Hercules cluster', aliases: ['NGC 6205\u2060'], ra: 1, dec: 1 }).expect(409);
      expect(JSON.stringify(alias.body)).toContain('already names another target');
      expect(await count('targets')).toBe(before);
      // A search with the invisible character pasted in still finds it.
      expect((await bearer('get', '/api/targets?q=M13%E2%80%8B').expect(200)).body.items.map((t: { id: number }) => t.id)).toContain(id);
    });

    it('stores decomposed names composed, so the unique check sees them equal', async () => {
      const id = (await bearer('post', '/api/targets').send({ name: 'Me\u0301sza\u0301ros star', ra: 10, dec: 10 }).expect(201)).body.id;
      expect(await q('SELECT name FROM targets WHERE id = $1', [id])).toEqual([{ name: 'M\u00e9sz\u00e1ros star' }]);
      await bearer('post', '/api/targets').send({ name: 'M\u00e9sz\u00e1ros star', ra: 11, dec: 11 }).expect(409);
    });

    it('refuses bidirectional and control characters in names with a message, and stores nothing', async () => {
      const before = await count('targets');
      const page = await alice.agent.post('/targets').type('form').send({ name: 'M13\u202Egnp', ra: '1', dec: '1', _csrf: alice.csrf }).expect(400);
      expect(page.text).toContain('The name cannot contain bidirectional control characters');
      const api = await bearer('post', '/api/targets').send({ name: 'M13\u2066x', ra: 1, dec: 1 }).expect(400);
      expect(api.body.errors.name[0]).toContain('cannot contain bidirectional control characters');
      await bearer('post', '/api/targets').send({ name: 'M13\u0000', ra: 1, dec: 1 }).expect(400);
      expect(await count('targets')).toBe(before);
    });

    it('groups and lists: a name with an invisible character is the same name', async () => {
      const product = (await pageUpload(alice, targetId, Buffer.from('a'), 'a.txt', 'other').expect(201)).body.created[0].id;
      const group = await bearer('post', '/api/groups').send({ name: 'Night\u00a0 1\u200B', productIds: [product] }).expect(201);
      expect(group.body.name).toBe('Night 1');
      await bearer('post', '/api/groups').send({ name: '\uFEFFNight 1', productIds: [product] }).expect(409);
      const page = await alice.agent.post('/groups').type('form').send({ name: 'Night 1\u2060', productIds: String(product), _csrf: alice.csrf }).set('Accept', 'text/html');
      expect(page.status).toBe(409);
      expect(await q(`SELECT name FROM data_product_groups WHERE name LIKE 'Night%'`)).toEqual([{ name: 'Night 1' }]);

      await admin.agent.post('/target-lists').type('form').send({ name: 'Messier\u200B', _csrf: admin.csrf }).expect(303);
      await admin.agent.post('/target-lists').type('form').send({ name: '\uFEFFMessier', _csrf: admin.csrf }).set('Accept', 'text/html').expect(409);
      const bidi = await admin.agent.post('/target-lists').type('form').send({ name: 'Messier\u202E', _csrf: admin.csrf }).set('Accept', 'text/html').expect(400);
      expect(bidi.text).toContain('A list name cannot contain bidirectional control characters');
      expect(await q('SELECT name FROM target_lists')).toEqual([{ name: 'Messier' }]);
    });

    it('display names and class names follow the same rule', async () => {
      const profile = await alice.agent.post('/profile/display-name').type('form').send({ displayName: 'Ali\u200Bce Me\u0301sza\u0301ros', _csrf: alice.csrf });
      expect(profile.status).toBeLessThan(400);
      expect(await q(`SELECT display_name FROM users WHERE username = 'alice'`)).toEqual([{ display_name: 'Alice Mészáros' }]);
      const refused = await alice.agent.post('/profile/display-name').type('form').send({ displayName: 'Alice\u202Eadmin', _csrf: alice.csrf }).set('Accept', 'text/html');
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('The display name cannot contain bidirectional control characters');
      expect(await q(`SELECT display_name FROM users WHERE username = 'alice'`)).toEqual([{ display_name: 'Alice Mészáros' }]);

      const classes = await count('classrooms');
      const bad = await admin.agent.post('/api/classes').set('X-CSRF-Token', admin.csrf).send({ name: 'Year 10\u202E' }).expect(400);
      expect(bad.body.errors.name[0]).toContain('A class name cannot contain bidirectional control characters');
      const good = await admin.agent.post('/api/classes').set('X-CSRF-Token', admin.csrf).send({ name: ' Year\u200B 10 ' }).expect(201);
      expect(good.body.name).toBe('Year 10');
      expect(await count('classrooms')).toBe(classes + 1);
    });
  });

  describe('every text field has a limit', () => {
    it('refuses a 100,000-character photometry filter in an upload, naming the line, and stores nothing', async () => {
      const [products, points] = [await count('data_products'), await count('reduced_data')];
      const response = await pageUpload(alice, targetId, PHOTOMETRY('V'.repeat(100_000)), 'long-filter.csv', 'photometry').expect(400);
      expect(response.body.details).toEqual([{ line: 2, reason: 'long-filter.csv: filter is at most 32 characters' }]);
      expect([await count('data_products'), await count('reduced_data')]).toEqual([products, points]);
    });

    it('refuses an over-long filter, source, name, alias or extra field in the API, with the field and the limit', async () => {
      const points = await count('reduced_data');
      const filter = await bearer('post', `/api/targets/${targetId}/reduced-data`)
        .send({ points: [{ timestamp: '2013-05-05T04:31:02Z', magnitude: 12, filter: 'V'.repeat(33) }] })
        .expect(400);
      expect(filter.body.errors['points.0.filter'][0]).toBe('filter: The filter is at most 32 characters (this one has 33)');
      const source = await bearer('post', `/api/targets/${targetId}/reduced-data`)
        .send({ points: [{ timestamp: '2013-05-05T04:31:02Z', magnitude: 12 }], source: 's'.repeat(256) })
        .expect(400);
      expect(source.body.errors.source[0]).toContain('at most 255 characters');
      expect(await count('reduced_data')).toBe(points);

      const targets = await count('targets');
      const name = await bearer('post', '/api/targets').send({ name: 'x'.repeat(101), ra: 1, dec: 1 }).expect(400);
      expect(name.body.errors.name[0]).toContain('at most 100 characters');
      await bearer('post', '/api/targets').send({ name: 'ok', aliases: ['a'.repeat(101)], ra: 1, dec: 1 }).expect(400);
      const extra = await bearer('post', '/api/targets').send({ name: 'ok', extra: { note: 'n'.repeat(1001) }, ra: 1, dec: 1 }).expect(400);
      expect(extra.body.errors.extra[0]).toContain("An extra field's value is at most 1000 characters");
      expect(await count('targets')).toBe(targets);
    });

    it('cleans a filter sent through the API as the upload does', async () => {
      const added = await bearer('post', `/api/targets/${targetId}/reduced-data`)
        .send({ points: [{ timestamp: '2014-01-01T00:00:00Z', magnitude: 11, filter: 'H\u03b1\u200B' }], source: 'note\u200Bbook' })
        .expect(201);
      const rows = await q('SELECT source_name, value FROM reduced_data WHERE batch_id = $1', [added.body.batchId]);
      expect(rows).toEqual([{ source_name: 'notebook', value: { magnitude: 11, error: null, filter: 'Hα' } }]);
    });
  });

  describe('runs name files by their uploaded names', () => {
    it('a program that prints its input paths shows the uploaded names, never storage names or server folders', async () => {
      const product = (await pageUpload(alice, targetId, Buffer.from('some bytes'), 'Mészáros_ü.txt', 'other').expect(201)).body.created[0].id;
      const [{ stored_path: storedPath }] = await q('SELECT stored_path FROM data_products WHERE id = $1', [product]);
      const response = await alice.agent
        .post(`/targets/${targetId}/pipeline-runs`)
        .type('form')
        .send({ pipeline: 'Byte count', productIds: [String(product)], _csrf: alice.csrf })
        .expect(303);
      const runId = Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
      expect((await waitForRun(portal, runId, ['succeeded', 'failed'])).state).toBe('succeeded');
      const log = await logOf(portal, runId);
      expect(log).toContain('Counting bytes of Mészáros_ü.txt');
      const storedName = storedPath.split('/').pop().replace(/\..*$/, '');
      for (const line of log) {
        expect(line).not.toContain(storedName);
        expect(line).not.toContain(portal.dataDir);
      }
    });

    it("an unexpected error's trace keeps the pipeline's file and line but not the server's folders", async () => {
      const product = (await pageUpload(alice, targetId, Buffer.from('crash input'), 'crash.txt', 'other').expect(201)).body.created[0].id;
      const response = await alice.agent
        .post(`/targets/${targetId}/pipeline-runs`)
        .type('form')
        .send({ pipeline: 'Crasher', productIds: [String(product)], _csrf: alice.csrf })
        .expect(303);
      const runId = Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
      const run = await waitForRun(portal, runId, ['succeeded', 'failed']);
      expect(run.state).toBe('failed');
      const log = (await logOf(portal, runId)).join('\n');
      expect(log).toContain('test/fixtures/pipelines/crasher.js:');
      expect(log).not.toContain(PROJECT_ROOT);
      expect(run.failure_message).not.toContain(PROJECT_ROOT);
    });
  });

  describe('an asset 404 or error under any mount is the portal\'s own answer', () => {
    const LEAKS = /node_modules|at \w[\w.<>]* \(|Failed to lookup view/;

    it('under /admin/queues/: the portal error page or JSON, no stack, no server paths (a 404 there showed a stack trace)', async () => {
      for (const [url, status] of [
        ['/admin/queues/static/nope.js', 404],
        ['/admin/queues/static/..%2f..%2fpackage.json', 404],
        ['/admin/queues/static/%E0%A4%A', 400],
        ['/admin/queues/no/such/page', 404],
        ['/admin/queues/api/nope', 404],
      ] as const) {
        const html = await admin.agent.get(url).set('Accept', 'text/html');
        expect([url, html.status]).toEqual([url, status]);
        expect(html.text).toContain(`<title>Error ${status} · `);
        expect(html.text).not.toMatch(LEAKS);
        expect(html.text).not.toContain(PROJECT_ROOT);
        const json = await admin.agent.get(url).set('Accept', 'application/json');
        expect([url, json.status]).toEqual([url, status]);
        expect(json.body).toMatchObject({ statusCode: status });
        expect(json.text).not.toMatch(LEAKS);
        expect(json.text).not.toContain(PROJECT_ROOT);
      }
      // The board itself still works, its own assets included.
      const board = await admin.agent.get('/admin/queues').set('Accept', 'text/html').expect(200);
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(board.text)![1];
      await admin.agent.get(`/admin/queues/${script.replace(/^\/?(admin\/queues\/)?/, '')}`).expect(200);
    });

    it('under every other static mount, for anyone', async () => {
      for (const [url, status] of [
        ['/css/nope.css', 404],
        ['/css/%E0%A4%A', 400],
        ['/js/..%2f..%2fpackage.json', 404],
        ['/vendor/chart.js/nope.js', 404],
        ['/vendor/chart.js/%E0%A4%A', 400],
        ['/favicon.svg/x', 404],
        ['/api/docs/nope.css', 404],
      ] as const) {
        const html = await alice.agent.get(url).set('Accept', 'text/html');
        expect([url, html.status]).toEqual([url, status]);
        expect(html.text).not.toMatch(LEAKS);
        expect(html.text).not.toContain(PROJECT_ROOT);
      }
    });
  });
});
