import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { io as connect, Socket } from 'socket.io-client';
import { ApiTokensService } from '../../src/api-tokens/api-tokens.service';
import { header, kw } from '../../src/fits/testing/make-fits';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal, uploadOne, waitForRun } from '../utils/test-app';
import { eventually } from '../utils/fault-tools';

// Runs on whatever the suite is given (real servers or the embedded pair): every piece is in this one process.
const FAULT_PIPELINES = path.join(FIXTURES, 'pipelines', 'faults', 'faults.config.json');
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const M13_FZ = path.join(FIXTURES, 'M13_blue_0001.fits.fz');
const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** A .fits.gz whose header is followed by `zerosMiB` MiB of zeros: a few hundred KiB that inflate hugely. */
function gzipBomb(cards: string[], zerosMiB: number): Buffer {
  const chunks: Buffer[] = [zlib.gzipSync(header(...cards))];
  const zeros = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  // Concatenated gzip members are one valid gzip stream.
  for (let i = 0; i < zerosMiB; i++) chunks.push(zeros);
  return Buffer.concat(chunks);
}

/** The FITS header of HorseHead.fits and only part of its data. */
function truncatedFits(): Buffer {
  const bytes = fs.readFileSync(HORSEHEAD);
  const end = bytes.indexOf(Buffer.from('END'.padEnd(80, ' '), 'latin1'));
  const dataStart = Math.ceil((end + 80) / 2880) * 2880;
  return bytes.subarray(0, dataStart + 10_000);
}

