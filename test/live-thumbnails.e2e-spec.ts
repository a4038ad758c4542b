import * as path from 'node:path';
import { io as connect, Socket } from 'socket.io-client';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { UsersService } from '../src/users/users.service';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/**
 * The target page's upload script and live thumbnails (issue 13, item 6), below the browser: what the upload
 * answers the page's script (X-Requested-With: the same message as the form, for the page it goes to next), and
 * the `product-preview` event the previews worker's thumbnails send to target pages, only to sockets whose user may
 * see the product. Cast: teacher T with class A (students a1, a2); b1, in no class of T's. T's target is public.
 */
type Who = 'teacher' | 'a1' | 'a2' | 'b1';
const CAST: Who[] = ['teacher', 'a1', 'a2', 'b1'];
const EIT = path.join(FIXTURES, 'eit-195-2004-03-01');
const FRAMES = ['efz20040301.000010_s.fits', 'efz20040301.010016_s.fits', 'efz20040301.020010_s.fits'].map((name) => path.join(EIT, name));

interface Preview {
  productId: number;
  targetId: number;
  state: 'made' | 'failed';
  reason: string | null;
}

describe('upload answers for the page script, and live thumbnails on target pages (e2e)', () => {
  let portal: TestPortal;
  let baseUrl: string;
  const users = {} as Record<Who, LoggedIn & { id: string }>;
  const sockets: Socket[] = [];
  /** What each target-page socket heard as `product-preview`. */
  const heard = {} as Record<Who, Preview[]>;
  let classA: number;
  let sky: number;

  const eventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** An upload through the target page's form address, as the page's script sends it (or without its header). */
  function upload(who: Who, file: string | Buffer, name: string, fields: Record<string, string>, script = true) {
    let req = users[who].agent
      .post(`/targets/${sky}/data-products?_csrf=${encodeURIComponent(users[who].csrf)}`)
      .set('Accept', 'application/json');
    if (script) req = req.set('X-Requested-With', 'XMLHttpRequest');
    for (const [key, value] of Object.entries(fields)) req = req.field(key, value);
    return req.attach('files', file, name);
  }

  beforeAll(async () => {
    portal = await startTestPortal();
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    for (const [who, role] of [['teacher', 'teacher'], ['a1', 'student'], ['a2', 'student'], ['b1', 'student']] as const) {
      const loggedIn = await portal.login(`lt-${who}`, role);
      const [{ id }] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [loggedIn.username]);
      users[who] = { ...loggedIn, id };
    }
    const classes = portal.app.get(ClassroomsService);
    const created = await classes.create({ teacherId: users.teacher.id, name: 'Class A' });
    classA = created.id;
    for (const who of ['a1', 'a2'] as const) await classes.joinByCode((await portal.app.get(UsersService).findSessionUser(users[who].id))!, created.joinCode);
    sky = await createTarget(users.teacher, { name: 'Live sky', ra: '83.8', dec: '-5.4', visibility: 'public' });

    // Each user's target page: a socket with their session that joins the target's room, as the page's script does.
    for (const who of CAST) {
      const cookie = (await users[who].agent.get('/targets')).request.cookies as unknown as string;
      const socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'], forceNew: true, reconnection: false });
      sockets.push(socket);
      heard[who] = [];
      socket.on('product-preview', (preview: Preview) => heard[who].push(preview));
      await new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(true));
        socket.once('connect_error', reject);
      });
      const joined = await socket.emitWithAck('join-target', { targetId: sky });
      expect(joined).toEqual({ ok: true });
    }
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await portal?.close();
  });

  it('answers the page script with the JSON and where to go, and sets the form\'s message for that page', async () => {
    const answer = await upload('a1', Buffer.from('seeing notes\n'), 'notes.txt', { productType: 'other' }).expect(201);
    expect(answer.body).toMatchObject({ created: [{ name: 'notes.txt' }], duplicates: [], redirect: `/targets/${sky}#data` });
    const next = await users.a1.agent.get(`/targets/${sky}`).set('Accept', 'text/html').expect(200);
    expect(next.text).toContain('<p class="flash info" role="status">Uploaded 1 file.</p>');
    // Shown once, as after the form.
    expect((await users.a1.agent.get(`/targets/${sky}`).expect(200)).text).not.toContain('class="flash');

    // A JSON client that is not the page's script gets the JSON alone, and no message waits for its next page.
    const plain = await upload('a1', Buffer.from('more notes\n'), 'more.txt', { productType: 'other' }, false).expect(201);
    expect(plain.body.redirect).toBeUndefined();
    expect((await users.a1.agent.get(`/targets/${sky}`).expect(200)).text).not.toContain('class="flash');

    // A refused batch: the message the script shows, with the file and reason, and nothing stored.
    const refused = await upload('a1', Buffer.from('not a FITS file'), 'broken.fits', { productType: 'fits_image' }).expect(400);
    expect(refused.body.message).toBe('Nothing was uploaded: fix these problems and try again.');
    expect(refused.body.details[0].reason).toMatch(/^broken\.fits: /);
    expect(refused.body.redirect).toBeUndefined();
    expect((await portal.dataSource.query(`SELECT 1 FROM data_products WHERE original_name = 'broken.fits'`)).length).toBe(0);
  });

  it('tells the target pages of a new thumbnail only when their user may see the product', async () => {
    const privateId = (await upload('a1', FRAMES[0], 'private.fits', { productType: 'fits_image' }).expect(201)).body.created[0].id;
    const classId = (await upload('a1', FRAMES[1], 'class.fits', { productType: 'fits_image', visibility: 'class', classroomId: String(classA) }).expect(201)).body.created[0].id;
    // Not an image, though named like one: its preview fails, and the pages that may see it are told why.
    const failedId = (await upload('a1', Buffer.from('SIMPLE  = nonsense'), 'table.fits', { productType: 'other', visibility: 'class', classroomId: String(classA) }).expect(201))
      .body.created[0].id;
    // Then one everybody may see: once every page has heard of it, each has heard all it ever will of the others.
    const publicId = (await upload('teacher', FRAMES[2], 'public.fits', { productType: 'fits_image' }).expect(201)).body.created[0].id;
    await eventually('every target page to hear of the public thumbnail', () => CAST.every((who) => heard[who].some((p) => p.productId === publicId)));

    const ids = (who: Who) => heard[who].map((preview) => preview.productId).sort((x, y) => x - y);
    expect(ids('a1')).toEqual([privateId, classId, failedId, publicId].sort((x, y) => x - y));
    expect(ids('teacher')).toEqual([privateId, classId, failedId, publicId].sort((x, y) => x - y));
    expect(ids('a2')).toEqual([classId, failedId, publicId].sort((x, y) => x - y));
    expect(ids('b1')).toEqual([publicId]);

    const made = heard.a1.find((preview) => preview.productId === classId)!;
    expect(made).toEqual({ productId: classId, targetId: sky, state: 'made', reason: null });
    const failed = heard.a2.find((preview) => preview.productId === failedId)!;
    expect(failed).toMatchObject({ productId: failedId, targetId: sky, state: 'failed' });
    expect(failed.reason).toMatch(/^No preview: /);
    // What was announced is there: the thumbnail the page then loads.
    const image = await users.a2.agent.get(`/data-products/${classId}/thumbnail.png`).expect(200);
    expect(image.headers['content-type']).toBe('image/png');
    await users.b1.agent.get(`/data-products/${privateId}/thumbnail.png`).expect(403);
  }, 90_000);

  it('marks pending thumbnails on the page so the script can swap them in, and loads the scripts', async () => {
    // A product whose thumbnail is not settled yet is shown pending, with its id and name for the script.
    await portal.dataSource.query(`UPDATE data_products SET thumbnail_path = NULL, preview_error = NULL WHERE original_name = 'class.fits'`);
    const page = await users.a2.agent.get(`/targets/${sky}?scope=everyone`).set('Accept', 'text/html').expect(200);
    const [{ id }] = await portal.dataSource.query(`SELECT id FROM data_products WHERE original_name = 'class.fits'`);
    expect(page.text).toContain(`<span class="thumb-placeholder preview-pending" data-product-id="${id}" data-name="class.fits">preview pending</span>`);
    expect(page.text).toContain(`<table id="products-table" data-target-id="${sky}">`);
    for (const script of ['/js/upload-progress.js', '/js/thumbnails-live.js', '/js/live-socket.js']) {
      expect(page.text).toContain(`<script src="${script}"></script>`);
      await users.a2.agent.get(script).expect(200).expect('Content-Type', /javascript/);
    }
    expect(page.text).toContain('<progress id="upload-progress" max="100" value="0"');
  });
});
