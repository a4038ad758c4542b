import * as path from 'node:path';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

describe('data product groups (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let ids: number[];
  let targetId: number;

  beforeAll(async () => {
    portal = await startTestPortal();
    teacher = await portal.login('teacher1', 'teacher');
    targetId = await createTarget(teacher, { name: 'Sun', type: 'non_sidereal', scheme: 'JPL_MAJOR_PLANET', visibility: 'public' });
    const folder = path.join(FIXTURES, 'eit-195-2004-03-01');
    let req = teacher.agent.post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(teacher.csrf)}`).field('productType', 'fits_image');
    for (const name of ['efz20040301.000010_s.fits', 'efz20040301.010016_s.fits', 'efz20040301.020010_s.fits']) {
      req = req.attach('files', path.join(folder, name));
    }
    await req.expect(303);
    ids = (await portal.dataSource.query('SELECT id FROM data_products ORDER BY original_name')).map((r: any) => r.id);
  });
  afterAll(() => portal.close());

  it('creates a group from ticked products and lists it', async () => {
    const response = await teacher.agent
      .post('/groups')
      .type('form')
      .send({ name: 'First two hours', productIds: [String(ids[0]), String(ids[1])], _csrf: teacher.csrf })
      .expect(303);
    const groupId = Number(/\/groups\/(\d+)/.exec(response.headers.location)![1]);
    const members = await portal.dataSource.query('SELECT data_product_id FROM data_product_group_members WHERE group_id = $1 ORDER BY 1', [groupId]);
    expect(members.map((m: any) => m.data_product_id)).toEqual([ids[0], ids[1]]);

    const list = await teacher.agent.get('/groups').expect(200);
    expect(list.text).toMatch(/First two hours<\/a><\/td><td>2<\/td>/);

    const page = await teacher.agent.get(`/groups/${groupId}`).expect(200);
    expect(page.text).toContain('efz20040301.000010_s.fits');
    expect(page.text).toContain(`<a href="/targets/${targetId}">Sun</a>`);
    expect(page.text).not.toContain('efz20040301.020010_s.fits');
  });

  it('adds ticked products to an existing group without duplicating members', async () => {
    const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name = 'First two hours'`);
    await teacher.agent
      .post('/groups/add')
      .type('form')
      .send({ groupId: String(group.id), productIds: ids.map(String), _csrf: teacher.csrf })
      .expect(303);
    const members = await portal.dataSource.query('SELECT data_product_id FROM data_product_group_members WHERE group_id = $1 ORDER BY 1', [group.id]);
    expect(members.map((m: any) => m.data_product_id)).toEqual(ids);
  });

  it('offers select-by-group on the target page', async () => {
    const page = await teacher.agent.get(`/targets/${targetId}`).expect(200);
    const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name = 'First two hours'`);
    expect(page.text).toContain(`<option value="${group.id}">First two hours</option>`);
    expect(page.text).toContain(`data-groups="${group.id}"`);
  });

  it('refuses a group with no products ticked or a taken name', async () => {
    const none = await teacher.agent.post('/groups').type('form').set('Accept', 'text/html').send({ name: 'Empty', _csrf: teacher.csrf }).expect(400);
    expect(none.text).toContain('Tick at least one data product');
    const taken = await teacher.agent
      .post('/groups')
      .type('form')
      .set('Accept', 'application/json')
      .send({ name: 'First two hours', productIds: String(ids[2]), _csrf: teacher.csrf })
      .expect(409);
    expect(taken.body.message).toContain('You already have a group called "First two hours"');
    // Names are unique per owner: another user may use the same name, and learns nothing about the teacher's group.
    const other = await portal.login('groups-other-student', 'student');
    const same = await other.agent
      .post('/groups')
      .type('form')
      .set('Accept', 'application/json')
      .send({ name: 'First two hours', productIds: String(ids[2]), _csrf: other.csrf });
    expect(same.status).toBe(303);
    const named = await portal.dataSource.query(`SELECT count(*)::int AS n FROM data_product_groups WHERE name = 'First two hours'`);
    expect(named[0].n).toBe(2);
    await portal.dataSource.query(`DELETE FROM data_product_groups g USING users u WHERE u.id = g.created_by_id AND u.username = 'groups-other-student'`);
  });

  it('removes a product from a group and deletes a group, leaving the products', async () => {
    const [group] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name = 'First two hours'`);
    await teacher.agent.post(`/groups/${group.id}/remove`).type('form').send({ productId: String(ids[0]), _csrf: teacher.csrf }).expect(303);
    expect(await portal.dataSource.query('SELECT 1 FROM data_product_group_members WHERE group_id = $1', [group.id])).toHaveLength(2);
    await teacher.agent.post(`/groups/${group.id}/delete`).type('form').send({ _csrf: teacher.csrf }).expect(303);
    expect(await portal.dataSource.query('SELECT id FROM data_product_groups WHERE id = $1', [group.id])).toHaveLength(0);
    expect(await portal.dataSource.query('SELECT id FROM data_products')).toHaveLength(3);
    await teacher.agent.get(`/groups/${group.id}`).set('Accept', 'text/html').expect(404);
  });
});
