import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const M13_FRAME = path.join(FIXTURES, 'm13-blue-2013-05-05', 'M13_blue_0001.fits.gz');

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Handlebars escapes = ' " ` & < > in text; header cards are compared as the user reads them. */
function unescapeHtml(html: string): string {
  return html.replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

describe('data products (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let targetId: number;

  beforeAll(async () => {
    portal = await startTestPortal({ uploadMaxBytes: '3MiB' });
    teacher = await portal.login('teacher1', 'teacher');
    targetId = await createTarget(teacher, { name: 'Horsehead', ra: '85.2458', dec: '-2.4583', visibility: 'public' });
  });
  afterAll(() => portal.close());

  const upload = (user: LoggedIn, files: Array<string | { buffer: Buffer; name: string }>, productType = 'fits_image') => {
    let req = user.agent.post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(user.csrf)}`).field('productType', productType);
    for (const file of files) {
      req = typeof file === 'string' ? req.attach('files', file) : req.attach('files', file.buffer, file.name);
    }
    return req;
  };

  it('uploads several FITS files, stores them under server-chosen names with their sha256', async () => {
    const response = await upload(teacher, [HORSEHEAD, M13_FRAME]).expect(303);
    expect(response.headers.location).toBe(`/targets/${targetId}#data`);
    const rows = await portal.dataSource.query(
      'SELECT id, original_name, stored_path, sha256, size, product_type FROM data_products WHERE target_id = $1 ORDER BY original_name',
      [targetId],
    );
    expect(rows.map((r: any) => r.original_name)).toEqual(['HorseHead.fits', 'M13_blue_0001.fits.gz']);
    expect(rows[0].sha256).toBe(sha256(HORSEHEAD));
    expect(Number(rows[0].size)).toBe(fs.statSync(HORSEHEAD).size);
    for (const row of rows) {
      expect(row.stored_path).toMatch(/^products\/[0-9a-f]{2}\/[0-9a-f-]{36}\.fits(\.gz)?$/);
      expect(fs.existsSync(path.join(portal.dataDir, row.stored_path))).toBe(true);
    }
    const page = await teacher.agent.get(`/targets/${targetId}`).expect(200);
    expect(page.text).toContain('name="productIds" value="' + rows[0].id + '"');
    expect(page.text).toContain('Uploaded 2 files.');
  });

  it('downloads a product byte for byte under its original name', async () => {
    const [row] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'HorseHead.fits'`);
    const response = await teacher.agent
      .get(`/data-products/${row.id}/download`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(createHash('sha256').update(response.body).digest('hex')).toBe(sha256(HORSEHEAD));
    expect(response.headers['content-disposition']).toContain('HorseHead.fits');
  });

  it('shows the FITS header of every HDU', async () => {
    const [row] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'HorseHead.fits'`);
    const page = await teacher.agent.get(`/data-products/${row.id}`).expect(200);
    expect(page.text).toContain('HDU 0: PRIMARY');
    expect(page.text).toContain('HDU 1:');
    expect(unescapeHtml(page.text)).toMatch(/NAXIS1\s+=\s+891/);
    const gz = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'M13_blue_0001.fits.gz'`);
    const gzPage = await teacher.agent.get(`/data-products/${gz[0].id}`).expect(200);
    expect(unescapeHtml(gzPage.text)).toMatch(/NAXIS1\s+=\s+1392/);
  });

  it('recognises a re-upload of an identical file instead of storing it twice', async () => {
    const before = filesUnder(path.join(portal.dataDir, 'products')).length;
    await upload(teacher, [HORSEHEAD]).expect(303);
    const rows = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'HorseHead.fits'`);
    expect(rows).toHaveLength(1);
    expect(filesUnder(path.join(portal.dataDir, 'products'))).toHaveLength(before);
  });

  it('refuses an empty file and stores nothing of the batch', async () => {
    const count = async () => Number((await portal.dataSource.query('SELECT count(*) FROM data_products'))[0].count);
    const before = await count();
    const response = await upload(teacher, [path.join(FIXTURES, 'aia_171_level1.fits'), { buffer: Buffer.alloc(0), name: 'empty.fits' }])
      .set('Accept', 'text/html')
      .expect(400);
    expect(response.text).toContain('empty.fits: the file is empty');
    expect(await count()).toBe(before);
    expect(filesUnder(path.join(portal.dataDir, 'tmp'))).toEqual([]);
  });

  it('refuses a file over the size limit, leaving no partial file', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    const response = await upload(teacher, [{ buffer: big, name: 'huge.fits' }]).set('Accept', 'application/json').expect(413);
    expect(response.body.message).toContain('larger than the upload limit of 3.0 MiB');
    expect(filesUnder(path.join(portal.dataDir, 'tmp'))).toEqual([]);
    expect(await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'huge.fits'`)).toHaveLength(0);
  });

  it('refuses a "FITS image" that is not FITS', async () => {
    const response = await upload(teacher, [{ buffer: Buffer.from('hello, not a fits file\n'), name: 'fake.fits' }])
      .set('Accept', 'application/json')
      .expect(400);
    expect(JSON.stringify(response.body.details)).toContain('fake.fits: not a readable FITS image');
  });

  it('neutralises path tricks in uploaded file names', async () => {
    await upload(teacher, [{ buffer: Buffer.from('some notes'), name: '../../../etc/evil.txt' }], 'other').expect(303);
    const [row] = await portal.dataSource.query(`SELECT original_name, stored_path FROM data_products WHERE original_name LIKE '%evil%'`);
    expect(row.original_name).toBe('evil.txt');
    expect(row.stored_path).toMatch(/^products\/[0-9a-f]{2}\/[0-9a-f-]{36}\.txt$/);
    expect(fs.existsSync(path.join(portal.dataDir, '..', '..', 'etc', 'evil.txt'))).toBe(false);
  });

  it('refuses an unknown product type', async () => {
    const response = await upload(teacher, [HORSEHEAD], 'poster').set('Accept', 'application/json').expect(400);
    expect(response.body.message).toContain('Choose a product type');
  });

  it('refuses an upload without its CSRF token before storing anything', async () => {
    await teacher.agent.post(`/targets/${targetId}/data-products`).field('productType', 'other').attach('files', Buffer.from('x'), 'a.txt').expect(403);
    expect(await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'a.txt'`)).toHaveLength(0);
  });

  it('deletes a product: its row and its file', async () => {
    const [row] = await portal.dataSource.query(`SELECT id, stored_path FROM data_products WHERE original_name = 'evil.txt'`);
    const file = path.join(portal.dataDir, row.stored_path);
    expect(fs.existsSync(file)).toBe(true);
    await teacher.agent.post(`/data-products/${row.id}/delete`).type('form').send({ _csrf: teacher.csrf }).expect(303);
    expect(await portal.dataSource.query('SELECT id FROM data_products WHERE id = $1', [row.id])).toHaveLength(0);
    expect(fs.existsSync(file)).toBe(false);
    await teacher.agent.get(`/data-products/${row.id}/download`).set('Accept', 'text/html').expect(404);
  });
});
