import { io as connect, Socket } from 'socket.io-client';
import { createTarget, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

/**
 * Runs and groups belong to who made them and are shared by the sharing policy at every door. Cast: teacher A with
 * class A (students a1, a2), teacher B with class B (student b1), an admin. a1 runs pipelines on teacher A's public
 * target: the run, its log, provenance, output group and products, and its light-curve points are a1's, private to
 * her and her teachers until she shares them, and every way in (pages, API, /runs, the target page, Socket.IO)
 * answers the same.
 */
type Cast = 'admin' | 'teacherA' | 'teacherB' | 'a1' | 'a2' | 'b1';
const CAST: Cast[] = ['admin', 'teacherA', 'teacherB', 'a1', 'a2', 'b1'];
const PRIVATE_VIEWERS: Cast[] = ['admin', 'teacherA', 'a1'];
const CLASS_VIEWERS: Cast[] = [...PRIVATE_VIEWERS, 'a2'];
const REFUSED = [403, 404];

describe('sharing runs and groups (e2e)', () => {
  let portal: TestPortal;
  let baseUrl: string;
  const users = {} as Record<Cast, LoggedIn & { id: string }>;
  let classA: number;
  let classB: number;
  let sky: number;
  let input: number;
  /** a1's finished Byte count run, its output group and output product. */
  let run: number;
  let outputGroup: number;
  let outputProduct: number;

  const api = (who: Cast, method: 'get' | 'post' | 'patch' | 'delete', url: string) =>
    users[who].agent[method](url).set('X-CSRF-Token', users[who].csrf).set('Accept', 'application/json');
  const form = (who: Cast, url: string, fields: Record<string, string | string[]> = {}) =>
    users[who].agent.post(url).type('form').set('Accept', 'text/html').send({ ...fields, _csrf: users[who].csrf });
  const page = (who: Cast, url: string) => users[who].agent.get(url).set('Accept', 'text/html');
  const start = async (who: Cast, pipeline: string, productIds: number[]) => {
    const response = await form(who, `/targets/${sky}/pipeline-runs`, { pipeline, productIds: productIds.map(String) }).expect(303);
    return Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
  };
  const sharingOf = async (table: string, id: number) =>
    (await portal.dataSource.query(`SELECT visibility, classroom_id FROM ${table} WHERE id = $1`, [id]))[0];

  /** Asks every door of `doors` as everyone; `allowed` get 200, the rest 403/404. Returns what went wrong. */
  async function doorsAnswer(allowed: Cast[], doors: Array<[string, (who: Cast) => Promise<{ status: number }>]>) {
    const wrong: string[] = [];
    for (const [name, ask] of doors) {
      for (const who of CAST) {
        const { status } = await ask(who);
        const ok = allowed.includes(who) ? status === 200 : REFUSED.includes(status);
        if (!ok) wrong.push(`${name} as ${who}: ${status}`);
      }
    }
    return wrong;
  }

  const runDoors = (id: number, group: number, product: number): Array<[string, (who: Cast) => Promise<{ status: number }>]> => [
    ['run page', (who) => page(who, `/pipeline/${id}`)],
    ['run log JSON', (who) => api(who, 'get', `/pipeline/${id}/log?after=0`)],
    ['provenance', (who) => page(who, `/pipeline/${id}/provenance.json`)],
    ['rerun picker', (who) => page(who, `/targets/${sky}?rerun=${id}`)],
    ['API run', (who) => api(who, 'get', `/api/processes/${id}`)],
    ['API log', (who) => api(who, 'get', `/api/processes/${id}/log`)],
    ['API provenance', (who) => api(who, 'get', `/api/processes/${id}/provenance`)],
    ['output group page', (who) => page(who, `/groups/${group}`)],
    ['API output group', (who) => api(who, 'get', `/api/groups/${group}`)],
    ['output product page', (who) => page(who, `/data-products/${product}`)],
    ['API output product', (who) => api(who, 'get', `/api/data-products/${product}`)],
  ];

  /** Which of the cast find the run in /runs, the API's list, the target page's runs table and /groups. */
  async function listedFor(id: number, groupName: string) {
    const seen: Record<string, Cast[]> = { runs: [], api: [], targetPage: [], groups: [] };
    for (const who of CAST) {
      if ((await page(who, '/runs?limit=200').expect(200)).text.includes(`<tr data-run-id="${id}">`)) seen.runs.push(who);
      if ((await api(who, 'get', '/api/processes?limit=200').expect(200)).body.items.some((r: { id: number }) => r.id === id)) seen.api.push(who);
      if ((await page(who, `/targets/${sky}`).expect(200)).text.includes(`<tr data-run-id="${id}">`)) seen.targetPage.push(who);
      if ((await page(who, '/groups?limit=200').expect(200)).text.includes(`>${groupName}</a>`)) seen.groups.push(who);
    }
    return seen;
  }

  const socketOf = async (who: Cast): Promise<Socket> => {
    const cookie = (await users[who].agent.get('/targets')).request.cookies;
    const socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'], forceNew: true });
    await new Promise((resolve) => socket.once('connect', () => resolve(true)));
    return socket;
  };
  const eventually = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    const roles: Record<Cast, 'admin' | 'teacher' | 'student'> = { admin: 'admin', teacherA: 'teacher', teacherB: 'teacher', a1: 'student', a2: 'student', b1: 'student' };
    for (const who of CAST) {
      const loggedIn = await portal.login(`sr-${who.toLowerCase()}`, roles[who]);
      const [row] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [loggedIn.username]);
      users[who] = { ...loggedIn, id: row.id };
    }
    // Classes straight into their tables: this spec is about sharing, not the class pages.
    [{ id: classA }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Class A', 'SHARERUNA') RETURNING id`);
    [{ id: classB }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Class B', 'SHARERUNB') RETURNING id`);
    for (const [classroom, who, role] of [
      [classA, 'teacherA', 'teacher'],
      [classA, 'a1', 'student'],
      [classA, 'a2', 'student'],
      [classB, 'teacherB', 'teacher'],
      [classB, 'b1', 'student'],
    ] as Array<[number, Cast, string]>) {
      await portal.dataSource.query('INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, $3)', [classroom, users[who].id, role]);
    }
    sky = await createTarget(users.teacherA, { name: 'Open cluster', ra: '250.42', dec: '36.46', visibility: 'public' });
    input = await uploadOne(users.a1, sky, Buffer.from('a1 notes\n'), 'a1-notes.txt', 'other');
    run = await start('a1', 'Byte count', [input]);
    await waitForRun(portal, run, ['succeeded']);
    const [row] = await portal.dataSource.query('SELECT output_group_id FROM pipeline_runs WHERE id = $1', [run]);
    outputGroup = row.output_group_id;
    [{ data_product_id: outputProduct }] = await portal.dataSource.query('SELECT data_product_id FROM data_product_group_members WHERE group_id = $1', [outputGroup]);
  }, 120_000);
  afterAll(() => portal?.close());

  it("makes a run's outputs the requester's, private like the run", async () => {
    const [stored] = await portal.dataSource.query(
      `SELECT r.visibility AS run, g.visibility AS "group", g.created_by_id AS "groupOwner", p.visibility AS product, p.uploaded_by_id AS "productOwner", r.requested_by_id AS requester
         FROM pipeline_runs r JOIN data_product_groups g ON g.id = r.output_group_id JOIN data_products p ON p.id = $2 WHERE r.id = $1`,
      [run, outputProduct],
    );
    expect(stored).toEqual({ run: 'private', group: 'private', groupOwner: users.a1.id, product: 'private', productOwner: users.a1.id, requester: users.a1.id });
  });

  it('shows a private run and its outputs to a1, her teacher and the admin only, at every door and in every list', async () => {
    expect(await doorsAnswer(PRIVATE_VIEWERS, runDoors(run, outputGroup, outputProduct))).toEqual([]);
    const [{ name }] = await portal.dataSource.query('SELECT name FROM data_product_groups WHERE id = $1', [outputGroup]);
    expect(await listedFor(run, name)).toEqual({ runs: PRIVATE_VIEWERS, api: PRIVATE_VIEWERS, targetPage: PRIVATE_VIEWERS, groups: PRIVATE_VIEWERS });
    // "Only mine" narrows the teacher's list to her own runs (she has none).
    expect((await page('teacherA', '/runs?mine=1').expect(200)).text).not.toContain(`<tr data-run-id="${run}">`);
    expect((await page('a1', '/runs?mine=1').expect(200)).text).toContain(`<tr data-run-id="${run}">`);
    const mine = await api('teacherA', 'get', '/api/processes?mine=true').expect(200);
    expect(mine.body.items).toEqual([]);
    // The page offers the sharing form to those who may change the run, and to no one else who sees it.
    expect((await page('a1', `/pipeline/${run}`)).text).toContain('id="run-sharing-form"');
    expect((await page('teacherA', `/pipeline/${run}`)).text).toContain('id="run-sharing-form"');
  });

  it('refuses to share or cancel for anyone who may not change the run, changing nothing', async () => {
    const snapshot = () =>
      portal.dataSource.query(
        `SELECT (SELECT json_agg(json_build_object('id', id, 'v', visibility, 'c', classroom_id, 's', state) ORDER BY id) FROM pipeline_runs) AS runs,
                (SELECT json_agg(json_build_object('id', id, 'v', visibility, 'c', classroom_id) ORDER BY id) FROM data_product_groups) AS groups,
                (SELECT json_agg(json_build_object('id', id, 'v', visibility, 'c', classroom_id) ORDER BY id) FROM data_products) AS products`,
      );
    const before = await snapshot();
    for (const who of ['a2', 'b1', 'teacherB'] as Cast[]) {
      for (const attempt of [
        form(who, `/pipeline/${run}/sharing`, { visibility: 'public' }),
        form(who, `/pipeline/${run}/cancel`),
        api(who, 'patch', `/api/processes/${run}`).send({ visibility: 'public' }),
        api(who, 'post', `/api/processes/${run}/cancel`),
      ]) {
        const response = await attempt;
        expect({ who, url: response.request.url, refused: REFUSED.includes(response.status) }).toEqual({ who, url: response.request.url, refused: true });
      }
    }
    // a1 may not share with a class she is not in; a bad choice is a 400 with a reason.
    const otherClass = await api('a1', 'patch', `/api/processes/${run}`).send({ visibility: 'class', classroomId: classB }).expect(400);
    expect(otherClass.body.message).toBe('You can share only with a class you are in');
    const noClass = await api('a1', 'patch', `/api/processes/${run}`).send({ visibility: 'class' }).expect(400);
    expect(noClass.body.message).toBe('Choose the class to share with');
    await api('a1', 'patch', `/api/processes/${run}`).send({ visibility: 'everyone' }).expect(400);
    await api('a1', 'patch', `/api/processes/${run}`).send({ visibility: 'public', owner: 'a2' }).expect(400);
    const badForm = await form('a1', `/pipeline/${run}/sharing`, { visibility: 'class:999999' }).expect(400);
    expect(badForm.text).toContain('You can share only with a class you are in');
    expect(await snapshot()).toEqual(before);
  });

  it('shares the run with its output group, products and points in one step; a2 then sees them, b1 and teacher B still do not', async () => {
    const shared = await form('a1', `/pipeline/${run}/sharing`, { visibility: `class:${classA}` }).expect(303);
    expect(shared.headers.location).toBe(`/pipeline/${run}`);
    const shown = await page('a1', `/pipeline/${run}`).expect(200);
    expect(shown.text).toContain('Shared the run and its outputs with the class Class A.');
    expect(shown.text).toMatch(new RegExp(`<option value="class:${classA}" selected>Class: Class A</option>`));
    for (const [table, id] of [['pipeline_runs', run], ['data_product_groups', outputGroup], ['data_products', outputProduct]] as Array<[string, number]>) {
      expect({ table, ...(await sharingOf(table, id)) }).toEqual({ table, visibility: 'class', classroom_id: classA });
    }
    // The input was a1's upload, not an output: it keeps its own sharing.
    expect((await sharingOf('data_products', input)).visibility).toBe('private');
    expect(await doorsAnswer(CLASS_VIEWERS, runDoors(run, outputGroup, outputProduct))).toEqual([]);
    const [{ name }] = await portal.dataSource.query('SELECT name FROM data_product_groups WHERE id = $1', [outputGroup]);
    expect(await listedFor(run, name)).toEqual({ runs: CLASS_VIEWERS, api: CLASS_VIEWERS, targetPage: CLASS_VIEWERS, groups: CLASS_VIEWERS });
    // A classmate who may see it may not change it.
    await api('a2', 'patch', `/api/processes/${run}`).send({ visibility: 'public' }).expect(403);
    expect((await page('a2', `/pipeline/${run}`)).text).not.toContain('id="run-sharing-form"');

    // Her teacher may share it further, and take it back.
    const madePublic = await api('teacherA', 'patch', `/api/processes/${run}`).send({ visibility: 'public' }).expect(200);
    expect(madePublic.body).toMatchObject({ id: run, visibility: 'public', classroomId: null });
    expect(await doorsAnswer(CAST, runDoors(run, outputGroup, outputProduct))).toEqual([]);
    await api('teacherA', 'patch', `/api/processes/${run}`).send({ classroomId: classA }).expect(200);
    expect(await sharingOf('data_products', outputProduct)).toEqual({ visibility: 'class', classroom_id: classA });
  });

  it("shares a run's light-curve points with the run", async () => {
    const phot = await start('a1', 'Photometry maker', [input]);
    await waitForRun(portal, phot, ['succeeded']);
    const points = () => portal.dataSource.query('SELECT visibility, classroom_id, owner_id FROM reduced_data WHERE run_id = $1 ORDER BY id', [phot]);
    expect(await points()).toEqual([
      { visibility: 'private', classroom_id: null, owner_id: users.a1.id },
      { visibility: 'private', classroom_id: null, owner_id: users.a1.id },
    ]);
    const response = await api('a1', 'patch', `/api/processes/${phot}`).send({ visibility: 'class', classroomId: classA }).expect(200);
    expect(response.body).toMatchObject({ visibility: 'class', classroomId: classA });
    expect(await points()).toEqual([
      { visibility: 'class', classroom_id: classA, owner_id: users.a1.id },
      { visibility: 'class', classroom_id: classA, owner_id: users.a1.id },
    ]);
    // No one else's points moved.
    expect(await portal.dataSource.query(`SELECT count(*)::int AS n FROM reduced_data WHERE run_id IS DISTINCT FROM $1 AND visibility <> 'private'`, [phot])).toEqual([
      { n: 0 },
    ]);
  });

  it('tells Socket.IO only those who may see a run: run rooms, target pages, and a run taken back', async () => {
    const sockets = {} as Record<Cast, Socket>;
    const heard = {} as Record<Cast, Array<[string, any]>>;
    try {
      for (const who of CAST) {
        sockets[who] = await socketOf(who);
        heard[who] = [];
        sockets[who].onAny((event, payload) => heard[who].push([event, payload]));
        // Everyone may open the public target's page.
        expect((await sockets[who].timeout(5000).emitWithAck('join-target', { targetId: sky })).ok).toBe(true);
      }
      const slow = await start('a1', 'Slow sleeper', [input]);
      await waitForRun(portal, slow, ['running']);
      const about = (who: Cast, event?: string) =>
        heard[who].filter(([name, payload]) => (!event || name === event) && (payload?.runId === slow || (Array.isArray(payload) && payload.some((line) => line.runId === slow))));

      // The run's states reach the target pages of a1, her teacher and the admin only.
      await eventually('the target pages to hear the run start', () => PRIVATE_VIEWERS.every((who) => about(who, 'run').some(([, s]) => s.state === 'running')));
      for (const who of CAST) {
        const join = await sockets[who].timeout(5000).emitWithAck('join-run', { runId: slow, after: 0 });
        expect({ who, joined: join.ok }).toEqual({ who, joined: PRIVATE_VIEWERS.includes(who) });
      }
      await eventually('a1 to hear log lines', () => about('a1', 'log-lines').length > 0);
      for (const who of ['a2', 'b1', 'teacherB'] as Cast[]) expect({ who, heard: about(who) }).toEqual({ who, heard: [] });

      // Shared with class A, a2 may join its room and hears its log; b1 and teacher B still may not.
      await api('a1', 'patch', `/api/processes/${slow}`).send({ visibility: 'class', classroomId: classA }).expect(200);
      expect((await sockets.a2.timeout(5000).emitWithAck('join-run', { runId: slow, after: 0 })).ok).toBe(true);
      expect((await sockets.b1.timeout(5000).emitWithAck('join-run', { runId: slow, after: 0 })).ok).toBe(false);
      expect((await sockets.teacherB.timeout(5000).emitWithAck('join-run', { runId: slow, after: 0 })).ok).toBe(false);
      await eventually('a2 to hear log lines', () => about('a2', 'log-lines').length > 0);

      // Taken back: a2 is told and sent out of the room; nothing more reaches her, while a1 keeps hearing.
      await api('a1', 'patch', `/api/processes/${slow}`).send({ visibility: 'private' }).expect(200);
      await eventually('a2 to be told', () => about('a2', 'run-access').length > 0);
      expect(about('a2', 'run-access')[0][1]).toEqual({ runId: slow, ok: false, error: 'This run is no longer shared with you' });
      const a2Count = heard.a2.length;
      const a1Lines = about('a1', 'log-lines').length;
      await eventually('a1 to hear more lines', () => about('a1', 'log-lines').length > a1Lines + 1);
      // Cancel: teacher B may not; a1 may, and only the allowed target pages hear it end.
      await api('teacherB', 'post', `/api/processes/${slow}/cancel`).expect(403);
      expect((await portal.dataSource.query('SELECT state FROM pipeline_runs WHERE id = $1', [slow]))[0].state).toBe('running');
      await form('a1', `/pipeline/${slow}/cancel`).expect(303);
      await waitForRun(portal, slow, ['cancelled']);
      await eventually('the allowed to hear the cancel', () => PRIVATE_VIEWERS.every((who) => about(who, 'run').some(([, s]) => s.state === 'cancelled')));
      // A socket delivers in order and the portal writes a broadcast to all its sockets at once: once the allowed
      // heard the cancel, an answered round trip on each other socket proves nothing more is on its way to it.
      for (const who of ['a2', 'b1', 'teacherB'] as Cast[]) await new Promise((resolve) => sockets[who].emit('join-run', { runId: 0 }, resolve));
      expect(heard.a2.slice(a2Count)).toEqual([]);
      for (const who of ['b1', 'teacherB'] as Cast[]) expect({ who, heard: about(who) }).toEqual({ who, heard: [] });
    } finally {
      for (const socket of Object.values(sockets)) socket.disconnect();
    }
  });

  describe('groups', () => {
    let group: number;
    let a1Product: number;

    beforeAll(async () => {
      a1Product = await uploadOne(users.a1, sky, Buffer.from('a1 second notes\n'), 'a1-second.txt', 'other');
      const made = await form('a1', '/groups', { name: 'a1 picks', productIds: [String(a1Product)] }).expect(303);
      group = Number(/\/groups\/(\d+)/.exec(made.headers.location)![1]);
    });

    const groupDoors = (): Array<[string, (who: Cast) => Promise<{ status: number }>]> => [
      ['group page', (who) => page(who, `/groups/${group}`)],
      ['API group', (who) => api(who, 'get', `/api/groups/${group}`)],
    ];
    const listed = async () => {
      const seen: Cast[] = [];
      for (const who of CAST) {
        const list = await api(who, 'get', '/api/groups?limit=200').expect(200);
        if (list.body.items.some((g: { id: number }) => g.id === group)) seen.push(who);
      }
      return seen;
    };

    it('makes a hand-made group private to its maker and her teachers', async () => {
      expect(await sharingOf('data_product_groups', group)).toEqual({ visibility: 'private', classroom_id: null });
      expect(await doorsAnswer(PRIVATE_VIEWERS, groupDoors())).toEqual([]);
      expect(await listed()).toEqual(PRIVATE_VIEWERS);
      // It is offered for "add ticked to" (under the products everyone may see) only to those who may change it.
      for (const who of CAST) {
        const offered = (await page(who, `/targets/${sky}?scope=everyone`).expect(200)).text.includes(`<option value="${group}">a1 picks</option>`);
        expect({ who, offered }).toEqual({ who, offered: PRIVATE_VIEWERS.includes(who) });
      }
    });

    it('refuses every change by those who may not change it, changing nothing', async () => {
      const snapshot = async () => ({
        group: await portal.dataSource.query('SELECT name, visibility, classroom_id FROM data_product_groups WHERE id = $1', [group]),
        members: await portal.dataSource.query('SELECT data_product_id FROM data_product_group_members WHERE group_id = $1 ORDER BY 1', [group]),
      });
      const before = await snapshot();
      // a2 first gets to see the group (public), so the refusals are about changing, not seeing.
      await api('a1', 'patch', `/api/groups/${group}`).send({ visibility: 'public' }).expect(200);
      const seen = await snapshot();
      const b1Product = await uploadOne(users.b1, sky, Buffer.from('b1 notes\n'), 'b1-notes.txt', 'other');
      for (const who of ['a2', 'b1', 'teacherB'] as Cast[]) {
        const product = who === 'b1' ? b1Product : a1Product;
        for (const attempt of [
          form(who, `/groups/${group}/rename`, { name: `taken by ${who}` }),
          form(who, `/groups/${group}/sharing`, { visibility: 'private' }),
          form(who, `/groups/${group}/remove`, { productId: String(a1Product) }),
          form(who, '/groups/add', { groupId: String(group), productIds: [String(product)] }),
          form(who, `/groups/${group}/delete`),
          api(who, 'patch', `/api/groups/${group}`).send({ name: `taken by ${who}` }),
          api(who, 'post', `/api/groups/${group}/products`).send({ productIds: [product] }),
          api(who, 'delete', `/api/groups/${group}`),
        ]) {
          const response = await attempt;
          expect({ who, url: response.request.url, status: response.status }).toEqual({ who, url: response.request.url, status: 403 });
        }
      }
      expect(await snapshot()).toEqual(seen);
      await api('a1', 'patch', `/api/groups/${group}`).send({ visibility: 'private' }).expect(200);
      expect(await snapshot()).toEqual(before);
    });

    it('shares a group with a class and then everyone; inside it each product keeps its own sharing', async () => {
      await form('a1', `/groups/${group}/sharing`, { visibility: `class:${classA}` }).expect(303);
      expect(await sharingOf('data_product_groups', group)).toEqual({ visibility: 'class', classroom_id: classA });
      expect(await doorsAnswer(CLASS_VIEWERS, groupDoors())).toEqual([]);
      expect(await listed()).toEqual(CLASS_VIEWERS);
      // a1's product in it is still private: a2 sees the group, not the product; her teacher sees both.
      const a2View = await api('a2', 'get', `/api/groups/${group}`).expect(200);
      expect(a2View.body).toMatchObject({ visibility: 'class', classroomId: classA, productCount: 0, products: [] });
      expect((await page('a2', `/groups/${group}`)).text).toContain('This group has no products you can see.');
      const teacherView = await api('teacherA', 'get', `/api/groups/${group}`).expect(200);
      expect(teacherView.body.products.map((p: { id: number }) => p.id)).toEqual([a1Product]);
      // a2 may not change it; sharing with a class a1 is not in is refused.
      const other = await api('a1', 'patch', `/api/groups/${group}`).send({ visibility: 'class', classroomId: classB }).expect(400);
      expect(other.body.message).toBe('You can share only with a class you are in');
      expect(await sharingOf('data_product_groups', group)).toEqual({ visibility: 'class', classroom_id: classA });

      // Her teacher renames and makes it public; now everyone sees it.
      const renamed = await api('teacherA', 'patch', `/api/groups/${group}`).send({ name: 'a1 picks (checked)', visibility: 'public' }).expect(200);
      expect(renamed.body).toMatchObject({ name: 'a1 picks (checked)', visibility: 'public', classroomId: null });
      expect(await doorsAnswer(CAST, groupDoors())).toEqual([]);
      expect(await listed()).toEqual(CAST);
    });

    it('lets the maker rename, empty and delete her group from its page', async () => {
      await form('a1', `/groups/${group}/rename`, { name: 'a1 final' }).expect(303);
      expect((await portal.dataSource.query('SELECT name FROM data_product_groups WHERE id = $1', [group]))[0].name).toBe('a1 final');
      await form('a1', `/groups/${group}/remove`, { productId: String(input) }).expect(400);
      await form('a1', `/groups/${group}/remove`, { productId: String(a1Product) }).expect(303);
      expect(await portal.dataSource.query('SELECT 1 FROM data_product_group_members WHERE group_id = $1', [group])).toEqual([]);
      await form('a1', `/groups/${group}/delete`).expect(303);
      expect(await portal.dataSource.query('SELECT 1 FROM data_product_groups WHERE id = $1', [group])).toEqual([]);
      expect(await portal.dataSource.query('SELECT 1 FROM data_products WHERE id = $1', [a1Product])).toHaveLength(1);
    });
  });
});
