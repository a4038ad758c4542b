import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { UsersService } from '../src/users/users.service';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/**
 * Sharing of targets and data products at every door. Cast: an admin; teacher A with class A (students a1, a2);
 * teacher B with class B (student b1). A product's own owner and visibility decide who sees it (not its target's),
 * refused writes change nothing, and the target page's "whose products" and type filters page like the rest.
 */
type Who = 'admin' | 'teacherA' | 'teacherB' | 'a1' | 'a2' | 'b1';
const CAST: Who[] = ['admin', 'teacherA', 'teacherB', 'a1', 'a2', 'b1'];
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');

describe('sharing targets and data products (e2e)', () => {
  let portal: TestPortal;
  const users = {} as Record<Who, LoggedIn & { id: string }>;
  let classA: number;
  let classB: number;
  let sky: number;
  let productId: number;

  const get = (who: Who, url: string) => users[who].agent.get(url).set('Accept', 'text/html');
  const apiGet = (who: Who, url: string) => users[who].agent.get(url).set('Accept', 'application/json');
  const apiWrite = (who: Who, method: 'patch' | 'delete', url: string, body?: object) =>
    users[who].agent[method](url).set('X-CSRF-Token', users[who].csrf).send(body);
  const form = (who: Who, url: string, body: Record<string, string>) =>
    users[who].agent.post(url).type('form').set('Accept', 'text/html').send({ ...body, _csrf: users[who].csrf });
  const upload = (who: Who, targetId: number, file: string | Buffer, name: string, fields: Record<string, string> = {}) => {
    let request = users[who].agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(users[who].csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', fields.productType ?? 'fits_image');
    for (const [key, value] of Object.entries(fields)) if (key !== 'productType') request = request.field(key, value);
    return request.attach('files', file, name);
  };
  const productRow = async (id: number) =>
    (await portal.dataSource.query('SELECT id, visibility, classroom_id, uploaded_by_id, stored_path FROM data_products WHERE id = $1', [id]))[0];

  /** Every door to one product: the page (with its FITS headers), files, previews, readout and the API. */
  const doors = (id: number) => [
    `/data-products/${id}`,
    `/data-products/${id}/download`,
    `/data-products/${id}/thumbnail.png`,
    `/data-products/${id}/preview.png?size=64`,
    `/data-products/${id}/pixel?x=5&y=5`,
    `/api/data-products/${id}`,
    `/api/data-products/${id}/download`,
  ];

  /** Asserts who gets through every door and who is refused (403), and that the lists agree. */
  async function expectViewers(id: number, name: string, viewers: Who[]) {
    const wrong: string[] = [];
    for (const who of CAST) {
      const allowed = viewers.includes(who);
      for (const url of doors(id)) {
        const response = url.startsWith('/api') ? await apiGet(who, url) : await get(who, url);
        if (response.status !== (allowed ? 200 : 403)) wrong.push(`${who} ${url}: ${response.status}`);
        if (url === `/data-products/${id}` && allowed && !response.text.includes('HDU 0: PRIMARY')) wrong.push(`${who}: no FITS header on the page`);
        if (!allowed && (response.text ?? '').includes(name)) wrong.push(`${who} ${url}: the refusal names the file`);
      }
      const table = await get(who, `/targets/${sky}?scope=everyone`).expect(200);
      if (table.text.includes(`aria-label="Select ${name}"`) !== allowed) wrong.push(`${who}: target page table ${allowed ? 'lacks' : 'lists'} it`);
      const gallery = await get(who, `/targets/${sky}/gallery?scope=everyone`).expect(200);
      if (gallery.text.includes(`aria-label="Select ${name}"`) !== allowed) wrong.push(`${who}: gallery ${allowed ? 'lacks' : 'lists'} it`);
      const list = await apiGet(who, `/api/targets/${sky}/data-products?limit=500`).expect(200);
      if (list.body.items.some((item: { id: number }) => item.id === id) !== allowed) wrong.push(`${who}: API list ${allowed ? 'lacks' : 'lists'} it`);
    }
    expect(wrong).toEqual([]);
  }

  /** Every refused write (page form and API, delete and share) is a 403, and the row and its file stay as they were. */
  async function expectWritesRefused(id: number, refused: Who[]) {
    const before = await productRow(id);
    for (const who of refused) {
      const tries = [
        form(who, `/data-products/${id}/delete`, {}),
        form(who, `/data-products/${id}/sharing`, { visibility: 'public' }),
        apiWrite(who, 'delete', `/api/data-products/${id}`),
        apiWrite(who, 'patch', `/api/data-products/${id}`, { visibility: 'public' }),
      ];
      for (const attempt of tries) expect({ who, status: (await attempt).status }).toEqual({ who, status: 403 });
    }
    expect(await productRow(id)).toEqual(before);
    expect(fs.existsSync(path.join(portal.dataDir, before.stored_path))).toBe(true);
  }

  beforeAll(async () => {
    portal = await startTestPortal();
    const roles: Record<Who, 'admin' | 'teacher' | 'student'> = { admin: 'admin', teacherA: 'teacher', teacherB: 'teacher', a1: 'student', a2: 'student', b1: 'student' };
    for (const who of CAST) {
      const loggedIn = await portal.login(`sp-${who.toLowerCase()}`, roles[who]);
      const [{ id }] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [loggedIn.username]);
      users[who] = { ...loggedIn, id };
    }
    const classes = portal.app.get(ClassroomsService);
    const sessionUser = async (who: Who) => (await portal.app.get(UsersService).findSessionUser(users[who].id))!;
    const a = await classes.create({ teacherId: users.teacherA.id, name: 'Class A' });
    const b = await classes.create({ teacherId: users.teacherB.id, name: 'Class B' });
    [classA, classB] = [a.id, b.id];
    await classes.joinByCode(await sessionUser('a1'), a.joinCode);
    await classes.joinByCode(await sessionUser('a2'), a.joinCode);
    await classes.joinByCode(await sessionUser('b1'), b.joinCode);

    sky = await createTarget(users.teacherA, { name: 'Shared sky', ra: '83.8', dec: '-5.4', visibility: 'public' });
    productId = (await upload('a1', sky, HORSEHEAD, 'a1-horsehead.fits').expect(201)).body.created[0].id;
    // The thumbnail door is checked for real: wait (bounded) for the worker to make it.
    const deadline = Date.now() + 30_000;
    while (!(await portal.dataSource.query('SELECT thumbnail_path FROM data_products WHERE id = $1', [productId]))[0].thumbnail_path) {
      if (Date.now() > deadline) throw new Error('no thumbnail made');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 90_000);
  afterAll(() => portal?.close());

  describe('a student\'s product', () => {
    it('belongs to its uploader and is private by default on a target she may not change', async () => {
      expect(await productRow(productId)).toMatchObject({ uploaded_by_id: users.a1.id, visibility: 'private', classroom_id: null });
      const page = await get('a1', `/data-products/${productId}`).expect(200);
      expect(page.text).toContain('id="sharing-form"');
      expect(page.text).toMatch(/<option value="class:\d+">Class: Class A<\/option>/);
      expect(page.text).not.toContain('Class B');
    });

    it('private: seen by a1, teacher A and the admin at every door; refused to a2, b1 and teacher B', async () => {
      await expectViewers(productId, 'a1-horsehead.fits', ['admin', 'teacherA', 'a1']);
      const refusal = await get('b1', `/data-products/${productId}`).expect(403);
      expect(refusal.text).toContain('not shared with you');
      expect(refusal.text).not.toMatch(/at \w+ \(/);
    });

    it('refuses a2, b1 and teacher B every delete and share, changing nothing', async () => {
      await expectWritesRefused(productId, ['a2', 'b1', 'teacherB']);
    });

    it('refuses sharing with a class a1 is not in, and an unreadable choice, changing nothing', async () => {
      const before = await productRow(productId);
      const other = await apiWrite('a1', 'patch', `/api/data-products/${productId}`, { visibility: 'class', classroomId: classB }).expect(400);
      expect(other.body.message).toBe('You can share only with a class you are in');
      const none = await apiWrite('a1', 'patch', `/api/data-products/${productId}`, { visibility: 'class' }).expect(400);
      expect(none.body.message).toBe('Choose the class to share with');
      await apiWrite('a1', 'patch', `/api/data-products/${productId}`, { visibility: 'everyone' }).expect(400);
      const page = await form('a1', `/data-products/${productId}/sharing`, { visibility: `class:${classB}` }).expect(400);
      expect(page.text).toContain('You can share only with a class you are in');
      expect(await productRow(productId)).toEqual(before);
    });

    it('shared with class A: a2 sees it (under "my class", not by default); b1 and teacher B still do not', async () => {
      const shared = await form('a1', `/data-products/${productId}/sharing`, { visibility: `class:${classA}` }).expect(303);
      expect(shared.headers.location).toBe(`/data-products/${productId}`);
      expect(await productRow(productId)).toMatchObject({ visibility: 'class', classroom_id: classA });
      const page = await get('a1', `/data-products/${productId}`).expect(200);
      expect(page.text).toContain('is now shared with the class Class A.');
      await expectViewers(productId, 'a1-horsehead.fits', ['admin', 'teacherA', 'a1', 'a2']);

      const byDefault = await get('a2', `/targets/${sky}`).expect(200);
      expect(byDefault.text).not.toContain('aria-label="Select a1-horsehead.fits"');
      const myClass = await get('a2', `/targets/${sky}?scope=class`).expect(200);
      expect(myClass.text).toContain('aria-label="Select a1-horsehead.fits"');
      const b1Class = await get('b1', `/targets/${sky}?scope=class`).expect(200);
      expect(b1Class.text).not.toContain('a1-horsehead.fits');

      // a2 may see it now, but not change it; nor may b1 or teacher B.
      const a2Page = await get('a2', `/data-products/${productId}`).expect(200);
      expect(a2Page.text).not.toContain('id="sharing-form"');
      expect(a2Page.text).not.toContain(`action="/data-products/${productId}/delete"`);
      await expectWritesRefused(productId, ['a2', 'b1', 'teacherB']);
    });

    it('public: everyone logged in sees it; her teacher may make it private again', async () => {
      const made = await apiWrite('a1', 'patch', `/api/data-products/${productId}`, { visibility: 'public' }).expect(200);
      expect(made.body).toMatchObject({ id: productId, visibility: 'public', classroomId: null, owner: 'sp-a1' });
      await expectViewers(productId, 'a1-horsehead.fits', CAST);
      await expectWritesRefused(productId, ['a2', 'b1', 'teacherB']);
      await form('teacherA', `/data-products/${productId}/sharing`, { visibility: 'private' }).expect(303);
      expect(await productRow(productId)).toMatchObject({ visibility: 'private', classroom_id: null });
      await get('b1', `/data-products/${productId}`).expect(403);
    });

    it('is deleted by its owner\'s teacher, file and all', async () => {
      const id = (await upload('a1', sky, Buffer.from('field notes'), 'notes.txt', { productType: 'other' }).expect(201)).body.created[0].id;
      const { stored_path } = await productRow(id);
      await form('teacherB', `/data-products/${id}/delete`, {}).expect(403);
      await apiWrite('teacherA', 'delete', `/api/data-products/${id}`).expect(204);
      expect(await productRow(id)).toBeUndefined();
      expect(fs.existsSync(path.join(portal.dataDir, stored_path))).toBe(false);
    });
  });

  describe('uploads', () => {
    let a1Class: number;

    beforeAll(async () => {
      a1Class = await createTarget(users.a1, { name: 'a1 class target', ra: '12', dec: '12', visibility: `class:${classA}` });
    });

    it("take the target's sharing when the uploader may change the target, else private; or what the form chose", async () => {
      const own = (await upload('a1', a1Class, Buffer.from('mine'), 'own.txt', { productType: 'other' }).expect(201)).body.created[0].id;
      expect(await productRow(own)).toMatchObject({ visibility: 'class', classroom_id: classA, uploaded_by_id: users.a1.id });
      // Her teacher may change her target, so his upload there is shared as the target is; he owns it.
      const teachers = (await upload('teacherA', a1Class, Buffer.from('from the teacher'), 'teacher.txt', { productType: 'other' }).expect(201)).body.created[0].id;
      expect(await productRow(teachers)).toMatchObject({ visibility: 'class', classroom_id: classA, uploaded_by_id: users.teacherA.id });
      const classmates = (await upload('a2', a1Class, Buffer.from('from a2'), 'a2.txt', { productType: 'other' }).expect(201)).body.created[0].id;
      expect(await productRow(classmates)).toMatchObject({ visibility: 'private', uploaded_by_id: users.a2.id });
      const chosen = (await upload('a2', sky, Buffer.from('for all'), 'for-all.txt', { productType: 'other', visibility: 'public' }).expect(201)).body.created[0].id;
      expect(await productRow(chosen)).toMatchObject({ visibility: 'public', uploaded_by_id: users.a2.id });
      const paired = (await upload('a2', sky, Buffer.from('for class'), 'for-class.txt', { productType: 'other', visibility: 'class', classroomId: String(classA) }).expect(201))
        .body.created[0].id;
      expect(await productRow(paired)).toMatchObject({ visibility: 'class', classroom_id: classA });
    });

    it('refuses a class the uploader is not in, storing nothing', async () => {
      const count = async () => (await portal.dataSource.query('SELECT count(*)::int AS n FROM data_products'))[0].n;
      const before = await count();
      const refused = await upload('a1', sky, Buffer.from('nope'), 'nope.txt', { productType: 'other', visibility: `class:${classB}` }).expect(400);
      expect(refused.body.message).toBe('You can share only with a class you are in');
      expect(await count()).toBe(before);
      expect(fs.readdirSync(path.join(portal.dataDir, 'tmp'))).toEqual([]);
    });

    it('offers the default and the uploader\'s classes on the target page', async () => {
      const page = await get('a2', `/targets/${sky}`).expect(200);
      const select = /<select name="visibility" id="upload-visibility">([\s\S]*?)<\/select>/.exec(page.text)?.[1] ?? '';
      expect(select).toContain('<option value="">Default: private (you and your teachers)</option>');
      expect(select).toContain(`<option value="class:${classA}">Class: Class A</option>`);
      expect(select).not.toContain('Class B');
      const owners = await get('teacherA', `/targets/${sky}`).expect(200);
      expect(owners.text).toContain('<option value="">Default: public</option>');
    });
  });

  describe('targets shared with a class', () => {
    let classTarget: number;
    let privateTarget: number;

    beforeAll(async () => {
      classTarget = await createTarget(users.a1, { name: 'Orion for class A', ra: '83', dec: '-5', visibility: 'class', classroomId: String(classA) });
      privateTarget = await createTarget(users.a1, { name: 'a1 private notes', ra: '84', dec: '-5', visibility: 'private' });
    });

    it('are stored with their class and seen by its members, its teacher and the admin only, in pages, lists and the API', async () => {
      const [row] = await portal.dataSource.query('SELECT visibility, classroom_id FROM targets WHERE id = $1', [classTarget]);
      expect(row).toEqual({ visibility: 'class', classroom_id: classA });
      const viewers: Who[] = ['admin', 'teacherA', 'a1', 'a2'];
      for (const who of CAST) {
        const allowed = viewers.includes(who);
        const page = await get(who, `/targets/${classTarget}`);
        expect({ who, status: page.status }).toEqual({ who, status: allowed ? 200 : 403 });
        if (allowed) expect(page.text).toMatch(/id="target-visibility"><span class="badge-class">class Class A<\/span>/);
        expect({ who, api: (await apiGet(who, `/api/targets/${classTarget}`)).status }).toEqual({ who, api: allowed ? 200 : 403 });
        const list = await get(who, '/targets?q=Orion').expect(200);
        expect({ who, listed: list.text.includes('Orion for class A') }).toEqual({ who, listed: allowed });
        const cone = await apiGet(who, '/api/targets?ra=83&dec=-5&radius=0.5').expect(200);
        expect({ who, total: cone.body.total }).toEqual({ who, total: allowed ? 1 : 0 });
        const products = await apiGet(who, `/api/targets/${classTarget}/data-products`);
        expect({ who, products: products.status }).toEqual({ who, products: allowed ? 200 : 403 });
      }
    });

    it("private: the owner, her teacher and the admin; another school's teacher gets 403, a missing id 404", async () => {
      for (const who of CAST) {
        const status = (await get(who, `/targets/${privateTarget}`)).status;
        expect({ who, status }).toEqual({ who, status: ['admin', 'teacherA', 'a1'].includes(who) ? 200 : 403 });
      }
      await get('teacherB', '/targets/999999').expect(404);
    });

    it('count in a target list only the targets the viewer may see', async () => {
      const [{ id: listId }] = await portal.dataSource.query(`INSERT INTO target_lists (name) VALUES ('Mixed list') RETURNING id`);
      await portal.dataSource.query('INSERT INTO target_list_targets (target_list_id, target_id) VALUES ($1, $2), ($1, $3), ($1, $4)', [listId, classTarget, privateTarget, sky]);
      const count = async (who: Who) => /Mixed list<\/a><\/td>\s*<td>(\d+)<\/td>/.exec((await get(who, '/target-lists').expect(200)).text)?.[1];
      expect(await count('a1')).toBe('3');
      expect(await count('a2')).toBe('2');
      expect(await count('b1')).toBe('1');
      expect(await count('admin')).toBe('3');
      const listed = await get('b1', `/targets?list=${listId}`).expect(200);
      expect(listed.text).toContain('Shared sky');
      expect(listed.text).not.toContain('Orion for class A');
    });

    it('refuses a class the owner is not in or none at all, with a message by the field, and stores nothing', async () => {
      const other = await form('a1', '/targets', { name: 'Wrong class', type: 'sidereal', ra: '1', dec: '1', visibility: `class:${classB}` }).expect(400);
      expect(other.text).toMatch(/<span class="field-error" id="visibility-error">You can share only with a class you are in<\/span>/);
      const none = await form('a1', '/targets', { name: 'No class', type: 'sidereal', ra: '1', dec: '1', visibility: 'class' }).expect(400);
      expect(none.text).toContain('Choose the class to share with');
      const api = await users.a1.agent.post('/api/targets').set('X-CSRF-Token', users.a1.csrf).send({ name: 'Api wrong class', ra: 1, dec: 1, visibility: 'class', classroomId: classB }).expect(400);
      expect(api.body.errors.classroomId).toEqual(['You can share only with a class you are in']);
      expect(await portal.dataSource.query(`SELECT id FROM targets WHERE name IN ('Wrong class', 'No class', 'Api wrong class')`)).toEqual([]);
    });

    it('change sharing through the form and the API (owner, her teacher); others are refused and nothing changes', async () => {
      const edit = await get('a1', `/targets/${classTarget}/edit`).expect(200);
      expect(edit.text).toMatch(new RegExp(`<option value="class:${classA}" selected>Class: Class A</option>`));
      await apiWrite('b1', 'patch', `/api/targets/${classTarget}`, { visibility: 'public' }).expect(403);
      await apiWrite('a2', 'patch', `/api/targets/${classTarget}`, { visibility: 'public' }).expect(403);
      await form('a2', `/targets/${classTarget}`, { name: 'Orion for class A', type: 'sidereal', ra: '83', dec: '-5', visibility: 'public' }).expect(403);
      const [unchanged] = await portal.dataSource.query('SELECT name, visibility, classroom_id FROM targets WHERE id = $1', [classTarget]);
      expect(unchanged).toEqual({ name: 'Orion for class A', visibility: 'class', classroom_id: classA });
      const made = await apiWrite('teacherA', 'patch', `/api/targets/${classTarget}`, { visibility: 'public' }).expect(200);
      expect(made.body).toMatchObject({ visibility: 'public', classroomId: null });
      await get('b1', `/targets/${classTarget}`).expect(200);
      await form('a1', `/targets/${classTarget}`, { name: 'Orion for class A', type: 'sidereal', ra: '83', dec: '-5', visibility: `class:${classA}` }).expect(303);
      await get('b1', `/targets/${classTarget}`).expect(403);
    });
  });

  describe('the target page filters', () => {
    let field: number;
    const names = (html: string) => [...html.matchAll(/aria-label="Select ([^"]+)"/g)].map((match) => match[1]);
    const link = (html: string, rel: 'prev' | 'next') => {
      const nav = /<nav[^>]*id="products-pages"[^>]*>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
      const href = new RegExp(`href="([^"]+)" rel="${rel}"`).exec(nav)?.[1];
      // Handlebars escapes = and & in attributes.
      return href ? href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&') : null;
    };
    const summary = (html: string) => /<nav[^>]*id="products-pages"[^>]*>\s*<span class="muted page-summary">([^<]*)<\/span>/.exec(html)?.[1];

    beforeAll(async () => {
      field = await createTarget(users.teacherA, { name: 'Filter field', ra: '150', dec: '2', visibility: 'public' });
      // Rows straight into the table (the table reads rows, not files), oldest first as listed.
      const rows: Array<[string, Who, string, 'A' | 'B' | null, string]> = [
        ['tA-1.fits', 'teacherA', 'public', null, 'fits_image'],
        ['tA-2.fits', 'teacherA', 'public', null, 'fits_image'],
        ['tA-3.fits', 'teacherA', 'public', null, 'fits_image'],
        ['a1-private.fits', 'a1', 'private', null, 'fits_image'],
        ['a1-class-1.csv', 'a1', 'class', 'A', 'photometry'],
        ['a1-class-2.csv', 'a1', 'class', 'A', 'photometry'],
        ['a2-private.txt', 'a2', 'private', null, 'other'],
        ['b1-public.fits', 'b1', 'public', null, 'fits_image'],
        ['b1-class.txt', 'b1', 'class', 'B', 'other'],
      ];
      for (const [i, [name, who, visibility, classroom, type]] of rows.entries()) {
        await portal.dataSource.query(
          `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id, visibility, classroom_id, created_at)
           VALUES ($1, $2, $3, $4, 100, $5, $6, $7, $8, timestamp with time zone '2024-01-01 00:00:00+00' + $9 * interval '1 minute')`,
          [field, `products/filter-${i}`, name, type, String(i).padStart(64, '0'), users[who].id, visibility, classroom === 'A' ? classA : classroom === 'B' ? classB : null, i],
        );
      }
    });

    const expected: Record<Who, Record<'mine' | 'class' | 'everyone', string[]>> = {
      a2: {
        mine: ['a2-private.txt', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        class: ['a2-private.txt', 'a1-class-2.csv', 'a1-class-1.csv', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        everyone: ['b1-public.fits', 'a2-private.txt', 'a1-class-2.csv', 'a1-class-1.csv', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
      },
      teacherA: {
        mine: ['tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        class: ['a2-private.txt', 'a1-class-2.csv', 'a1-class-1.csv', 'a1-private.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        everyone: ['b1-public.fits', 'a2-private.txt', 'a1-class-2.csv', 'a1-class-1.csv', 'a1-private.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
      },
      b1: {
        mine: ['b1-class.txt', 'b1-public.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        class: ['b1-class.txt', 'b1-public.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        everyone: ['b1-class.txt', 'b1-public.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
      },
      teacherB: {
        mine: ['tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        class: ['b1-class.txt', 'b1-public.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        everyone: ['b1-class.txt', 'b1-public.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
      },
      a1: {
        mine: ['a1-class-2.csv', 'a1-class-1.csv', 'a1-private.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        class: ['a1-class-2.csv', 'a1-class-1.csv', 'a1-private.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        everyone: ['b1-public.fits', 'a1-class-2.csv', 'a1-class-1.csv', 'a1-private.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
      },
      admin: {
        mine: ['tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        class: ['tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
        everyone: ['b1-class.txt', 'b1-public.fits', 'a2-private.txt', 'a1-class-2.csv', 'a1-class-1.csv', 'a1-private.fits', 'tA-3.fits', 'tA-2.fits', 'tA-1.fits'],
      },
    };

    it("list the owner's and the viewer's own by default, add the class and then everything the viewer may see", async () => {
      for (const who of CAST) {
        for (const scope of ['mine', 'class', 'everyone'] as const) {
          const page = await get(who, `/targets/${field}${scope === 'mine' ? '' : `?scope=${scope}`}`).expect(200);
          expect({ who, scope, names: names(page.text) }).toEqual({ who, scope, names: expected[who][scope] });
          const api = await apiGet(who, `/api/targets/${field}/data-products?scope=${scope}`).expect(200);
          expect({ who, scope, api: api.body.items.map((item: { name: string }) => item.name) }).toEqual({ who, scope, api: expected[who][scope] });
        }
        // The API lists everything the viewer may see unless told otherwise.
        expect((await apiGet(who, `/api/targets/${field}/data-products`).expect(200)).body.total).toBe(expected[who].everyone.length);
      }
    });

    it('filter by product type, and page with both filters kept in the links', async () => {
      const typed = await get('a2', `/targets/${field}?scope=class&type=photometry`).expect(200);
      expect(names(typed.text)).toEqual(['a1-class-2.csv', 'a1-class-1.csv']);
      expect(typed.text).toMatch(/<option value="photometry" selected>photometry<\/option>/);
      expect(typed.text).toMatch(/<option value="class" selected>/);

      const first = await get('a2', `/targets/${field}?scope=class&limit=2`).expect(200);
      expect(names(first.text)).toEqual(['a2-private.txt', 'a1-class-2.csv']);
      expect(summary(first.text)).toBe('6 data products, showing 1–2');
      expect(link(first.text, 'next')).toBe(`/targets/${field}?scope=class&limit=2&offset=2#data`);
      const third = await get('a2', `/targets/${field}?scope=class&limit=2&offset=4`).expect(200);
      expect(names(third.text)).toEqual(['tA-2.fits', 'tA-1.fits']);
      expect(link(third.text, 'prev')).toBe(`/targets/${field}?scope=class&limit=2&offset=2#data`);
      expect(link(third.text, 'next')).toBeNull();
      // Forms on the page come back to the same filtered page.
      expect(third.text).toContain(`name="next" value="/targets/${field}?scope&#x3D;class&amp;limit&#x3D;2&amp;offset&#x3D;4#data"`);

      const oneType = await get('teacherA', `/targets/${field}?scope=everyone&type=fits_image&limit=1&offset=1`).expect(200);
      expect(names(oneType.text)).toEqual(['a1-private.fits']);
      expect(summary(oneType.text)).toBe('5 data products, showing 2–2');
      expect(link(oneType.text, 'next')).toBe(`/targets/${field}?scope=everyone&type=fits_image&limit=1&offset=2#data`);
      expect(link(oneType.text, 'prev')).toBe(`/targets/${field}?scope=everyone&type=fits_image&limit=1#data`);

      // Past the last page: none shown, the filtered total still counted.
      const beyond = await get('b1', `/targets/${field}?scope=everyone&offset=50`).expect(200);
      expect(summary(beyond.text)).toBe('5 data products, none on this page');
    });

    it('pages the gallery with the same rule and filter, images only', async () => {
      const mine = await get('a2', `/targets/${field}/gallery`).expect(200);
      expect(names(mine.text)).toEqual(['tA-1.fits', 'tA-2.fits', 'tA-3.fits']);
      const everyone = await get('a2', `/targets/${field}/gallery?scope=everyone&limit=2&offset=2`).expect(200);
      expect(names(everyone.text)).toEqual(['tA-2.fits', 'tA-3.fits']);
      expect(everyone.text).toContain('4 images, showing 3–4');
      const teachers = await get('teacherA', `/targets/${field}/gallery?scope=class`).expect(200);
      expect(names(teachers.text)).toEqual(['a1-private.fits', 'tA-1.fits', 'tA-2.fits', 'tA-3.fits']);
    });

    it('refuses a filter it cannot read with a message', async () => {
      const scope = await get('a2', `/targets/${field}?scope=all`).expect(400);
      expect(scope.text).toContain('scope must be one of mine, class, everyone');
      const type = await apiGet('a2', `/api/targets/${field}/data-products?productType=poster`).expect(400);
      expect(type.body.errors.productType).toBeDefined();
      await get('a2', `/targets/${field}?type=poster`).expect(400);
    });

    it('shows above the table the newest timelapse the viewer may see', async () => {
      const insert = (name: string, who: Who, visibility: string, minute: number) =>
        portal.dataSource.query(
          `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id, visibility, created_at)
           VALUES ($1, $2, $3, 'timelapse', 100, $4, $5, $6, timestamp with time zone '2024-02-01 00:00:00+00' + $7 * interval '1 minute')`,
          [field, `products/${name}`, name, `${minute}`.padStart(64, 'f'), users[who].id, visibility, minute],
        );
      await insert('class-lapse.gif', 'teacherA', 'public', 1);
      await insert('a1-lapse.gif', 'a1', 'private', 2);
      const lapse = (html: string) => /<section class="card timelapse" id="latest-timelapse">\s*<h2>Latest timelapse <small class="muted">([^,]+),/.exec(html)?.[1];
      expect(lapse((await get('a2', `/targets/${field}`).expect(200)).text)).toBe('class-lapse.gif');
      expect(lapse((await get('b1', `/targets/${field}`).expect(200)).text)).toBe('class-lapse.gif');
      expect(lapse((await get('teacherA', `/targets/${field}`).expect(200)).text)).toBe('a1-lapse.gif');
      expect(lapse((await get('a1', `/targets/${field}`).expect(200)).text)).toBe('a1-lapse.gif');
    });
  });
});
