import { createTarget, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

describe('targets (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;

  beforeAll(async () => {
    portal = await startTestPortal();
    teacher = await portal.login('teacher1', 'teacher');
  });
  afterAll(() => portal.close());

  it('creates a target from sexagesimal coordinates and stores degrees', async () => {
    const id = await createTarget(teacher, {
      name: 'M13',
      aliases: 'NGC 6205, Hercules Cluster',
      ra: '16:41:41.6',
      dec: '+36:27:41',
      extra: 'constellation = Hercules\nmagnitude = 5.8',
      visibility: 'public',
    });
    const [row] = await portal.dataSource.query('SELECT * FROM targets WHERE id = $1', [id]);
    expect(row.ra).toBeCloseTo(250.42333, 4);
    expect(row.dec).toBeCloseTo(36.46139, 4);
    expect(row.aliases).toEqual(['NGC 6205', 'Hercules Cluster']);
    expect(row.extra).toEqual({ constellation: 'Hercules', magnitude: '5.8' });
    expect(row.visibility).toBe('public');

    const page = await teacher.agent.get(`/targets/${id}`).expect(200);
    expect(page.text).toContain('16:41:41.60');
    expect(page.text).toContain('+36:27:41.0');
    expect(page.text).toContain('Hercules');
  });

  it('creates a target from degrees', async () => {
    const id = await createTarget(teacher, { name: 'Vega', ra: '279.2347', dec: '38.7837' });
    const [row] = await portal.dataSource.query('SELECT ra, dec FROM targets WHERE id = $1', [id]);
    expect(row.ra).toBeCloseTo(279.2347, 6);
    expect(row.dec).toBeCloseTo(38.7837, 6);
  });

  it('rejects impossible coordinates with a message next to the field and stores nothing', async () => {
    const response = await teacher.agent
      .post('/targets')
      .type('form')
      .send({ name: 'Nowhere', type: 'sidereal', ra: '25:00:00', dec: '+95:00:00', _csrf: teacher.csrf })
      .expect(400);
    expect(response.text).toMatch(/<span class="field-error" id="ra-error">[^<]+<\/span>/);
    expect(response.text).toMatch(/<span class="field-error" id="dec-error">[^<]*90[^<]*<\/span>/);
    expect(response.text).toContain('value="Nowhere"'); // the form keeps what was typed
    expect(await portal.dataSource.query(`SELECT id FROM targets WHERE name = 'Nowhere'`)).toHaveLength(0);
  });

  it('refuses a duplicate name, whatever its case, and an alias naming another target', async () => {
    const dup = await teacher.agent
      .post('/targets')
      .type('form')
      .send({ name: 'm13', type: 'sidereal', ra: '1', dec: '1', _csrf: teacher.csrf })
      .expect(400);
    expect(dup.text).toContain('already called');
    const alias = await teacher.agent
      .post('/targets')
      .type('form')
      .send({ name: 'Other', aliases: 'ngc 6205', type: 'sidereal', ra: '1', dec: '1', _csrf: teacher.csrf })
      .expect(400);
    expect(alias.text).toContain('already names another target');
  });

  it('creates a non-sidereal target with a scheme and elements', async () => {
    const id = await createTarget(teacher, {
      name: 'Ceres',
      type: 'non_sidereal',
      scheme: 'MPC_MINOR_PLANET',
      elements: 'inclination = 10.59\neccentricity = 0.0785\nsemimajor_axis = 2.767',
    });
    const [row] = await portal.dataSource.query('SELECT type, scheme, elements, ra FROM targets WHERE id = $1', [id]);
    expect(row).toMatchObject({ type: 'non_sidereal', scheme: 'MPC_MINOR_PLANET', ra: null });
    expect(row.elements).toEqual({ inclination: 10.59, eccentricity: 0.0785, semimajor_axis: 2.767 });
  });

  it('searches by name and by alias, case-insensitively', async () => {
    const byAlias = await teacher.agent.get('/targets?q=ngc%206205').expect(200);
    expect(byAlias.text).toContain('>M13</a>');
    expect(byAlias.text).not.toContain('>Vega</a>');
    const byName = await teacher.agent.get('/targets?q=VEG').expect(200);
    expect(byName.text).toContain('>Vega</a>');
    expect(byName.text).not.toContain('>M13</a>');
  });

  it('finds targets in a cone, in degrees or sexagesimal, nearest first', async () => {
    const cone = await teacher.agent.get('/targets?ra=16:41:00&dec=%2B36:00:00&radius=1').expect(200);
    expect(cone.text).toContain('>M13</a>');
    expect(cone.text).not.toContain('>Vega</a>');
    const wide = await teacher.agent.get('/targets?ra=260&dec=37&radius=20').expect(200);
    expect(wide.text.indexOf('>M13</a>')).toBeGreaterThan(-1);
    expect(wide.text.indexOf('>Vega</a>')).toBeGreaterThan(wide.text.indexOf('>M13</a>'));
    const bad = await teacher.agent.get('/targets?ra=400&dec=0&radius=1').expect(200);
    expect(bad.text).toContain('field-error');
  });

  it('edits a target', async () => {
    const id = await createTarget(teacher, { name: 'Typo Star', ra: '10', dec: '10' });
    const form = await teacher.agent.get(`/targets/${id}/edit`).expect(200);
    expect(form.text).toContain('value="Typo Star"');
    await teacher.agent
      .post(`/targets/${id}`)
      .type('form')
      .send({ name: 'Fixed Star', type: 'sidereal', ra: '11.5', dec: '-10', visibility: 'public', _csrf: teacher.csrf })
      .expect(303);
    const [row] = await portal.dataSource.query('SELECT name, ra, dec, visibility FROM targets WHERE id = $1', [id]);
    expect(row).toEqual({ name: 'Fixed Star', ra: 11.5, dec: -10, visibility: 'public' });
  });

  it('deletes a target', async () => {
    const id = await createTarget(teacher, { name: 'Doomed', ra: '1', dec: '1' });
    await teacher.agent.post(`/targets/${id}/delete`).type('form').send({ _csrf: teacher.csrf }).expect(303);
    expect(await portal.dataSource.query('SELECT id FROM targets WHERE id = $1', [id])).toHaveLength(0);
    await teacher.agent.get(`/targets/${id}`).set('Accept', 'text/html').expect(404);
  });

  it('shows a 404 page, not a stack trace, for unknown and malformed ids', async () => {
    const missing = await teacher.agent.get('/targets/999999').set('Accept', 'text/html').expect(404);
    expect(missing.text).toContain('There is no target with id 999999');
    expect(missing.text).toContain('<html');
    const malformed = await teacher.agent.get('/targets/abc').set('Accept', 'text/html').expect(404);
    expect(malformed.text).not.toMatch(/at \w+ \(/);
  });

  it('shows HTML in names escaped', async () => {
    const id = await createTarget(teacher, { name: '<script>alert(1)</script>', ra: '2', dec: '2', extra: 'note = <b>bold</b>' });
    const page = await teacher.agent.get(`/targets/${id}`).expect(200);
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<b>bold</b>');
  });

  it('groups targets in target lists', async () => {
    const created = await teacher.agent.post('/target-lists').type('form').send({ name: 'Clusters', _csrf: teacher.csrf }).expect(303);
    const listId = Number(/list=(\d+)/.exec(created.headers.location)![1]);
    const [m13] = await portal.dataSource.query(`SELECT id FROM targets WHERE name = 'M13'`);
    await teacher.agent
      .post(`/target-lists/${listId}/add`)
      .type('form')
      .send({ targetIds: [String(m13.id)], _csrf: teacher.csrf })
      .expect(303);
    const listed = await teacher.agent.get(`/targets?list=${listId}`).expect(200);
    expect(listed.text).toContain('>M13</a>');
    expect(listed.text).not.toContain('>Vega</a>');
    const lists = await teacher.agent.get('/target-lists').expect(200);
    expect(lists.text).toMatch(/Clusters<\/a><\/td>\s*<td>1<\/td>/);
  });
});