describe('hostile input (e2e, fault)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let targetId: number;
  let baseUrl: string;

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: FAULT_PIPELINES, uploadMaxBytes: '4MiB' });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    teacher = await portal.login('teacher-hostile', 'teacher');
    alice = await portal.login('alice-hostile', 'student');
    bob = await portal.login('bob-hostile', 'student');
    targetId = await createTarget(teacher, { name: 'Hostile files', ra: '85', dec: '-2', visibility: 'public' });
  });
  afterAll(() => portal.close());

  const count = async (table: string) => Number((await portal.dataSource.query(`SELECT count(*) FROM ${table}`))[0].count);
  const upload = (user: LoggedIn, files: Array<{ buffer: Buffer; name: string }>, productType = 'fits_image') => {
    let req = user.agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(user.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', productType);
    for (const file of files) req = req.attach('files', file.buffer, file.name);
    return req;
  };
  /** Nothing half-written: no temp files, the same files under products/, the same rows. */
  async function expectNothingWritten(action: () => Promise<unknown>) {
    const before = { rows: await count('data_products'), files: filesUnder(path.join(portal.dataDir, 'products')).sort() };
    await action();
    expect(filesUnder(path.join(portal.dataDir, 'tmp'))).toEqual([]);
    expect(filesUnder(path.join(portal.dataDir, 'products')).sort()).toEqual(before.files);
    expect(await count('data_products')).toBe(before.rows);
  }

  describe('broken and absurd FITS files', () => {
    it('refuses a truncated FITS file, a cut header and a header claiming a 10^12-pixel image, storing nothing of the batch', async () => {
      const good = { buffer: fs.readFileSync(path.join(FIXTURES, 'aia_171_level1.fits')), name: 'good.fits' };
      const cases: Array<[Buffer, string, RegExp]> = [
        [truncatedFits(), 'truncated.fits', /truncated\.fits: not a readable FITS image \(.*data runs past end of file/],
        [fs.readFileSync(HORSEHEAD).subarray(0, 1000), 'cut-header.fits', /cut-header\.fits: not a readable FITS image \(.*truncated header/],
        [
          Buffer.concat([header(kw('SIMPLE', true), kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 1_000_000), kw('NAXIS2', 1_000_000)), Buffer.alloc(2880)]),
          'terapixel.fits',
          /terapixel\.fits: not a readable FITS image \(.*1000000000000 bytes/,
        ],
      ];
      for (const [buffer, name, message] of cases) {
        await expectNothingWritten(async () => {
          const response = await upload(teacher, [good, { buffer, name }]).expect(400);
          expect(JSON.stringify(response.body.details)).toMatch(message);
        });
      }
    });

    it('stores a corrupt or truncated .fz whose header is fine, and the preview refuses it with a message (no 500, no thumbnail)', async () => {
      const fz = fs.readFileSync(M13_FZ);
      const corrupt = Buffer.from(fz);
      for (let i = 20_000; i < corrupt.length; i += 7) corrupt[i] ^= 0x5a;
      const ids = [
        await uploadOne(teacher, targetId, corrupt, 'corrupt.fits.fz', 'fits_image'),
        await uploadOne(teacher, targetId, fz.subarray(0, Math.floor(fz.length / 2)), 'half.fits.fz', 'fits_image'),
      ];
      for (const id of ids) {
        const preview = await teacher.agent.get(`/data-products/${id}/preview.png?size=256`).set('Accept', 'application/json').expect(400);
        expect(preview.body.message).toMatch(/^No preview: .*(RICE_1 stream ends early|data runs past end of file)/);
        const row = await eventually('the thumbnail job to give up', async () => {
          const [product] = await portal.dataSource.query('SELECT thumbnail_path, preview_error FROM data_products WHERE id = $1', [id]);
          return product.preview_error ? product : null;
        });
        expect(row.thumbnail_path).toBeNull();
        // The target page shows "no preview" with the reason, and the product page still opens.
        const page = await teacher.agent.get(`/targets/${targetId}`).expect(200);
        expect(page.text).toMatch(/<span class="thumb-placeholder" title="[^"]*(RICE_1 stream ends early|data runs past end of file)[^"]*">no preview<\/span>/);
        await teacher.agent.get(`/data-products/${id}`).expect(200);
      }
    });

    it('refuses to inflate a gzip bomb: a header claiming 10^12 pixels, or a small image followed by 256 MiB of zeros', async () => {
      const terapixel = gzipBomb([kw('SIMPLE', true), kw('BITPIX', -64), kw('NAXIS', 2), kw('NAXIS1', 1_000_000), kw('NAXIS2', 1_000_000)], 256);
      const trailing = gzipBomb([kw('SIMPLE', true), kw('BITPIX', 8), kw('NAXIS', 2), kw('NAXIS1', 100), kw('NAXIS2', 100)], 256);
      expect(terapixel.length).toBeLessThan(1 << 20);
      const bombId = await uploadOne(teacher, targetId, terapixel, 'bomb.fits.gz', 'fits_image');
      const preview = await teacher.agent.get(`/data-products/${bombId}/preview.png`).set('Accept', 'application/json').expect(422);
      expect(preview.body.message).toBe('bomb.fits.gz: too large to preview (1,000,000,000,000 pixels, limit 50,000,000)');
      await eventually('the bomb thumbnail to be refused', async () => {
        const [row] = await portal.dataSource.query('SELECT preview_error FROM data_products WHERE id = $1', [bombId]);
        return /^Too large to preview \(1,000,000,000,000 pixels, limit 50,000,000\)$/.test(row.preview_error ?? '');
      });
      // Only the header and the 100x100 image are read, never the trailing zeros (src/fits/budget.spec.ts proves it
      // under a 1 MiB budget; the bombs spec watches the process's memory).
      const smallId = await uploadOne(teacher, targetId, trailing, 'trailing.fits.gz', 'fits_image');
      const png = await teacher.agent.get(`/data-products/${smallId}/preview.png?size=64`).expect(200);
      expect(png.headers['content-type']).toBe('image/png');
    });

    it('refuses an oversize file in the middle of a batch and keeps none of it', async () => {
      await expectNothingWritten(async () => {
        const response = await upload(
          teacher,
          [
            { buffer: Buffer.from('first file, fine'), name: 'first.txt' },
            { buffer: Buffer.alloc(5 * 1024 * 1024, 1), name: 'too-big.txt' },
            { buffer: Buffer.from('third'), name: 'third.txt' },
          ],
          'other',
        ).expect(413);
        expect(response.body.message).toBe('A file is larger than the upload limit of 4.0 MiB; nothing was uploaded.');
      });
    });
  });

  describe('file names', () => {
    it('keeps only a clean last segment of names with ../, backslashes, NUL and 1000 characters', async () => {
      // A NUL in a multipart header is malformed: refused whole, nothing kept.
      await expectNothingWritten(async () => {
        const refused = await upload(teacher, [{ buffer: Buffer.from('ok'), name: 'ok.txt' }, { buffer: Buffer.from('x'), name: 'nul\u0000byte.txt' }], 'other');
        expect(refused.status).toBe(400);
        expect(refused.body.message).toBe('The upload was interrupted or malformed; nothing was stored.');
      });
      const names = ['../../../../tmp/escape.txt', '..\\..\\windows\\evil.txt', `${'a'.repeat(1000)}.txt`, '....', `${XSS}.txt`];
      const response = await upload(
        teacher,
        names.map((name, i) => ({ buffer: Buffer.from(`content ${i}`), name })),
        'other',
      );
      expect(response.status).toBe(201);
      const rows = await portal.dataSource.query('SELECT original_name, stored_path FROM data_products WHERE id = ANY($1) ORDER BY id', [
        response.body.created.map((p: { id: number }) => p.id),
      ]);
      expect(rows).toHaveLength(names.length);
      for (const row of rows) {
        expect(row.original_name).not.toMatch(/[/\\]/);
        expect(row.original_name.includes(String.fromCharCode(0))).toBe(false);
        expect(row.original_name.length).toBeLessThanOrEqual(200);
        expect(row.original_name).not.toMatch(/^\./);
        expect(row.stored_path).toMatch(/^products\/[0-9a-f]{2}\/[0-9a-f-]{36}(\.[a-z0-9]+)?$/);
        expect(fs.existsSync(path.join(portal.dataDir, row.stored_path))).toBe(true);
      }
      expect(rows.map((r: { original_name: string }) => r.original_name).slice(0, 2)).toEqual(['escape.txt', 'evil.txt']);
      expect(fs.existsSync('/tmp/escape.txt')).toBe(false);
      // Every stored file is inside DATA_DIR/products.
      for (const file of filesUnder(portal.dataDir)) expect(path.relative(portal.dataDir, file)).not.toMatch(/^\.\./);
      // The HTML-looking name is shown escaped, and offered back quoted in Content-Disposition.
      const page = await teacher.agent.get(`/targets/${targetId}`).expect(200);
      expect(page.text).not.toContain('<img src=x');
      const [htmlNamed] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name LIKE '%onerror%'`);
      const download = await teacher.agent.get(`/data-products/${htmlNamed.id}/download`).expect(200);
      expect(download.headers['content-disposition']).toMatch(/^attachment; filename="[^"]*"/);
      expect(download.headers['content-type']).not.toContain('text/html');
    });
  });

  describe('HTML and script in every text field', () => {
    let privateTarget: number;
    let hostileRun: number;

    it('shows target names, aliases, extra fields, group, list and preset names, file names and log lines escaped', async () => {
      privateTarget = await createTarget(alice, {
        name: `Alice ${XSS}`.slice(0, 100),
        ra: '30',
        dec: '30',
        aliases: `alias<b>bold</b>, "><svg onload=alert(2)>`,
        extra: `note=${XSS}\nhref=javascript:alert(3)`,
        visibility: 'private',
      });
      const productId = await uploadOne(alice, privateTarget, Buffer.from('alice input'), `${XSS}.txt`, 'other');
      await alice.agent.post('/groups').type('form').send({ name: `Group ${XSS}`, productIds: String(productId), _csrf: alice.csrf }).expect(303);
      await alice.agent.post('/target-lists').type('form').send({ name: `List ${XSS}`.slice(0, 100), _csrf: alice.csrf }).expect(303);
      await teacher.agent.post('/pipelines/presets').type('form').send({ pipeline: 'Ticker', name: `Preset ${XSS}`.slice(0, 100), _csrf: teacher.csrf }).expect(303);
      const run = await alice.agent
        .post(`/targets/${privateTarget}/pipeline-runs`)
        .type('form')
        .send({ pipeline: 'Hostile echo', productIds: String(productId), _csrf: alice.csrf })
        .expect(303);
      hostileRun = Number(/\/pipeline\/(\d+)/.exec(run.headers.location)![1]);
      expect((await waitForRun(portal, hostileRun, ['succeeded', 'failed'], 30_000)).state).toBe('succeeded');
      const [logged] = await portal.dataSource.query(`SELECT text FROM pipeline_log_lines WHERE run_id = $1 AND text LIKE '%<script>%'`, [hostileRun]);
      expect(logged.text).toContain('<script>alert("log")</script>');
      const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name LIKE 'Group%'`);

      const pages = [
        '/targets',
        `/targets/${privateTarget}`,
        `/targets/${privateTarget}/edit`,
        `/targets/${privateTarget}/gallery`,
        `/data-products/${productId}`,
        '/groups',
        `/groups/${group.id}`,
        '/target-lists',
        '/pipelines',
        `/pipeline/${hostileRun}`,
      ];
      let escapedSeen = 0;
      for (const url of pages) {
        const page = await alice.agent.get(url).expect(200);
        const body = page.text;
        for (const raw of ['<script>alert', '<img src=x', '<svg onload', '<b>bold</b>', 'href="javascript:']) {
          if (body.includes(raw)) throw new Error(`${url} contains the raw text ${raw}`);
        }
        if (body.includes('&lt;script&gt;') || body.includes('&lt;img src&#x3D;x')) escapedSeen++;
      }
      expect(escapedSeen).toBeGreaterThanOrEqual(pages.length - 1);
      const runPage = await alice.agent.get(`/pipeline/${hostileRun}`).expect(200);
      expect(runPage.text).toContain('&lt;script&gt;alert(&quot;log&quot;)&lt;/script&gt;');
    });

    it('keeps another student out of every page, action, API route and Socket.IO room of a private target', async () => {
      const [product] = await portal.dataSource.query('SELECT id FROM data_products WHERE target_id = $1', [privateTarget]);
      const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name LIKE 'Group%'`);
      const pages = [
        `/targets/${privateTarget}`,
        `/targets/${privateTarget}/edit`,
        `/targets/${privateTarget}/gallery`,
        `/targets/${privateTarget}?rerun=${hostileRun}`,
        `/data-products/${product.id}`,
        `/data-products/${product.id}/download`,
        `/data-products/${product.id}/view`,
        `/data-products/${product.id}/thumbnail.png`,
        `/data-products/${product.id}/preview.png`,
        `/data-products/${product.id}/pixel?x=1&y=1`,
        `/pipeline/${hostileRun}`,
        `/pipeline/${hostileRun}/log?after=0`,
        `/pipeline/${hostileRun}/provenance.json`,
      ];
      for (const url of pages) {
        for (const accept of ['text/html', 'application/json']) {
          const response = await bob.agent.get(url).set('Accept', accept);
          if (![403, 404].includes(response.status)) throw new Error(`${url} (${accept}) answered ${response.status}`);
          expect(response.text).not.toContain('Alice &lt;script');
          expect(response.text).not.toContain('alice input');
        }
      }
      // The group of her products shows Bob none of them. (Target lists are shared by everyone, by design.)
      const groupPage = await bob.agent.get(`/groups/${group.id}`).set('Accept', 'text/html');
      expect(groupPage.text).not.toContain(`/data-products/${product.id}"`);

      const before = await portal.dataSource.query('SELECT (SELECT count(*) FROM data_products) p, (SELECT count(*) FROM pipeline_runs) r, (SELECT count(*) FROM data_product_groups) g, (SELECT count(*) FROM target_lists) l, (SELECT count(*) FROM targets) t');
      const posts: Array<[string, Record<string, string>]> = [
        [`/targets/${privateTarget}`, { name: 'Taken', type: 'sidereal', ra: '1', dec: '1' }],
        [`/targets/${privateTarget}/delete`, {}],
        [`/targets/${privateTarget}/pipeline-runs`, { pipeline: 'Ticker', productIds: String(product.id) }],
        [`/pipeline/${hostileRun}/cancel`, {}],
        [`/data-products/${product.id}/delete`, {}],
        ['/groups', { name: 'Stolen', productIds: String(product.id) }],
        [`/groups/${group.id}/delete`, {}],
        [`/groups/${group.id}/remove`, { productIds: String(product.id) }],
      ];
      for (const [url, body] of posts) {
        const response = await bob.agent.post(url).type('form').set('Accept', 'application/json').send({ ...body, _csrf: bob.csrf });
        if (![403, 404].includes(response.status)) throw new Error(`POST ${url} answered ${response.status}`);
      }
      const after = await portal.dataSource.query('SELECT (SELECT count(*) FROM data_products) p, (SELECT count(*) FROM pipeline_runs) r, (SELECT count(*) FROM data_product_groups) g, (SELECT count(*) FROM target_lists) l, (SELECT count(*) FROM targets) t');
      expect(after).toEqual(before);

      // The same through the JSON API, with Bob's own bearer token: every route with Alice's ids is refused.
      const [bobRow] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'bob-hostile'`);
      const { token } = await portal.app.get(ApiTokensService).create({ id: bobRow.id }, 'hostile');
      const api = (method: 'get' | 'post' | 'patch' | 'delete', url: string) => portal.http[method](url).set('Authorization', `Bearer ${token}`);
      const pointsBefore = await portal.dataSource.query('SELECT count(*)::int AS n FROM reduced_data WHERE target_id = $1', [privateTarget]);
      const apiCalls: Array<[('get' | 'post' | 'patch' | 'delete'), string, object?]> = [
        ['get', `/api/targets/${privateTarget}`],
        ['patch', `/api/targets/${privateTarget}`, { name: 'Taken' }],
        ['delete', `/api/targets/${privateTarget}`],
        ['get', `/api/targets/${privateTarget}/data-products`],
        ['get', `/api/targets/${privateTarget}/reduced-data`],
        ['post', `/api/targets/${privateTarget}/reduced-data`, { points: [{ timestamp: '2020-01-01T00:00:00Z', magnitude: 1 }] }],
        ['get', `/api/targets/${privateTarget}/photometry.csv`],
        ['get', `/api/data-products/${product.id}`],
        ['get', `/api/data-products/${product.id}/download`],
        ['delete', `/api/data-products/${product.id}`],
        ['post', '/api/groups', { name: 'Stolen', productIds: [product.id] }],
        ['post', `/api/groups/${group.id}/products`, { productIds: [product.id] }],
        ['delete', `/api/groups/${group.id}`],
        ['post', '/api/processes', { targetId: privateTarget, pipeline: 'Ticker', inputIds: [product.id] }],
        ['get', `/api/processes/${hostileRun}`],
        ['get', `/api/processes/${hostileRun}/log?after=0`],
        ['get', `/api/processes/${hostileRun}/provenance`],
        ['post', `/api/processes/${hostileRun}/cancel`],
      ];
      for (const [method, url, body] of apiCalls) {
        const response = await (body ? api(method, url).send(body) : api(method, url));
        if (![403, 404].includes(response.status)) throw new Error(`${method.toUpperCase()} ${url} answered ${response.status}`);
        expect(response.text).not.toContain('alice input');
        expect(response.text).not.toContain('Alice &lt;script');
      }
      const listed = await api('get', `/api/processes?target=${privateTarget}`);
      expect([200, 403, 404]).toContain(listed.status);
      if (listed.status === 200) expect(listed.body.items).toEqual([]);
      expect(await portal.dataSource.query('SELECT (SELECT count(*) FROM data_products) p, (SELECT count(*) FROM pipeline_runs) r, (SELECT count(*) FROM data_product_groups) g, (SELECT count(*) FROM target_lists) l, (SELECT count(*) FROM targets) t')).toEqual(before);
      expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM reduced_data WHERE target_id = $1', [privateTarget])).toEqual(pointsBefore);

      // Socket.IO: Bob's joins are refused and he hears nothing while Alice, in the same rooms, hears her run.
      const cookieOf = async (user: LoggedIn) => (await user.agent.get('/targets')).request.cookies;
      const bobSocket: Socket = connect(baseUrl, { extraHeaders: { Cookie: await cookieOf(bob) }, transports: ['websocket'] });
      const aliceSocket: Socket = connect(baseUrl, { extraHeaders: { Cookie: await cookieOf(alice) }, transports: ['websocket'] });
      try {
        const bobHeard: unknown[] = [];
        const aliceHeard: unknown[] = [];
        bobSocket.onAny((event, payload) => bobHeard.push([event, payload]));
        aliceSocket.on('log-lines', (lines: unknown[]) => aliceHeard.push(...lines));
        const connected = (socket: Socket) => new Promise((resolve) => (socket.connected ? resolve(true) : socket.once('connect', () => resolve(true))));
        await Promise.all([connected(bobSocket), connected(aliceSocket)]);
        const bobRun: any = await bobSocket.timeout(5000).emitWithAck('join-run', { runId: hostileRun, after: 0 });
        expect(bobRun).toEqual({ ok: false, error: expect.stringMatching(/private|not shared|not allowed|permission/i) });
        expect(JSON.stringify(bobRun)).not.toContain('alert');
        const bobTarget: any = await bobSocket.timeout(5000).emitWithAck('join-target', { targetId: privateTarget });
        expect(bobTarget.ok).toBe(false);
        expect((await aliceSocket.timeout(5000).emitWithAck('join-target', { targetId: privateTarget })).ok).toBe(true);
        const next = await alice.agent
          .post(`/targets/${privateTarget}/pipeline-runs`)
          .type('form')
          .send({ pipeline: 'Hostile echo', productIds: String(product.id), _csrf: alice.csrf })
          .expect(303);
        const nextId = Number(/\/pipeline\/(\d+)/.exec(next.headers.location)![1]);
        const joined: any = await aliceSocket.timeout(5000).emitWithAck('join-run', { runId: nextId, after: 0 });
        expect(joined.ok).toBe(true);
        expect((await bobSocket.timeout(5000).emitWithAck('join-run', { runId: nextId, after: 0 })).ok).toBe(false);
        await waitForRun(portal, nextId, ['succeeded', 'failed'], 30_000);
        await eventually('Alice to hear her run', () => aliceHeard.length + joined.lines.length > 0, 10_000);
        // Sockets deliver in order and the portal writes a broadcast to all its sockets at once: an answered round
        // trip on Bob's socket after Alice heard proves nothing of her run is still on its way to him.
        await bobSocket.timeout(5000).emitWithAck('join-run', { runId: 0 });
        expect(bobHeard).toEqual([]);
      } finally {
        bobSocket.disconnect();
        aliceSocket.disconnect();
      }
    });
  });

  describe('forged and oversized forms', () => {
    it('refuses every form route without a CSRF token (or with a wrong one), changing nothing', async () => {
      const [product] = await portal.dataSource.query('SELECT id FROM data_products WHERE target_id = $1 LIMIT 1', [targetId]);
      const [run] = await portal.dataSource.query('SELECT id FROM pipeline_runs LIMIT 1');
      const [group] = await portal.dataSource.query('SELECT id FROM data_product_groups LIMIT 1');
      const [list] = await portal.dataSource.query('SELECT id FROM target_lists LIMIT 1');
      const [preset] = await portal.dataSource.query('SELECT id FROM pipeline_presets LIMIT 1');
      const snapshot = () =>
        portal.dataSource.query(
          'SELECT (SELECT count(*) FROM data_products) p, (SELECT count(*) FROM pipeline_runs) r, (SELECT count(*) FROM data_product_groups) g, (SELECT count(*) FROM target_lists) l, (SELECT count(*) FROM targets) t, (SELECT count(*) FROM pipeline_presets) s, (SELECT string_agg(name, \',\' ORDER BY id) FROM targets) names',
        );
      const before = await snapshot();
      const routes: Array<[string, Record<string, string>]> = [
        ['/targets', { name: 'Forged', type: 'sidereal', ra: '1', dec: '1' }],
        [`/targets/${targetId}`, { name: 'Forged rename', type: 'sidereal', ra: '1', dec: '1' }],
        [`/targets/${targetId}/delete`, {}],
        [`/targets/${targetId}/pipeline-runs`, { pipeline: 'Ticker', productIds: String(product.id) }],
        [`/pipeline/${run.id}/cancel`, {}],
        [`/data-products/${product.id}/delete`, {}],
        ['/groups', { name: 'Forged group', productIds: String(product.id) }],
        ['/groups/add', { groupId: String(group.id), productIds: String(product.id) }],
        [`/groups/${group.id}/remove`, { productIds: String(product.id) }],
        [`/groups/${group.id}/delete`, {}],
        ['/target-lists', { name: 'Forged list' }],
        [`/target-lists/${list.id}/add`, { targetIds: String(targetId) }],
        [`/target-lists/${list.id}/remove`, { targetIds: String(targetId) }],
        [`/target-lists/${list.id}/delete`, {}],
        ['/pipelines/presets', { pipeline: 'Ticker', name: 'Forged preset' }],
        [`/pipelines/presets/${preset.id}/delete`, {}],
        ['/logout', {}],
      ];
      for (const [url, body] of routes) {
        for (const token of [undefined, 'not-the-token']) {
          const response = await teacher.agent.post(url).type('form').set('Accept', 'text/html').send(token ? { ...body, _csrf: token } : body);
          if (response.status !== 403) throw new Error(`POST ${url} without a valid CSRF token answered ${response.status}`);
        }
      }
      const multipart = await teacher.agent.post(`/targets/${targetId}/data-products`).field('productType', 'other').attach('files', Buffer.from('forged'), 'forged.txt');
      expect(multipart.status).toBe(403);
      expect(await snapshot()).toEqual(before);
      await teacher.agent.get('/targets').expect(200); // still logged in: the forged logout did nothing
    });

    it('refuses a run start with thousands of flags with a clear 400', async () => {
      const [product] = await portal.dataSource.query('SELECT id FROM data_products WHERE target_id = $1 LIMIT 1', [targetId]);
      const runsBefore = await count('pipeline_runs');
      for (const n of [50, 5000]) {
        const body: Record<string, string> = { pipeline: 'Ticker', productIds: String(product.id), _csrf: teacher.csrf };
        for (let i = 0; i < n; i++) body[`flag:f${i}`] = 'on';
        const response = await teacher.agent.post(`/targets/${targetId}/pipeline-runs`).type('form').set('Accept', 'application/json').send(body);
        expect(response.status).toBe(400);
        expect(response.body.message).toMatch(n === 50 ? /^Unknown flags: f0, f1/ : /^The form has too many fields/);
        expect(response.body.message.length).toBeLessThan(1000);
      }
      expect(await count('pipeline_runs')).toBe(runsBefore);
    });
  });
});
