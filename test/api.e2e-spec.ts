import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { parsePhotometryCsv } from '../src/reduced-data/photometry-csv.reader';
import { FIXTURES, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');

/** Reads a response body as raw bytes (supertest only buffers text and JSON by itself). */
function binary(res: unknown, done: (error: Error | null, body: Buffer) => void) {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('JSON API (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let admin: LoggedIn;
  let alice: LoggedIn;
  let bob: LoggedIn;

  // Session-authenticated API calls: state-changing ones carry the CSRF token in X-CSRF-Token.
  const get = (user: LoggedIn, url: string) => user.agent.get(url);
  const post = (user: LoggedIn, url: string, body?: object) => user.agent.post(url).set('X-CSRF-Token', user.csrf).send(body);
  const patch = (user: LoggedIn, url: string, body: object) => user.agent.patch(url).set('X-CSRF-Token', user.csrf).send(body);
  const del = (user: LoggedIn, url: string) => user.agent.delete(url).set('X-CSRF-Token', user.csrf);
  const upload = (user: LoggedIn, targetId: number, file: string | Buffer, name: string, productType: string) =>
    user.agent
      .post(`/api/targets/${targetId}/data-products`)
      .set('X-CSRF-Token', user.csrf)
      .field('productType', productType)
      .attach('files', file, name);
  const createTarget = async (user: LoggedIn, body: object) => (await post(user, '/api/targets', body).expect(201)).body;

  beforeAll(async () => {
    portal = await startTestPortal();
    teacher = await portal.login('ms-lee', 'teacher');
    admin = await portal.login('operator', 'admin');
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
  });
  afterAll(() => portal.close());

  describe('authentication', () => {
    it('answers 401 JSON, never a redirect, when nobody is logged in', async () => {
      for (const [method, url] of [
        ['get', '/api/me'],
        ['get', '/api/targets'],
        ['get', '/api/processes'],
        ['post', '/api/targets'],
        ['post', '/api/processes'],
        ['delete', '/api/targets/1'],
      ] as const) {
        const response = await portal.http[method](url).set('Accept', 'text/html').expect(401);
        expect(response.headers['content-type']).toMatch(/application\/json/);
        expect(response.body).toEqual({ statusCode: 401, message: 'Please log in' });
      }
    });

    it('GET /api/me names the caller and gives session callers their CSRF token', async () => {
      const me = await get(alice, '/api/me').expect(200);
      expect(me.body).toMatchObject({ username: 'alice', role: 'student', csrfToken: alice.csrf });
      expect(me.body.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('refuses a session request that changes state without the CSRF header', async () => {
      const response = await alice.agent.post('/api/targets').set('Accept', 'text/html').send({ name: 'No token', ra: 1, dec: 1 }).expect(403);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.body.message).toMatch(/CSRF/);
      expect(await portal.dataSource.query(`SELECT 1 FROM targets WHERE name = 'No token'`)).toHaveLength(0);
    });

    it('answers 404 JSON for an unknown /api path', async () => {
      const response = await get(alice, '/api/nothing-here').expect(404);
      expect(response.body.statusCode).toBe(404);
    });
  });

  describe('targets', () => {
    let m13: number;

    it('creates a target from sexagesimal coordinates with aliases and extra fields', async () => {
      const created = await createTarget(alice, {
        name: 'M13',
        aliases: ['NGC 6205', 'Hercules Cluster'],
        ra: '16:41:41.64',
        dec: '+36:27:40.7',
        extra: { constellation: 'Hercules' },
        visibility: 'public',
      });
      m13 = created.id;
      expect(created).toMatchObject({ name: 'M13', aliases: ['NGC 6205', 'Hercules Cluster'], owner: 'alice', visibility: 'public', type: 'sidereal', epoch: 2000 });
      expect(created.raSexagesimal).toMatch(/^16:41:41\.6/);
      const [row] = await portal.dataSource.query('SELECT name, aliases, ra, dec, extra, visibility FROM targets WHERE id = $1', [m13]);
      expect(row.aliases).toEqual(['NGC 6205', 'Hercules Cluster']);
      expect(row.ra).toBeCloseTo(250.4235, 4);
      expect(row.dec).toBeCloseTo(36.46131, 4);
      expect(row.extra).toEqual({ constellation: 'Hercules' });
    });

    it('gets a target; 404 for a missing one; 403 for another student\'s private one', async () => {
      expect((await get(bob, `/api/targets/${m13}`).expect(200)).body.aliases).toContain('NGC 6205');
      expect((await get(bob, '/api/targets/999999').expect(404)).body).toEqual({ statusCode: 404, message: 'There is no target with id 999999' });
      const secret = await createTarget(alice, { name: 'Alice secret', ra: 10, dec: 10 });
      expect(secret.visibility).toBe('private');
      await get(bob, `/api/targets/${secret.id}`).expect(403);
      // Ms Lee teaches no class of Alice's: only an admin sees everything.
      await get(teacher, `/api/targets/${secret.id}`).expect(403);
      await get(admin, `/api/targets/${secret.id}`).expect(200);
      const bobsList = await get(bob, '/api/targets?limit=500').expect(200);
      expect(bobsList.body.items.map((t: { name: string }) => t.name)).not.toContain('Alice secret');
    });

    it('searches by alias and by cone (degrees or sexagesimal), nearest first with the distance', async () => {
      const byAlias = await get(bob, '/api/targets?q=hercules').expect(200);
      expect(byAlias.body.items.map((t: { id: number }) => t.id)).toEqual([m13]);
      await createTarget(teacher, { name: 'Near M13', ra: 250.6, dec: 36.5, visibility: 'public' });
      const cone = await get(bob, `/api/targets?ra=${encodeURIComponent('16:41:41.6')}&dec=${encodeURIComponent('+36:27:41')}&radius=0.5`).expect(200);
      expect(cone.body.items.map((t: { name: string }) => t.name)).toEqual(['M13', 'Near M13']);
      expect(cone.body.total).toBe(2);
      expect(cone.body.items[0].distance).toBeLessThan(0.001);
      expect(cone.body.items[1].distance).toBeGreaterThan(0.1);
      const far = await get(bob, '/api/targets?ra=100&dec=-20&radius=1').expect(200);
      expect(far.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
    });

    it('filters by target list', async () => {
      const [list] = await portal.dataSource.query(`INSERT INTO target_lists (name) VALUES ('Globulars') RETURNING id`);
      await portal.dataSource.query('INSERT INTO target_list_targets (target_list_id, target_id) VALUES ($1, $2)', [list.id, m13]);
      const listed = await get(alice, `/api/targets?list=${list.id}`).expect(200);
      expect(listed.body.items.map((t: { id: number }) => t.id)).toEqual([m13]);
      await get(alice, '/api/targets?list=9999').expect(404);
    });

    it('pages every list with limit and offset, counting all matches', async () => {
      for (let i = 1; i <= 5; i++) await createTarget(teacher, { name: `Page target ${i}`, ra: i, dec: i, visibility: 'public' });
      const first = await get(bob, '/api/targets?q=Page%20target&limit=2').expect(200);
      expect(first.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
      expect(first.body.items.map((t: { name: string }) => t.name)).toEqual(['Page target 1', 'Page target 2']);
      const last = await get(bob, '/api/targets?q=Page%20target&limit=2&offset=4').expect(200);
      expect(last.body.items.map((t: { name: string }) => t.name)).toEqual(['Page target 5']);
      expect(last.body.total).toBe(5);
    });

    it('refuses invalid input with 400 and the messages of each field', async () => {
      const badRa = await post(alice, '/api/targets', { name: 'Bad', ra: 400, dec: 0 }).expect(400);
      expect(badRa.body.message).toBe('Validation failed');
      expect(badRa.body.errors.ra[0]).toMatch(/Right ascension in degrees must be at least 0 and less than 360/);

      const several = await post(alice, '/api/targets', { name: 7, visibility: 'hidden', aliases: 'x' }).expect(400);
      expect(Object.keys(several.body.errors).sort()).toEqual(['aliases', 'name', 'visibility']);

      const unknown = await post(alice, '/api/targets', { name: 'Unknown field', ra: 1, dec: 1, colour: 'red' }).expect(400);
      expect(unknown.body.errors).toEqual({ colour: ['property colour should not exist'] });

      const missingDec = await post(alice, '/api/targets', { name: 'Needs dec', ra: 10 }).expect(400);
      expect(missingDec.body.errors).toEqual({ dec: ['Declination is required'] });

      const query = await get(alice, '/api/targets?limit=1000&offset=-1').expect(400);
      expect(Object.keys(query.body.errors).sort()).toEqual(['limit', 'offset']);
      const cone = await get(alice, '/api/targets?ra=abc').expect(400);
      expect(Object.keys(cone.body.errors).sort()).toEqual(['dec', 'ra', 'radius']);
      expect(cone.body.errors.ra[0]).toMatch(/Cannot read right ascension "abc"/);
      await get(alice, '/api/targets?sort=name').expect(400);
      // A path id that cannot be an id names nothing: 404 (src/common/request-parsing.ts).
      await get(alice, '/api/targets/abc').expect(404);
      expect(await portal.dataSource.query(`SELECT 1 FROM targets WHERE name IN ('Bad', 'Unknown field', 'Needs dec')`)).toHaveLength(0);
    });

    it('refuses a name or alias another target has with 409', async () => {
      const clash = await post(bob, '/api/targets', { name: 'Bob cluster', aliases: ['ngc 6205'], ra: 1, dec: 1 }).expect(409);
      expect(clash.body.errors.aliases[0]).toMatch(/already names another target/);
    });

    it('PATCH changes only the fields sent, for the owner or an admin', async () => {
      const updated = await patch(alice, `/api/targets/${m13}`, { aliases: ['NGC 6205'], extra: { note: 'bright' } }).expect(200);
      expect(updated.body).toMatchObject({ name: 'M13', aliases: ['NGC 6205'], extra: { note: 'bright' }, visibility: 'public' });
      expect(updated.body.ra).toBeCloseTo(250.4235, 4);
      await patch(bob, `/api/targets/${m13}`, { name: 'Stolen' }).expect(403);
      await patch(teacher, `/api/targets/${m13}`, { epoch: 2000 }).expect(403);
      await patch(admin, `/api/targets/${m13}`, { epoch: 2015.5 }).expect(200);
      const [row] = await portal.dataSource.query('SELECT name, aliases, epoch FROM targets WHERE id = $1', [m13]);
      expect(row).toEqual({ name: 'M13', aliases: ['NGC 6205'], epoch: 2015.5 });
      expect((await patch(alice, `/api/targets/${m13}`, { dec: '+95:00:00' }).expect(400)).body.errors.dec[0]).toMatch(/between -90 and \+90/);
      await patch(alice, '/api/targets/999999', { name: 'x' }).expect(404);
    });

    it('DELETE removes a target for its owner only', async () => {
      const doomed = await createTarget(alice, { name: 'Doomed', ra: 5, dec: 5, visibility: 'public' });
      await del(bob, `/api/targets/${doomed.id}`).expect(403);
      await del(alice, `/api/targets/${doomed.id}`).expect(204);
      expect(await portal.dataSource.query('SELECT 1 FROM targets WHERE id = $1', [doomed.id])).toHaveLength(0);
      await del(alice, `/api/targets/${doomed.id}`).expect(404);
    });
  });

  describe('data products', () => {
    let targetId: number;
    let privateId: number;
    let fitsId: number;

    beforeAll(async () => {
      targetId = (await createTarget(alice, { name: 'Horsehead', ra: 85.2458, dec: -2.4583, visibility: 'public' })).id;
      privateId = (await createTarget(alice, { name: 'Alice private frames', ra: 20, dec: 20 })).id;
    });

    it('uploads a FITS file (multipart) and downloads the same bytes', async () => {
      const response = await upload(alice, targetId, HORSEHEAD, 'HorseHead.fits', 'fits_image').expect(201);
      expect(response.body).toMatchObject({ duplicates: [], pointsAdded: 0, pointsSkipped: 0 });
      fitsId = response.body.created[0].id;
      const original = fs.readFileSync(HORSEHEAD);
      const [row] = await portal.dataSource.query('SELECT original_name, product_type, size, sha256 FROM data_products WHERE id = $1', [fitsId]);
      expect(row).toEqual({ original_name: 'HorseHead.fits', product_type: 'fits_image', size: String(original.length), sha256: response.body.created[0].sha256 });

      const meta = await get(bob, `/api/data-products/${fitsId}`).expect(200);
      expect(meta.body).toMatchObject({ id: fitsId, targetId, name: 'HorseHead.fits', productType: 'fits_image', size: original.length, downloadUrl: `/api/data-products/${fitsId}/download` });
      expect(meta.body).not.toHaveProperty('storedPath');

      const download = await get(bob, `/api/data-products/${fitsId}/download`).buffer(true).parse(binary).expect(200);
      expect(Buffer.compare(download.body as Buffer, original)).toBe(0);
      expect(download.headers['content-disposition']).toContain('HorseHead.fits');
      expect(download.headers['x-content-sha256']).toBe(row.sha256);
    });

    it('stores a batch all or nothing: one bad file refuses every file', async () => {
      const before = await portal.dataSource.query('SELECT count(*)::int AS n FROM data_products');
      const refused = await alice.agent
        .post(`/api/targets/${targetId}/data-products`)
        .set('X-CSRF-Token', alice.csrf)
        .field('productType', 'fits_image')
        .attach('files', path.join(FIXTURES, 'm13-blue-2013-05-05', 'M13_blue_0001.fits.gz'), 'M13_blue_0001.fits.gz')
        .attach('files', Buffer.from('not a FITS file at all'), 'fake.fits')
        .expect(400);
      expect(refused.body.message).toMatch(/Nothing was uploaded/);
      expect(refused.body.details[0].reason).toMatch(/fake\.fits: not a readable FITS image/);
      expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM data_products')).toEqual(before);
      expect(fs.readdirSync(path.join(portal.dataDir, 'tmp'))).toEqual([]);

      const badType = await upload(alice, targetId, Buffer.from('x'), 'x.txt', 'movie').expect(400);
      expect(badType.body.errors.productType[0]).toMatch(/productType must be one of the following values/);
      const extra = await alice.agent
        .post(`/api/targets/${targetId}/data-products`)
        .set('X-CSRF-Token', alice.csrf)
        .field('productType', 'other')
        .field('colour', 'red')
        .attach('files', Buffer.from('x'), 'x.txt')
        .expect(400);
      expect(extra.body.errors).toEqual({ colour: ['property colour should not exist'] });
      const json = await post(alice, `/api/targets/${targetId}/data-products`, { productType: 'other' }).expect(400);
      expect(json.body.message).toMatch(/multipart\/form-data/);
    });

    it('lists a target\'s products with paging; a duplicate file is not stored twice', async () => {
      await upload(alice, targetId, Buffer.from('notes one'), 'one.txt', 'other').expect(201);
      await upload(alice, targetId, Buffer.from('notes two'), 'two.txt', 'other').expect(201);
      const again = await upload(alice, targetId, HORSEHEAD, 'copy.fits', 'fits_image').expect(201);
      expect(again.body.created).toEqual([]);
      expect(again.body.duplicates).toEqual([expect.objectContaining({ id: fitsId, name: 'HorseHead.fits' })]);
      const page = await get(bob, `/api/targets/${targetId}/data-products?limit=2`).expect(200);
      expect(page.body.total).toBe(3);
      expect(page.body.items.map((p: { name: string }) => p.name)).toEqual(['two.txt', 'one.txt']);
      const rest = await get(bob, `/api/targets/${targetId}/data-products?limit=2&offset=2`).expect(200);
      expect(rest.body.items.map((p: { name: string }) => p.name)).toEqual(['HorseHead.fits']);
    });

    it('keeps another student\'s private target\'s products out of reach', async () => {
      const created = await upload(alice, privateId, Buffer.from('private notes'), 'secret.txt', 'other').expect(201);
      const secretId = created.body.created[0].id;
      await get(bob, `/api/targets/${privateId}/data-products`).expect(403);
      await get(bob, `/api/data-products/${secretId}`).expect(403);
      await get(bob, `/api/data-products/${secretId}/download`).expect(403);
      await del(bob, `/api/data-products/${secretId}`).expect(403);
      await upload(bob, privateId, Buffer.from('intruder'), 'intruder.txt', 'other').expect(403);
      expect(await portal.dataSource.query('SELECT original_name FROM data_products WHERE target_id = $1', [privateId])).toEqual([{ original_name: 'secret.txt' }]);
      await get(teacher, `/api/data-products/${secretId}`).expect(403);
      expect((await get(admin, `/api/data-products/${secretId}`).expect(200)).body).toMatchObject({ owner: 'alice', visibility: 'private', classroomId: null });
    });

    it('deletes a product (its uploader, their teacher or an admin) with its file', async () => {
      const created = await upload(alice, targetId, Buffer.from('to delete'), 'delete-me.txt', 'other').expect(201);
      const id = created.body.created[0].id;
      const [{ stored_path }] = await portal.dataSource.query('SELECT stored_path FROM data_products WHERE id = $1', [id]);
      expect(fs.existsSync(path.join(portal.dataDir, stored_path))).toBe(true);
      await del(bob, `/api/data-products/${id}`).expect(403);
      await del(alice, `/api/data-products/${id}`).expect(204);
      expect(await portal.dataSource.query('SELECT 1 FROM data_products WHERE id = $1', [id])).toHaveLength(0);
      expect(fs.existsSync(path.join(portal.dataDir, stored_path))).toBe(false);
      await get(alice, `/api/data-products/${id}`).expect(404);
    });
  });

  describe('groups', () => {
    let targetId: number;
    let productIds: number[];

    beforeAll(async () => {
      targetId = (await createTarget(alice, { name: 'Group target', ra: 30, dec: 30, visibility: 'public' })).id;
      productIds = [];
      for (const name of ['a.txt', 'b.txt', 'c.txt']) {
        productIds.push((await upload(alice, targetId, Buffer.from(`content of ${name}`), name, 'other').expect(201)).body.created[0].id);
      }
    });

    it('creates a group from product ids, adds products, lists and gets it', async () => {
      const created = await post(alice, '/api/groups', { name: 'First two', productIds: productIds.slice(0, 2), visibility: 'public' }).expect(201);
      expect(created.body).toMatchObject({ name: 'First two', productCount: 2, createdBy: 'alice', visibility: 'public', classroomId: null });
      const groupId = created.body.id;
      const members = await portal.dataSource.query('SELECT data_product_id AS id FROM data_product_group_members WHERE group_id = $1 ORDER BY 1', [groupId]);
      expect(members.map((m: { id: number }) => m.id)).toEqual(productIds.slice(0, 2));

      // Seeing a group is not owning it: only its maker (her teachers, an admin) adds to it.
      await post(bob, `/api/groups/${groupId}/products`, { productIds }).expect(403);
      const added = await post(alice, `/api/groups/${groupId}/products`, { productIds }).expect(200);
      expect(added.body.added).toBe(1);
      expect(added.body.group.products.map((p: { name: string }) => p.name).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);

      expect((await get(bob, `/api/groups/${groupId}`).expect(200)).body).toMatchObject({ name: 'First two', visibility: 'public' });
      await get(bob, '/api/groups/999999').expect(404);

      // A group is private to its maker (and her teachers) unless she says otherwise.
      const second = await post(alice, '/api/groups', { name: 'Second', productIds: [productIds[2]] }).expect(201);
      expect(second.body.visibility).toBe('private');
      await get(bob, `/api/groups/${second.body.id}`).expect(403);
      const page = await get(alice, '/api/groups?limit=1').expect(200);
      expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 0 });
      expect(page.body.items).toEqual([expect.objectContaining({ name: 'Second', productCount: 1 })]);
      expect((await get(bob, '/api/groups').expect(200)).body.items.map((g: { name: string }) => g.name)).toEqual(['First two']);
    });

    it('validates group input and refuses another student\'s private products', async () => {
      const invalid = await post(alice, '/api/groups', { name: '', productIds: ['x'] }).expect(400);
      expect(Object.keys(invalid.body.errors).sort()).toEqual(['name', 'productIds']);
      await post(alice, '/api/groups', { name: 'Taken', productIds: [productIds[0]] }).expect(201);
      await post(alice, '/api/groups', { name: 'Taken', productIds: [productIds[0]] }).expect(409);
      await post(alice, '/api/groups', { name: 'Ghost', productIds: [999999] }).expect(404);

      const secretTarget = (await createTarget(alice, { name: 'Alice group secret', ra: 31, dec: 31 })).id;
      const secret = (await upload(alice, secretTarget, Buffer.from('hidden'), 'hidden.txt', 'other').expect(201)).body.created[0].id;
      await post(bob, '/api/groups', { name: 'Bob steals', productIds: [secret] }).expect(403);
      const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name = 'First two'`);
      await post(bob, `/api/groups/${group.id}/products`, { productIds: [secret] }).expect(403);
      expect(await portal.dataSource.query(`SELECT 1 FROM data_product_groups WHERE name = 'Bob steals'`)).toHaveLength(0);
    });

    it('deletes a group for its maker (her teachers, an admin), keeping the products', async () => {
      const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name = 'Taken'`);
      await del(bob, `/api/groups/${group.id}`).expect(403);
      await del(alice, `/api/groups/${group.id}`).expect(204);
      expect(await portal.dataSource.query('SELECT 1 FROM data_product_groups WHERE id = $1', [group.id])).toHaveLength(0);
      expect(await portal.dataSource.query('SELECT 1 FROM data_products WHERE id = $1', [productIds[0]])).toHaveLength(1);
    });
  });

  describe('reduced data', () => {
    let targetId: number;
    const points = [
      { timestamp: '2013-05-05T04:31:02Z', magnitude: 12.31, error: 0.02, filter: 'V' },
      { timestamp: '2013-05-05T04:41:02Z', magnitude: 12.35, error: 0.03, filter: 'V' },
      { timestamp: '2013-05-05T04:51:02.500Z', magnitude: 13.1, filter: 'B' },
    ];

    beforeAll(async () => {
      targetId = (await createTarget(alice, { name: 'Variable star', ra: 40, dec: 40, visibility: 'public' })).id;
    });

    it('adds points from a JSON body, skipping ones already there', async () => {
      // Public, so bob may list them below (API points are private unless the body says otherwise).
      const added = await post(alice, `/api/targets/${targetId}/reduced-data`, { points, source: 'notebook', visibility: 'public' }).expect(201);
      expect(added.body).toEqual({ added: 3, skipped: 0, batchId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect((await post(alice, `/api/targets/${targetId}/reduced-data`, { points }).expect(201)).body).toMatchObject({ added: 0, skipped: 3 });
      const rows = await portal.dataSource.query('SELECT source_name, value, timestamp FROM reduced_data WHERE target_id = $1 ORDER BY timestamp', [targetId]);
      expect(rows.map((row: { value: unknown }) => row.value)).toEqual([
        { magnitude: 12.31, error: 0.02, filter: 'V' },
        { magnitude: 12.35, error: 0.03, filter: 'V' },
        { magnitude: 13.1, error: null, filter: 'B' },
      ]);
      expect(rows[0].source_name).toBe('notebook');
    });

    it('lists a target\'s points with paging', async () => {
      const page = await get(bob, `/api/targets/${targetId}/reduced-data?limit=2&offset=1&dataType=photometry`).expect(200);
      expect(page.body.total).toBe(3);
      expect(page.body.items.map((item: { value: { magnitude: number } }) => item.value.magnitude)).toEqual([12.35, 13.1]);
      expect(page.body.items[0]).toMatchObject({ targetId, dataType: 'photometry', dataProductId: null, timestamp: '2013-05-05T04:41:02.000Z' });
      expect((await get(bob, `/api/targets/${targetId}/reduced-data?dataType=spectrum`).expect(200)).body.total).toBe(0);
    });

    it('validates every point, naming the field', async () => {
      const response = await post(alice, `/api/targets/${targetId}/reduced-data`, {
        points: [points[0], { timestamp: 'yesterday', magnitude: 99, error: -1, extra: 1 }],
      }).expect(400);
      expect(Object.keys(response.body.errors).sort()).toEqual(['points.1.error', 'points.1.extra', 'points.1.magnitude', 'points.1.timestamp']);
      await post(alice, `/api/targets/${targetId}/reduced-data`, { points: [] }).expect(400);
      expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM reduced_data WHERE target_id = $1', [targetId])).toEqual([{ n: 3 }]);
    });

    it('exports the photometry as CSV the upload reads back', async () => {
      const response = await get(bob, `/api/targets/${targetId}/photometry.csv`).expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['content-disposition']).toContain('Variable_star_photometry.csv');
      // The source column names the student and the source (one API batch, labelled with the minute it came).
      const source = /^alice · API batch \d{4}-\d\d-\d\d \d\d:\d\d UTC \(notebook\)$/;
      const lines = response.text.split('\n');
      expect(lines.slice(1, 4).map((line) => line.slice(line.lastIndexOf(',') + 1))).toEqual([expect.stringMatching(source), expect.stringMatching(source), expect.stringMatching(source)]);
      expect(lines.map((line) => line.slice(0, line.lastIndexOf(',') + 1))).toEqual([
        'time,mjd,magnitude,error,filter,',
        '2013-05-05T04:31:02.000Z,56417.18821759,12.31,0.02,V,',
        '2013-05-05T04:41:02.000Z,56417.19516204,12.35,0.03,V,',
        '2013-05-05T04:51:02.500Z,56417.20211227,13.1,,B,',
        '',
      ]);
      const parsed = parsePhotometryCsv(response.text);
      expect(parsed.errors).toEqual([]);
      expect(parsed.points.map(({ timestamp, magnitude, error, filter }) => ({ timestamp: timestamp.toISOString(), magnitude, error, filter }))).toEqual(
        points.map((p) => ({ timestamp: new Date(p.timestamp).toISOString(), magnitude: p.magnitude, error: p.error ?? null, filter: p.filter })),
      );
    });

    it('keeps another student\'s private target\'s points out of reach', async () => {
      const secret = (await createTarget(alice, { name: 'Alice private variable', ra: 41, dec: 41 })).id;
      await post(alice, `/api/targets/${secret}/reduced-data`, { points }).expect(201);
      await get(bob, `/api/targets/${secret}/reduced-data`).expect(403);
      await get(bob, `/api/targets/${secret}/photometry.csv`).expect(403);
      await post(bob, `/api/targets/${secret}/reduced-data`, { points: [{ ...points[0], magnitude: 1 }] }).expect(403);
      expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM reduced_data WHERE target_id = $1', [secret])).toEqual([{ n: 3 }]);
    });
  });

  describe('OpenAPI', () => {
    it('serves the document, public, listing the API paths', async () => {
      const response = await portal.http.get('/api/docs-json').expect(200);
      const doc = response.body;
      expect(doc.openapi).toMatch(/^3\./);
      for (const route of [
        '/api/me',
        '/api/targets',
        '/api/targets/{id}',
        '/api/targets/{id}/data-products',
        '/api/data-products/{id}',
        '/api/data-products/{id}/download',
        '/api/groups',
        '/api/groups/{id}/products',
        '/api/targets/{id}/reduced-data',
        '/api/targets/{id}/photometry.csv',
        '/api/pipelines',
        '/api/processes',
        '/api/processes/{id}',
        '/api/processes/{id}/log',
        '/api/processes/{id}/cancel',
        '/api/processes/{id}/provenance',
      ]) {
        expect(Object.keys(doc.paths)).toContain(route);
      }
      expect(Object.keys(doc.paths).every((route) => route.startsWith('/api/'))).toBe(true);
      expect(Object.keys(doc.paths['/api/targets/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const create = doc.components.schemas.CreateTargetDto;
      expect(create.required).toEqual(['name']);
      expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(['name', 'aliases', 'ra', 'dec', 'visibility']));
      const listParams = doc.paths['/api/targets'].get.parameters.map((p: { name: string }) => p.name);
      expect(listParams).toEqual(expect.arrayContaining(['q', 'ra', 'dec', 'radius', 'list', 'limit', 'offset']));
      expect(doc.paths['/api/targets/{id}/data-products'].post.requestBody.content).toHaveProperty(['multipart/form-data']);
    });

    it('serves Swagger UI at /api/docs with every script and style from the app itself', async () => {
      const page = await portal.http.get('/api/docs').redirects(1).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      const assets = [...page.text.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((match) => match[1]);
      expect(assets.filter((asset) => asset.endsWith('.js'))).toHaveLength(3);
      for (const asset of assets) {
        expect(asset).not.toMatch(/^(https?:)?\/\//);
        const url = new URL(asset, 'http://portal.test/api/docs/').pathname;
        const response = await portal.http.get(url).expect(200);
        expect(response.headers['content-type']).toMatch(/javascript|css|image\/png/);
      }
      // No inline <script> blocks, which the CSP would block: the init script is a file too.
      expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)/);
      const init = await portal.http.get('/api/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('/api/targets');
    });
  });

  describe('bearer tokens', () => {
    let bearer: (method: 'get' | 'post' | 'patch' | 'delete', url: string) => request.Test;

    it('every route works with Authorization: Bearer and no CSRF token; a bad token is 401', async () => {
      const carol = { id: '', username: 'carol', role: 'student' as const };
      await portal.login('carol', 'student');
      const [row] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'carol'`);
      carol.id = row.id;
      const { token } = await portal.app.get(ApiTokensService).create(carol, 'e2e');
      bearer = (method, url) => portal.http[method](url).set('Authorization', `Bearer ${token}`);

      expect((await bearer('get', '/api/me').expect(200)).body).toMatchObject({ username: 'carol', role: 'student', csrfToken: null });
      const target = (await bearer('post', '/api/targets').send({ name: 'Carol target', ra: 50, dec: 50, visibility: 'public' }).expect(201)).body;
      expect(target.owner).toBe('carol');
      await bearer('get', '/api/targets?q=Carol').expect(200);
      await bearer('get', `/api/targets/${target.id}`).expect(200);
      await bearer('patch', `/api/targets/${target.id}`).send({ aliases: ['C1'] }).expect(200);
      const uploaded = await bearer('post', `/api/targets/${target.id}/data-products`).field('productType', 'fits_image').attach('files', HORSEHEAD, 'HorseHead.fits').expect(201);
      const productId = uploaded.body.created[0].id;
      await bearer('get', `/api/targets/${target.id}/data-products`).expect(200);
      await bearer('get', `/api/data-products/${productId}`).expect(200);
      const download = await bearer('get', `/api/data-products/${productId}/download`).buffer(true).parse(binary).expect(200);
      expect(Buffer.compare(download.body as Buffer, fs.readFileSync(HORSEHEAD))).toBe(0);
      const group = (await bearer('post', '/api/groups').send({ name: 'Carol group', productIds: [productId] }).expect(201)).body;
      await bearer('post', `/api/groups/${group.id}/products`).send({ productIds: [productId] }).expect(200);
      await bearer('get', '/api/groups').expect(200);
      await bearer('get', `/api/groups/${group.id}`).expect(200);
      await bearer('delete', `/api/groups/${group.id}`).expect(204);
      await bearer('post', `/api/targets/${target.id}/reduced-data`).send({ points: [{ timestamp: '2020-01-01T00:00:00Z', magnitude: 10 }] }).expect(201);
      await bearer('get', `/api/targets/${target.id}/reduced-data`).expect(200);
      expect((await bearer('get', `/api/targets/${target.id}/photometry.csv`).expect(200)).text).toContain('2020-01-01T00:00:00.000Z');
      await bearer('get', '/api/pipelines').expect(200);
      await bearer('get', '/api/processes').expect(200);
      // Permissions are the token owner's: a student's token cannot touch another student's private target.
      const secret = (await createTarget(alice, { name: 'Hidden from Carol', ra: 51, dec: 51 })).id;
      await bearer('get', `/api/targets/${secret}`).expect(403);
      await bearer('delete', `/api/targets/${secret}`).expect(403);
      await bearer('delete', `/api/data-products/${productId}`).expect(204);
      await bearer('delete', `/api/targets/${target.id}`).expect(204);

      const forged = `aep_${'A'.repeat(43)}`;
      for (const header of [`Bearer ${forged}`, 'Bearer nonsense']) {
        const refused = await portal.http.get('/api/me').set('Authorization', header).expect(401);
        expect(refused.body.statusCode).toBe(401);
      }
      await portal.http.post('/api/targets').set('Authorization', `Bearer ${forged}`).send({ name: 'x', ra: 1, dec: 1 }).expect(401);
    });
  });
});
