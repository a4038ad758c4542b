import { createTarget, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

describe('who sees what (e2e)', () => {
  let portal: TestPortal;
  let admin: LoggedIn;
  let teacher: LoggedIn;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let alicePrivate: number;
  let alicePublic: number;
  let productId: number;

  beforeAll(async () => {
    portal = await startTestPortal();
    admin = await portal.login('admin1', 'admin');
    // A teacher with no class: alice is not her student.
    teacher = await portal.login('teacher1', 'teacher');
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
    alicePrivate = await createTarget(alice, { name: 'Alice Secret', ra: '10', dec: '10', visibility: 'private' });
    alicePublic = await createTarget(alice, { name: 'Alice Shared', ra: '20', dec: '20', visibility: 'public' });
    const upload = await alice.agent
      .post(`/targets/${alicePrivate}/data-products?_csrf=${encodeURIComponent(alice.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', 'other')
      .attach('files', Buffer.from('private notes'), 'notes.txt')
      .expect(201);
    productId = upload.body.created[0].id;
  });
  afterAll(() => portal.close());

  it("refuses a student opening another student's private target, its products and downloads", async () => {
    const page = await bob.agent.get(`/targets/${alicePrivate}`).set('Accept', 'text/html').expect(403);
    expect(page.text).toContain('private');
    expect(page.text).not.toContain('Alice Secret');
    await bob.agent.get(`/data-products/${productId}`).set('Accept', 'text/html').expect(403);
    await bob.agent.get(`/data-products/${productId}/download`).set('Accept', 'text/html').expect(403);
    await bob.agent
      .post(`/targets/${alicePrivate}/data-products?_csrf=${encodeURIComponent(bob.csrf)}`)
      .field('productType', 'other')
      .attach('files', Buffer.from('x'), 'x.txt')
      .expect(403);
    await bob.agent.post('/groups').type('form').send({ name: 'Stolen', productIds: String(productId), _csrf: bob.csrf }).expect(403);
  });

  it("hides another student's private targets from lists and searches", async () => {
    const list = await bob.agent.get('/targets').expect(200);
    expect(list.text).toContain('Alice Shared');
    expect(list.text).not.toContain('Alice Secret');
    const search = await bob.agent.get('/targets?q=alice').expect(200);
    expect(search.text).not.toContain('Alice Secret');
    const cone = await bob.agent.get('/targets?ra=10&dec=10&radius=1').expect(200);
    expect(cone.text).not.toContain('Alice Secret');
  });

  it('lets students see public targets but not edit or delete them', async () => {
    await bob.agent.get(`/targets/${alicePublic}`).expect(200);
    await bob.agent.get(`/targets/${alicePublic}/edit`).set('Accept', 'text/html').expect(403);
    await bob.agent
      .post(`/targets/${alicePublic}`)
      .type('form')
      .send({ name: 'Renamed', type: 'sidereal', ra: '1', dec: '1', _csrf: bob.csrf })
      .expect(403);
    await bob.agent.post(`/targets/${alicePublic}/delete`).type('form').send({ _csrf: bob.csrf }).expect(403);
    const [row] = await portal.dataSource.query('SELECT name FROM targets WHERE id = $1', [alicePublic]);
    expect(row.name).toBe('Alice Shared');
  });

  it('lets the owner see and edit their private target', async () => {
    await alice.agent.get(`/targets/${alicePrivate}`).expect(200);
    await alice.agent.get(`/targets/${alicePrivate}/edit`).expect(200);
  });

  it('lets admins see everything', async () => {
    const list = await admin.agent.get('/targets').expect(200);
    expect(list.text).toContain('Alice Secret');
    await admin.agent.get(`/targets/${alicePrivate}`).expect(200);
    await admin.agent.get(`/data-products/${productId}/download`).expect(200);
  });

  it("keeps a student's private work from a teacher who does not teach her", async () => {
    const list = await teacher.agent.get('/targets').expect(200);
    expect(list.text).not.toContain('Alice Secret');
    await teacher.agent.get(`/targets/${alicePrivate}`).set('Accept', 'text/html').expect(403);
    await teacher.agent.get(`/data-products/${productId}/download`).set('Accept', 'text/html').expect(403);
  });

  it("does not let a student delete another student's product", async () => {
    const [target] = await portal.dataSource.query('SELECT id FROM targets WHERE id = $1', [alicePublic]);
    const upload = await alice.agent
      .post(`/targets/${target.id}/data-products?_csrf=${encodeURIComponent(alice.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', 'other')
      .attach('files', Buffer.from('shared notes'), 'shared.txt')
      .expect(201);
    const id = upload.body.created[0].id;
    const page = await bob.agent.get(`/data-products/${id}`).expect(200);
    expect(page.text).not.toContain(`action="/data-products/${id}/delete"`);
    await bob.agent.post(`/data-products/${id}/delete`).type('form').send({ _csrf: bob.csrf }).expect(403);
    expect(await portal.dataSource.query('SELECT id FROM data_products WHERE id = $1', [id])).toHaveLength(1);
  });
});
