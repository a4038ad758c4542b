import { LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/**
 * Paging of the two big pages on real rows: /targets (with its search, cone and list filters kept from page to
 * page) and the products table and gallery of /targets/:id.
 */
describe('paged target list and target page (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let student: LoggedIn;
  let admin: LoggedIn;
  let listId: number;
  let busyTargetId: number;

  /** The target names in the table of a /targets page, in order. */
  const targetNames = (html: string) =>
    [...html.matchAll(/<td><a href="\/targets\/\d+">([^<]+)<\/a><\/td>/g)].map((match) => match[1]);
  /** The product file names in the products table (or gallery) of a target page, in order. */
  const productNames = (html: string) =>
    [...html.matchAll(/aria-label="Select ([^"]+)"/g)].map((match) => match[1]);
  const link = (html: string, rel: 'prev' | 'next', id: string) => {
    const nav = new RegExp(`<nav[^>]*id="${id}"[^>]*>([\\s\\S]*?)</nav>`).exec(html)?.[1] ?? '';
    const href = new RegExp(`href="([^"]+)" rel="${rel}"`).exec(nav)?.[1];
    // Handlebars escapes = and & in attributes.
    return href ? href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&') : null;
  };
  const summary = (html: string, id: string) =>
    new RegExp(`<nav[^>]*id="${id}"[^>]*>\\s*<span class="muted page-summary">([^<]*)</span>`).exec(html)?.[1];
  const pad = (n: number) => String(n).padStart(3, '0');
  const names = (from: number, to: number, step = 1) => {
    const list: string[] = [];
    for (let n = from; step > 0 ? n <= to : n >= to; n += step) list.push(`Paging target ${pad(n)}`);
    return list;
  };

  beforeAll(async () => {
    portal = await startTestPortal();
    teacher = await portal.login('teacher1', 'teacher');
    student = await portal.login('student1', 'student');
    admin = await portal.login('admin1', 'admin');
    const [{ id: teacherId }] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'teacher1'`);
    // 120 targets on the equator at RA 1°…120°; the even ones are public, the odd ones private to the teacher.
    await portal.dataSource.query(
      `INSERT INTO targets (name, aliases, type, ra, dec, visibility, owner_id)
       SELECT 'Paging target ' || lpad(g::text, 3, '0'), ARRAY['PT' || g], 'sidereal', g, 0,
              CASE WHEN g % 2 = 0 THEN 'public' ELSE 'private' END, $1
         FROM generate_series(1, 120) g`,
      [teacherId],
    );
    // A list holding every third target: 40 of them.
    [{ id: listId }] = await portal.dataSource.query(`INSERT INTO target_lists (name) VALUES ('Every third') RETURNING id`);
    await portal.dataSource.query(
      `INSERT INTO target_list_targets (target_list_id, target_id) SELECT $1, id FROM targets WHERE (ra::int) % 3 = 0`,
      [listId],
    );
    // A public target with 120 public products, product-1 the oldest and product-120 the newest.
    [{ id: busyTargetId }] = await portal.dataSource.query(
      `INSERT INTO targets (name, type, ra, dec, visibility, owner_id) VALUES ('Busy', 'sidereal', 200, 10, 'public', $1) RETURNING id`,
      [teacherId],
    );
    await portal.dataSource.query(
      `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id, visibility, created_at)
       SELECT $1, 'products/paging-' || g || '.fits', 'product-' || g || '.fits', 'fits_image', 2880, lpad(to_hex(g), 64, '0'), $2, 'public',
              timestamp with time zone '2024-01-01 00:00:00+00' + g * interval '1 minute'
         FROM generate_series(1, 120) g`,
      [busyTargetId, teacherId],
    );
  });
  afterAll(() => portal.close());

  describe('/targets', () => {
    it('shows 50 targets a page by name, says how many match, and links to the next and previous pages', async () => {
      const first = (await teacher.agent.get('/targets').expect(200)).text;
      // "Busy" sorts before the 120 "Paging target" rows.
      expect(targetNames(first)).toEqual(['Busy', ...names(1, 49)]);
      expect(summary(first, 'targets-pages')).toBe('121 targets, showing 1–50');
      expect(link(first, 'prev', 'targets-pages')).toBeNull();
      expect(link(first, 'next', 'targets-pages')).toBe('/targets?offset=50');

      const second = (await teacher.agent.get('/targets?offset=50').expect(200)).text;
      expect(targetNames(second)).toEqual(names(50, 99));
      expect(summary(second, 'targets-pages')).toBe('121 targets, showing 51–100');
      expect(link(second, 'prev', 'targets-pages')).toBe('/targets');
      expect(link(second, 'next', 'targets-pages')).toBe('/targets?offset=100');
      expect(link(second, 'next', 'targets-pages-bottom')).toBe('/targets?offset=100');

      const last = (await teacher.agent.get('/targets?offset=100').expect(200)).text;
      expect(targetNames(last)).toEqual(names(100, 120));
      expect(summary(last, 'targets-pages')).toBe('121 targets, showing 101–121');
      expect(link(last, 'next', 'targets-pages')).toBeNull();
    });

    it('keeps the page size, the name search, the target list and the cone search in its links', async () => {
      const sized = (await teacher.agent.get('/targets?limit=25&offset=25').expect(200)).text;
      expect(targetNames(sized)).toEqual(names(25, 49));
      expect(link(sized, 'next', 'targets-pages')).toBe('/targets?limit=25&offset=50');
      expect(sized).toContain('name="limit" value="25"');

      // "target 1" matches Paging target 100…120 (by name) only.
      const searched = (await teacher.agent.get('/targets?q=target+1&limit=10&offset=10').expect(200)).text;
      expect(targetNames(searched)).toEqual(names(110, 119));
      expect(summary(searched, 'targets-pages')).toBe('21 targets, showing 11–20');
      expect(link(searched, 'next', 'targets-pages')).toBe('/targets?q=target+1&limit=10&offset=20');
      expect(link(searched, 'prev', 'targets-pages')).toBe('/targets?q=target+1&limit=10');

      const listed = (await teacher.agent.get(`/targets?list=${listId}&limit=15&offset=30`).expect(200)).text;
      expect(targetNames(listed)).toEqual(names(93, 120, 3));
      expect(summary(listed, 'targets-pages')).toBe('40 targets, showing 31–40');
      expect(link(listed, 'prev', 'targets-pages')).toBe(`/targets?list=${listId}&limit=15&offset=15`);

      // Nearest first: RA 1°, 2°, … from a centre at RA 0.5°.
      const cone = (await teacher.agent.get('/targets?ra=0.5&dec=0&radius=20&limit=5&offset=5').expect(200)).text;
      expect(targetNames(cone)).toEqual(names(6, 10));
      expect(summary(cone, 'targets-pages')).toBe('20 targets, showing 6–10');
      expect(link(cone, 'next', 'targets-pages')).toBe('/targets?ra=0.5&dec=0&radius=20&limit=5&offset=10');

      // Both at once: in the list and in the cone (RA 3°, 6°, …, 18°).
      const both = (await teacher.agent.get(`/targets?list=${listId}&ra=0.5&dec=0&radius=20&limit=4&offset=4`).expect(200)).text;
      expect(targetNames(both)).toEqual(names(15, 18, 3));
      expect(summary(both, 'targets-pages')).toBe('6 targets, showing 5–6');
    });

    it('counts only what a student may see', async () => {
      const page = (await student.agent.get('/targets?offset=50').expect(200)).text;
      expect(summary(page, 'targets-pages')).toBe('61 targets, showing 51–61');
      expect(targetNames(page)).toEqual(names(100, 120, 2));
    });

    it('answers past the last page with none shown and a link back, and refuses a bad page size', async () => {
      const beyond = (await teacher.agent.get('/targets?offset=500').expect(200)).text;
      expect(targetNames(beyond)).toEqual([]);
      expect(summary(beyond, 'targets-pages')).toBe('121 targets, none on this page');
      expect(link(beyond, 'prev', 'targets-pages')).toBe('/targets?offset=100');
      const refused = await teacher.agent.get('/targets?limit=0').set('Accept', 'text/html').expect(400);
      expect(refused.text).toContain('limit must be a whole number from 1 to 200, not &quot;0&quot;');
      await teacher.agent.get('/targets?offset=-1').set('Accept', 'text/html').expect(400);
      await teacher.agent.get('/targets?limit=abc').set('Accept', 'text/html').expect(400);
    });
  });

  describe('/targets/:id', () => {
    it('shows the 50 newest products a page, with the total and links that keep the table in view', async () => {
      const first = (await teacher.agent.get(`/targets/${busyTargetId}`).expect(200)).text;
      expect(productNames(first)).toEqual(Array.from({ length: 50 }, (_, i) => `product-${120 - i}.fits`));
      expect(summary(first, 'products-pages')).toBe('120 data products, showing 1–50');
      expect(link(first, 'next', 'products-pages')).toBe(`/targets/${busyTargetId}?offset=50#data`);

      const third = (await teacher.agent.get(`/targets/${busyTargetId}?offset=100`).expect(200)).text;
      expect(productNames(third)).toEqual(Array.from({ length: 20 }, (_, i) => `product-${20 - i}.fits`));
      expect(summary(third, 'products-pages')).toBe('120 data products, showing 101–120');
      expect(link(third, 'prev', 'products-pages')).toBe(`/targets/${busyTargetId}?offset=50#data`);
      expect(link(third, 'next', 'products-pages')).toBeNull();
      // Forms on the page bring you back to the same page of the table.
      expect(third).toContain(`name="next" value="/targets/${busyTargetId}?offset&#x3D;100#data"`);
    });

    it('marks the groups of the products shown, offers those groups, and makes a group from a later page', async () => {
      const ids: number[] = (
        await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name IN ('product-68.fits', 'product-72.fits') ORDER BY id`)
      ).map((row: { id: number }) => row.id);
      // A public group of the student's: everyone sees it marked, and she may add to it.
      const [{ id: groupId }] = await portal.dataSource.query(
        `INSERT INTO data_product_groups (name, visibility, created_by_id) SELECT 'Straddling', 'public', id FROM users WHERE username = 'student1' RETURNING id`,
      );
      await portal.dataSource.query(
        `INSERT INTO data_product_group_members (group_id, data_product_id) SELECT $1, unnest($2::int[])`,
        [groupId, ids],
      );
      const second = (await teacher.agent.get(`/targets/${busyTargetId}?offset=50`).expect(200)).text;
      // product-72 (row 49) and product-68 (row 53): only the latter is on this page.
      expect(second).toMatch(new RegExp(`<tr data-groups="${groupId}">\\s*<td><input type="checkbox" name="productIds" value="${ids[0]}"`));
      expect(second).toContain(`<option value="${groupId}">Straddling</option>`);
      const first = (await teacher.agent.get(`/targets/${busyTargetId}`).expect(200)).text;
      expect(first).toMatch(new RegExp(`<tr data-groups="${groupId}">\\s*<td><input type="checkbox" name="productIds" value="${ids[1]}"`));

      // "Add ticked to" offers the groups each user may change: an admin every group, a student her own.
      const [{ id: privateProduct }] = await portal.dataSource.query(
        `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256)
         SELECT id, 'products/private.fits', 'private.fits', 'fits_image', 2880, repeat('f', 64) FROM targets WHERE name = 'Paging target 001'
         RETURNING id`,
      );
      const [{ id: privateGroup }] = await portal.dataSource.query(`INSERT INTO data_product_groups (name) VALUES ('Private only') RETURNING id`);
      await portal.dataSource.query(`INSERT INTO data_product_group_members (group_id, data_product_id) VALUES ($1, $2)`, [privateGroup, privateProduct]);
      const addTo = (html: string) => /<select name="groupId">([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
      const admins = addTo((await admin.agent.get(`/targets/${busyTargetId}`).expect(200)).text);
      expect(admins).toContain(`<option value="${privateGroup}">Private only</option>`);
      expect(admins).toContain(`<option value="${groupId}">Straddling</option>`);
      const students = addTo((await student.agent.get(`/targets/${busyTargetId}/gallery`).expect(200)).text);
      expect(students).toContain(`<option value="${groupId}">Straddling</option>`);
      expect(students).not.toContain('Private only');
      await portal.dataSource.query(`DELETE FROM data_products WHERE id = $1`, [privateProduct]);

      const [{ id: oldest }] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'product-1.fits'`);
      const made = await teacher.agent
        .post('/groups')
        .type('form')
        .send({ _csrf: teacher.csrf, name: 'From page three', productIds: String(oldest), next: `/targets/${busyTargetId}?offset=100#data` })
        .expect(303);
      expect(made.headers.location).toBe(`/targets/${busyTargetId}?offset=100#data`);
      const [{ count }] = await portal.dataSource.query(
        `SELECT count(*)::int AS count FROM data_product_group_members m JOIN data_product_groups g ON g.id = m.group_id
          WHERE g.name = 'From page three' AND m.data_product_id = $1`,
        [oldest],
      );
      expect(count).toBe(1);
    });

    it('pages the gallery by file name, 2 before 10', async () => {
      const second = (await teacher.agent.get(`/targets/${busyTargetId}/gallery?offset=100`).expect(200)).text;
      expect(productNames(second)).toEqual(Array.from({ length: 20 }, (_, i) => `product-${101 + i}.fits`));
      expect(summary(second, 'gallery-pages')).toBe('120 images, showing 101–120');
      expect(link(second, 'prev', 'gallery-pages')).toBe(`/targets/${busyTargetId}/gallery`);
      const sized = (await teacher.agent.get(`/targets/${busyTargetId}/gallery?limit=3`).expect(200)).text;
      expect(productNames(sized)).toEqual(['product-1.fits', 'product-2.fits', 'product-3.fits']);
    });

    it('refuses a bad page size on the target page', async () => {
      const refused = await teacher.agent.get(`/targets/${busyTargetId}?limit=501`).set('Accept', 'text/html').expect(400);
      expect(refused.text).toContain('limit must be a whole number from 1 to 500');
    });
  });
});
