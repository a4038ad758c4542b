import * as path from 'node:path';
import { io as connect } from 'socket.io-client';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { FIXTURES, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, waitForRun } from './utils/test-app';

/**
 * The sharing policy at every door. Cast: an admin; teacher A with class A (students a1, a2); teacher B with class B
 * (student b1); a student "both" in both classes. a1 owns one of each object kind at each visibility (private,
 * shared with class A, public), and "both" owns a private target. Every viewer asks every door for every object:
 * the allowed get their answer, the refused get 403/404, and refused writes change nothing in Postgres.
 */
type Cast = 'admin' | 'teacherA' | 'teacherB' | 'a1' | 'a2' | 'b1' | 'both';
type Visibility = 'private' | 'class' | 'public';
const CAST: Cast[] = ['admin', 'teacherA', 'teacherB', 'a1', 'a2', 'b1', 'both'];
const VISIBILITIES: Visibility[] = ['private', 'class', 'public'];

/** Who may view an a1-owned object of each visibility (shared with class A when 'class'). */
const VIEWERS: Record<Visibility, Cast[]> = {
  private: ['admin', 'teacherA', 'a1'],
  class: ['admin', 'teacherA', 'a1', 'a2', 'both'],
  public: CAST,
};
/** Who may change an a1-owned object, whatever its visibility. */
const CHANGERS: Cast[] = ['admin', 'teacherA', 'a1'];
const REFUSED = [403, 404];

