import { CleanNames1796000000000 } from '../migrations/1796000000000-CleanNames';
import { createTarget, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/**
 * Names stored before the text rule: the CleanNames migration cleans them as the rule cleans new ones, and a
 * cleaned name that clashes with another gets a number instead of failing the upgrade or losing a row. The dirty
 * names are written straight into the tables (no page accepts them any more), then the migration's `up` runs on
 * the real database.
 */
describe('cleaning names stored before the text rule (migration CleanNames, e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;

  beforeAll(async () => {
    portal = await startTestPortal();
    teacher = await portal.login('clean-names-teacher', 'teacher');
  });
  afterAll(() => portal.close());

  const nameOf = async (table: string, id: number) => (await portal.dataSource.query(`SELECT name FROM ${table} WHERE id = $1`, [id]))[0].name;

  it('cleans targets, lists, groups and classes; a clash gets " (2)"; an empty name gets one; nothing else moves', async () => {
    const clean = await createTarget(teacher, { name: 'M13', ra: '250.42', dec: '36.46' });
    const hidden = await createTarget(teacher, { name: 'M13 twin', ra: '250.42', dec: '36.46' });
    const spaced = await createTarget(teacher, { name: 'Spaced', ra: '10', dec: '10' });
    const blank = await createTarget(teacher, { name: 'Blank', ra: '11', dec: '11' });
    const set = (table: string, id: number, name: string) => portal.dataSource.query(`UPDATE ${table} SET name = $2 WHERE id = $1`, [id, name]);
    await set('targets', hidden, 'm13\u200B');
    await set('targets', spaced, '  Omega \u00A0 Centauri\u2060 ');
    await set('targets', blank, '\u200B\uFEFF');
    const [{ id: list }] = await portal.dataSource.query(`INSERT INTO target_lists (name) VALUES ($1) RETURNING id`, ['Globulars\u202E']);
    const [{ id: keptList }] = await portal.dataSource.query(`INSERT INTO target_lists (name) VALUES ('Globulars') RETURNING id`);
    const [{ id: user }] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [teacher.username]);
    const [{ id: group }] = await portal.dataSource.query(`INSERT INTO data_product_groups (name, created_by_id) VALUES ($1, $2) RETURNING id`, ['Nuit e\u0301toile\u0007', user]);
    const [{ id: classroom }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ($1, 'CLEANNAM') RETURNING id`, ['Year\t10']);
    const before = await portal.dataSource.query('SELECT (SELECT count(*) FROM targets) t, (SELECT count(*) FROM target_lists) l, (SELECT count(*) FROM data_product_groups) g, (SELECT count(*) FROM classrooms) c');

    const runner = portal.dataSource.createQueryRunner();
    try {
      await new CleanNames1796000000000().up(runner);
    } finally {
      await runner.release();
    }

    expect(await nameOf('targets', clean)).toBe('M13');
    expect(await nameOf('targets', hidden)).toBe('m13 (2)');
    expect(await nameOf('targets', spaced)).toBe('Omega Centauri');
    expect(await nameOf('targets', blank)).toBe(`Unnamed ${blank}`);
    expect(await nameOf('target_lists', keptList)).toBe('Globulars');
    expect(await nameOf('target_lists', list)).toBe('Globulars (2)');
    expect(await nameOf('data_product_groups', group)).toBe('Nuit \u00E9toile');
    expect(await nameOf('classrooms', classroom)).toBe('Year 10');
    expect(await portal.dataSource.query('SELECT (SELECT count(*) FROM targets) t, (SELECT count(*) FROM target_lists) l, (SELECT count(*) FROM data_product_groups) g, (SELECT count(*) FROM classrooms) c')).toEqual(before);

    // The cleaned target is found by its visible name, and the pages show it.
    const page = await teacher.agent.get('/targets?q=Omega%20Centauri').expect(200);
    expect(page.text).toContain(`href="/targets/${spaced}"`);

    // Running it again changes nothing.
    const again = portal.dataSource.createQueryRunner();
    try {
      await new CleanNames1796000000000().up(again);
    } finally {
      await again.release();
    }
    expect([await nameOf('targets', hidden), await nameOf('target_lists', list)]).toEqual(['m13 (2)', 'Globulars (2)']);
  });
});