describe('permission matrix (e2e)', () => {
  let portal: TestPortal;
  let baseUrl: string;
  const users = {} as Record<Cast, LoggedIn & { id: string; token: string }>;
  let classA: number;
  let classB: number;
  let sky: number;
  const targets = {} as Record<Visibility, number>;
  const products = {} as Record<Visibility, number>;
  const groups = {} as Record<Visibility, number>;
  const runs = {} as Record<Visibility, number>;
  const batches = {} as Record<Visibility, string>;
  let bothPrivate: number;

  const bearer = (who: Cast, method: 'get' | 'post' | 'patch' | 'delete', url: string) =>
    portal.http[method](url).set('Authorization', `Bearer ${users[who].token}`);

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    const roles: Record<Cast, 'admin' | 'teacher' | 'student'> = {
      admin: 'admin', teacherA: 'teacher', teacherB: 'teacher', a1: 'student', a2: 'student', b1: 'student', both: 'student',
    };
    for (const who of CAST) {
      const loggedIn = await portal.login(`pm-${who}`.toLowerCase(), roles[who]);
      const [row] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [loggedIn.username]);
      const { token } = await portal.app.get(ApiTokensService).create({ id: row.id }, 'matrix');
      users[who] = { ...loggedIn, id: row.id, token };
    }
    // Classes straight into their tables: this spec is about the policy, not the class pages.
    [{ id: classA }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Class A', 'MATRIXAA') RETURNING id`);
    [{ id: classB }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Class B', 'MATRIXBB') RETURNING id`);
    const enrol = (classroom: number, who: Cast, role: 'teacher' | 'student') =>
      portal.dataSource.query('INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, $3)', [classroom, users[who].id, role]);
    await enrol(classA, 'teacherA', 'teacher');
    await enrol(classA, 'a1', 'student');
    await enrol(classA, 'a2', 'student');
    await enrol(classA, 'both', 'student');
    await enrol(classB, 'teacherB', 'teacher');
    await enrol(classB, 'b1', 'student');
    await enrol(classB, 'both', 'student');

    // A public target of teacher A's where a1 keeps her products, group, runs and points.
    sky = (await bearer('teacherA', 'post', '/api/targets').send({ name: 'Shared sky', ra: 83.8, dec: -5.4, visibility: 'public' }).expect(201)).body.id;
    for (const visibility of VISIBILITIES) {
      targets[visibility] = (
        await bearer('a1', 'post', '/api/targets')
          .send({ name: `a1 ${visibility} target`, ra: 10, dec: 10, visibility, ...(visibility === 'class' ? { classroomId: classA } : {}) })
          .expect(201)
      ).body.id;
      const upload = await bearer('a1', 'post', `/api/targets/${sky}/data-products`)
        .field('productType', 'fits_image')
        .field('visibility', 'private')
        .attach('files', path.join(FIXTURES, 'm13-blue-2013-05-05', `M13_blue_000${VISIBILITIES.indexOf(visibility) + 1}.fits.gz`))
        .expect(201);
      products[visibility] = upload.body.created[0].id;
      groups[visibility] = (await bearer('a1', 'post', '/api/groups').send({ name: `a1 ${visibility} group`, productIds: [products[visibility]] }).expect(201)).body.id;
      const run = await bearer('a1', 'post', '/api/processes').send({ targetId: sky, pipeline: 'FITS header summary', inputIds: [products[visibility]] }).expect(201);
      runs[visibility] = run.body.id;
      await waitForRun(portal, runs[visibility], ['succeeded', 'failed']);
      await bearer('a1', 'post', `/api/targets/${sky}/reduced-data`)
        .send({ points: [{ timestamp: `2024-01-0${VISIBILITIES.indexOf(visibility) + 1}T00:00:00Z`, magnitude: 12 + VISIBILITIES.indexOf(visibility), error: 0.1, filter: `V-${visibility}` }] })
        .expect(201);
      const [{ batch_id }] = await portal.dataSource.query(
        `SELECT batch_id FROM reduced_data WHERE target_id = $1 AND value->>'filter' = $2`,
        [sky, `V-${visibility}`],
      );
      batches[visibility] = batch_id;
      // Share each object as the visibility says, through the API's sharing routes.
      if (visibility !== 'private') {
        const share = { visibility, ...(visibility === 'class' ? { classroomId: classA } : {}) };
        await bearer('a1', 'patch', `/api/data-products/${products[visibility]}`).send(share).expect(200);
        await bearer('a1', 'patch', `/api/groups/${groups[visibility]}`).send(share).expect(200);
        await bearer('a1', 'patch', `/api/processes/${runs[visibility]}`).send(share).expect(200);
        await portal.dataSource.query('UPDATE reduced_data SET visibility = $1, classroom_id = $2 WHERE batch_id = $3', [
          visibility,
          visibility === 'class' ? classA : null,
          batch_id,
        ]);
      }
    }
    bothPrivate = (await bearer('both', 'post', '/api/targets').send({ name: 'both private target', ra: 1, dec: 1, visibility: 'private' }).expect(201)).body.id;
  }, 180_000);
  afterAll(() => portal?.close());

  /** Every viewer asks `url` (a page through the session, or the API with a token) of every visibility. */
  async function expectDoor(describeDoor: string, ask: (who: Cast, visibility: Visibility) => Promise<{ status: number; text: string }>, ok = [200]) {
    const wrong: string[] = [];
    for (const visibility of VISIBILITIES) {
      for (const who of CAST) {
        const { status } = await ask(who, visibility);
        const allowed = VIEWERS[visibility].includes(who);
        if (allowed ? !ok.includes(status) : !REFUSED.includes(status)) wrong.push(`${who} on ${visibility}: ${status} (${allowed ? 'should see' : 'should be refused'})`);
      }
    }
    expect({ door: describeDoor, wrong }).toEqual({ door: describeDoor, wrong: [] });
  }

  const page = (url: string) => (who: Cast) => users[who].agent.get(url).set('Accept', 'text/html').then((r) => ({ status: r.status, text: r.text }));
  const api = (url: string) => (who: Cast) => bearer(who, 'get', url).then((r) => ({ status: r.status, text: r.text }));

  it('targets: page, API, and lists', async () => {
    await expectDoor('/targets/:id', (who, v) => page(`/targets/${targets[v]}`)(who));
    await expectDoor('/api/targets/:id', (who, v) => api(`/api/targets/${targets[v]}`)(who));
    for (const who of CAST) {
      const list = await users[who].agent.get('/targets?limit=200').expect(200);
      const apiList = await bearer(who, 'get', '/api/targets?limit=200').expect(200);
      const names = apiList.body.items.map((t: { name: string }) => t.name);
      for (const v of VISIBILITIES) {
        expect({ who, v, page: list.text.includes(`a1 ${v} target`) }).toEqual({ who, v, page: VIEWERS[v].includes(who) });
        expect({ who, v, api: names.includes(`a1 ${v} target`) }).toEqual({ who, v, api: VIEWERS[v].includes(who) });
      }
      // "both" is a student of both teachers: each sees her private work, no other student does.
      expect({ who, both: names.includes('both private target') }).toEqual({ who, both: ['admin', 'teacherA', 'teacherB', 'both'].includes(who) });
      const status = (await page(`/targets/${bothPrivate}`)(who)).status;
      expect({ who, status }).toEqual({ who, status: ['admin', 'teacherA', 'teacherB', 'both'].includes(who) ? 200 : 403 });
    }
  });

  it('data products: page, download, thumbnail, preview, pixel readout, API', async () => {
    await expectDoor('/data-products/:id', (who, v) => page(`/data-products/${products[v]}`)(who));
    await expectDoor('/data-products/:id/download', (who, v) => page(`/data-products/${products[v]}/download`)(who));
    await expectDoor('/data-products/:id/preview.png', (who, v) => page(`/data-products/${products[v]}/preview.png`)(who));
    await expectDoor('/data-products/:id/pixel', (who, v) => page(`/data-products/${products[v]}/pixel?x=10&y=10`)(who));
    // A thumbnail may not be made yet (202/404 for the allowed): only refusals are checked strictly here.
    for (const v of VISIBILITIES) {
      for (const who of CAST) {
        const { status } = await page(`/data-products/${products[v]}/thumbnail.png`)(who);
        if (!VIEWERS[v].includes(who)) expect({ who, v, status, refused: REFUSED.includes(status) }).toMatchObject({ refused: true });
      }
    }
    await expectDoor('/api/data-products/:id', (who, v) => api(`/api/data-products/${products[v]}`)(who));
    await expectDoor('/api/data-products/:id/download', (who, v) => api(`/api/data-products/${products[v]}/download`)(who));
  });

  it('groups: page, API, lists', async () => {
    await expectDoor('/groups/:id', (who, v) => page(`/groups/${groups[v]}`)(who));
    await expectDoor('/api/groups/:id', (who, v) => api(`/api/groups/${groups[v]}`)(who));
    for (const who of CAST) {
      const list = await users[who].agent.get('/groups?limit=200').expect(200);
      for (const v of VISIBILITIES) expect({ who, v, listed: list.text.includes(`a1 ${v} group`) }).toEqual({ who, v, listed: VIEWERS[v].includes(who) });
    }
  });

  it('runs: page, log, provenance, API, /runs, socket room', async () => {
    await expectDoor('/pipeline/:id', (who, v) => page(`/pipeline/${runs[v]}`)(who));
    await expectDoor('/pipeline/:id/log', (who, v) => users[who].agent.get(`/pipeline/${runs[v]}/log`).set('Accept', 'application/json').then((r) => ({ status: r.status, text: r.text })));
    await expectDoor('/pipeline/:id/provenance.json', (who, v) => page(`/pipeline/${runs[v]}/provenance.json`)(who));
    await expectDoor('/api/processes/:id', (who, v) => api(`/api/processes/${runs[v]}`)(who));
    await expectDoor('/api/processes/:id/log', (who, v) => api(`/api/processes/${runs[v]}/log`)(who));
    for (const who of CAST) {
      const list = await bearer(who, 'get', `/api/processes?limit=200`).expect(200);
      const ids = list.body.items.map((r: { id: number }) => r.id);
      for (const v of VISIBILITIES) expect({ who, v, listed: ids.includes(runs[v]) }).toEqual({ who, v, listed: VIEWERS[v].includes(who) });
      const page = await users[who].agent.get('/runs?limit=200').expect(200);
      for (const v of VISIBILITIES) {
        expect({ who, v, onRuns: page.text.includes(`/pipeline/${runs[v]}"`) }).toEqual({ who, v, onRuns: VIEWERS[v].includes(who) });
      }
    }
    // The socket room asks the same question.
    const answers: Record<string, boolean> = {};
    for (const who of CAST) {
      const cookies = (await users[who].agent.get('/targets')).request.cookies;
      const socket = connect(baseUrl, { transports: ['websocket'], extraHeaders: { Cookie: cookies }, forceNew: true });
      try {
        for (const v of VISIBILITIES) {
          const reply = await socket.timeout(5000).emitWithAck('join-run', { runId: runs[v], after: 0 });
          answers[`${who}/${v}`] = Boolean(reply.ok);
        }
      } finally {
        socket.close();
      }
    }
    for (const v of VISIBILITIES) for (const who of CAST) expect({ who, v, joined: answers[`${who}/${v}`] }).toEqual({ who, v, joined: VIEWERS[v].includes(who) });
  });

  it('light-curve points: the target JSON in the "everyone" view shows only series the viewer may see', async () => {
    for (const who of CAST) {
      const curve = await users[who].agent.get(`/targets/${sky}/light-curve.json?view=everyone`).expect(200);
      const filters = (curve.body.series as Array<{ filter: string }>).map((s) => s.filter);
      for (const v of VISIBILITIES) expect({ who, v, shown: filters.includes(`V-${v}`) }).toEqual({ who, v, shown: VIEWERS[v].includes(who) });
    }
  });

  it('refused writes change nothing: delete, share and cancel by anyone but the owner, her teacher or an admin', async () => {
    const snapshot = () =>
      portal.dataSource.query(
        `SELECT (SELECT json_agg(json_build_object('id', id, 'v', visibility, 'name', name) ORDER BY id) FROM targets) AS targets,
                (SELECT json_agg(json_build_object('id', id, 'v', visibility) ORDER BY id) FROM data_products) AS products,
                (SELECT json_agg(json_build_object('id', id, 'v', visibility) ORDER BY id) FROM data_product_groups) AS groups,
                (SELECT json_agg(json_build_object('id', id, 'v', visibility, 's', state) ORDER BY id) FROM pipeline_runs) AS runs,
                (SELECT count(*) FROM reduced_data) AS points`,
      );
    const before = await snapshot();
    for (const who of CAST.filter((c) => !CHANGERS.includes(c))) {
      for (const v of VISIBILITIES) {
        const tries = [
          bearer(who, 'patch', `/api/targets/${targets[v]}`).send({ name: `hijacked by ${who}` }),
          bearer(who, 'delete', `/api/targets/${targets[v]}`),
          bearer(who, 'delete', `/api/data-products/${products[v]}`),
          bearer(who, 'patch', `/api/data-products/${products[v]}`).send({ visibility: 'public' }),
          bearer(who, 'delete', `/api/groups/${groups[v]}`),
          bearer(who, 'patch', `/api/groups/${groups[v]}`).send({ visibility: 'public' }),
          bearer(who, 'patch', `/api/processes/${runs[v]}`).send({ visibility: 'public' }),
          users[who].agent.post(`/targets/${targets[v]}/delete`).type('form').send({ _csrf: users[who].csrf }),
          users[who].agent.post(`/data-products/${products[v]}/delete`).type('form').send({ _csrf: users[who].csrf }),
          users[who].agent.post(`/groups/${groups[v]}/delete`).type('form').send({ _csrf: users[who].csrf }),
        ];
        for (const attempt of tries) {
          const response = await attempt;
          const url = (response as unknown as { req: { path: string } }).req.path;
          expect({ who, v, url, refused: REFUSED.includes(response.status) }).toEqual({ who, v, url, refused: true });
        }
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a teacher may change her student's work; another school's teacher may not even see it", async () => {
    await bearer('teacherA', 'patch', `/api/data-products/${products.private}`).send({ visibility: 'class', classroomId: classA }).expect(200);
    await bearer('a2', 'get', `/api/data-products/${products.private}`).expect(200);
    await bearer('teacherB', 'get', `/api/data-products/${products.private}`).expect((r) => expect(REFUSED).toContain(r.status));
    // Sharing with a class one is not in is refused, and changes nothing.
    await bearer('a1', 'patch', `/api/data-products/${products.private}`).send({ visibility: 'class', classroomId: classB }).expect(400);
    const [{ classroom_id }] = await portal.dataSource.query('SELECT classroom_id FROM data_products WHERE id = $1', [products.private]);
    expect(classroom_id).toBe(classA);
    await bearer('teacherA', 'patch', `/api/data-products/${products.private}`).send({ visibility: 'private' }).expect(200);
  });

  it('Bull Board is for admins only', async () => {
    for (const who of CAST) {
      const response = await users[who].agent.get('/admin/queues').set('Accept', 'text/html');
      expect({ who, status: response.status }).toEqual({ who, status: who === 'admin' ? 200 : 403 });
    }
  });
});
