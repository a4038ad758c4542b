import { createTarget, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

/** The runs overview at /runs: who sees which runs (the sharing policy; an admin sees all), the filters, paging, newest first. */
describe('runs overview (e2e)', () => {
  let portal: TestPortal;
  let admin: LoggedIn;
  let alice: LoggedIn;
  let bob: LoggedIn;
  /** Run ids by name, in the order they were started. */
  const runs: Record<string, number> = {};

  const start = async (user: LoggedIn, targetId: number, pipeline: string, productId: number) => {
    const response = await user.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline, productIds: [String(productId)], _csrf: user.csrf })
      .expect(303);
    return Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
  };

  /** The page with Handlebars' escapes in attribute values undone (`&amp;`, `&#x3D;`). */
  const decoded = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  /** The run ids in the page's table, top to bottom. */
  const rowsOf = (html: string) => [...html.matchAll(/<tr data-run-id="(\d+)">/g)].map((match) => Number(match[1]));

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    admin = await portal.login('ms.lee', 'admin');
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
    const vega = await createTarget(alice, { name: 'Vega', ra: '279.2347', dec: '38.7837', visibility: 'private' });
    const deneb = await createTarget(bob, { name: 'Deneb', ra: '310.3580', dec: '45.2803', visibility: 'public' });
    const aliceFile = await uploadOne(alice, vega, Buffer.from('alice notes'), 'alice.txt', 'other');
    const bobFile = await uploadOne(bob, deneb, Buffer.from('bob notes'), 'bob.txt', 'other');
    // One at a time, so created_at orders them as listed here.
    runs.aliceBytes = await start(alice, vega, 'Byte count', aliceFile);
    await waitForRun(portal, runs.aliceBytes, ['succeeded', 'failed']);
    runs.aliceCrash = await start(alice, vega, 'Crasher', aliceFile);
    await waitForRun(portal, runs.aliceCrash, ['succeeded', 'failed']);
    runs.bobBytes = await start(bob, deneb, 'Byte count', bobFile);
    await waitForRun(portal, runs.bobBytes, ['succeeded', 'failed']);
    // A student may run a pipeline on another's public target: the run is hers, the target is Bob's.
    runs.aliceOnDeneb = await start(alice, deneb, 'Byte count', bobFile);
    await waitForRun(portal, runs.aliceOnDeneb, ['succeeded', 'failed']);
  }, 120_000);
  afterAll(() => portal.close());

  it('shows an admin every run, newest first, with links, requester, state badge, status and duration', async () => {
    const page = await admin.agent.get('/runs').expect(200);
    expect(rowsOf(page.text)).toEqual([runs.aliceOnDeneb, runs.bobBytes, runs.aliceCrash, runs.aliceBytes]);
    const [crash] = await portal.dataSource.query('SELECT identifier, status FROM pipeline_runs WHERE id = $1', [runs.aliceCrash]);
    const row = page.text.slice(page.text.indexOf(`<tr data-run-id="${runs.aliceCrash}">`)).split('</tr>')[0];
    expect(row).toContain(`<a href="/pipeline/${runs.aliceCrash}">${crash.identifier}</a>`);
    expect(row).toMatch(/<a href="\/targets\/\d+">Vega<\/a>/);
    expect(row).toContain('<td>alice</td>');
    expect(row).toContain('<span class="badge state-failed">failed</span>');
    expect(row).toMatch(/<td>[\d.]+ (ms|s)<\/td>/);
    expect(page.text).toContain('1–4 of 4');
    expect(page.text).toContain('href="/admin/queues"');
  });

  it('shows a student only the runs she may see (her own, runs are private by default), including one on another student\'s target', async () => {
    const page = await alice.agent.get('/runs').expect(200);
    expect(rowsOf(page.text)).toEqual([runs.aliceOnDeneb, runs.aliceCrash, runs.aliceBytes]);
    expect(page.text).not.toContain('href="/admin/queues"');
    const bobs = await bob.agent.get('/runs').expect(200);
    expect(rowsOf(bobs.text)).toEqual([runs.bobBytes]);
    // Filtering by another user cannot widen it.
    expect(rowsOf((await bob.agent.get('/runs?user=alice').expect(200)).text)).toEqual([]);
  });

  it('filters by state, pipeline, user and target, alone and together', async () => {
    const ids = async (query: string) => rowsOf((await admin.agent.get(`/runs?${query}`).expect(200)).text);
    expect(await ids('state=failed')).toEqual([runs.aliceCrash]);
    expect(await ids('state=succeeded')).toEqual([runs.aliceOnDeneb, runs.bobBytes, runs.aliceBytes]);
    expect(await ids(`pipeline=${encodeURIComponent('Byte count')}`)).toEqual([runs.aliceOnDeneb, runs.bobBytes, runs.aliceBytes]);
    expect(await ids('pipeline=Crasher')).toEqual([runs.aliceCrash]);
    expect(await ids('user=bob')).toEqual([runs.bobBytes]);
    expect(await ids('user=ALICE')).toEqual([runs.aliceOnDeneb, runs.aliceCrash, runs.aliceBytes]);
    expect(await ids('target=deneb')).toEqual([runs.aliceOnDeneb, runs.bobBytes]);
    expect(await ids('target=Vega&state=succeeded')).toEqual([runs.aliceBytes]);
    expect(await ids(`user=alice&target=Deneb&pipeline=${encodeURIComponent('Byte count')}`)).toEqual([runs.aliceOnDeneb]);
    expect(await ids('target=%25')).toEqual([]);
    // The form shows the chosen filters again.
    const page = await admin.agent.get('/runs?state=failed&target=Vega').expect(200);
    expect(page.text).toContain('<option value="failed" selected>');
    expect(page.text).toContain('name="target" value="Vega"');
    // Every registered pipeline is offered, with or without runs.
    expect(page.text).toContain('<option value="Photometry maker" >Photometry maker</option>');
  });

  it('pages with limit and offset, keeping the filters in the next and previous links', async () => {
    const first = await admin.agent.get('/runs?limit=2').expect(200);
    expect(rowsOf(first.text)).toEqual([runs.aliceOnDeneb, runs.bobBytes]);
    expect(first.text).toContain('1–2 of 4');
    expect(decoded(first.text)).toContain('href="/runs?limit=2&offset=2" rel="next"');
    expect(first.text).not.toContain('rel="prev"');
    const second = await admin.agent.get('/runs?limit=2&offset=2').expect(200);
    expect(rowsOf(second.text)).toEqual([runs.aliceCrash, runs.aliceBytes]);
    expect(second.text).toContain('3–4 of 4');
    expect(decoded(second.text)).toContain('href="/runs?limit=2" rel="prev"');
    expect(second.text).not.toContain('rel="next"');
    const filtered = await admin.agent.get('/runs?user=alice&limit=1&offset=1').expect(200);
    expect(rowsOf(filtered.text)).toEqual([runs.aliceCrash]);
    expect(decoded(filtered.text)).toContain('href="/runs?user=alice&limit=1&offset=2" rel="next"');
    expect(decoded(filtered.text)).toContain('href="/runs?user=alice&limit=1" rel="prev"');
  });

  it('refuses a bad filter or page with a clear message', async () => {
    const state = await admin.agent.get('/runs?state=exploded').set('Accept', 'application/json').expect(400);
    expect(state.body.message).toBe('state must be one of queued, running, succeeded, failed, cancelled, interrupted, not "exploded"');
    const limit = await admin.agent.get('/runs?limit=5000').set('Accept', 'text/html').expect(400);
    expect(limit.text).toContain('limit must be a whole number from 1 to 200');
    await admin.agent.get('/runs?offset=-1').expect(400);
    await admin.agent.get('/runs?limit=0').expect(400);
  });

  it('lists the runs shared with a student too, and "Only mine" narrows to her own', async () => {
    await alice.agent.patch(`/api/processes/${runs.aliceOnDeneb}`).set('X-CSRF-Token', alice.csrf).send({ visibility: 'public' }).expect(200);
    const page = await bob.agent.get('/runs').expect(200);
    expect(rowsOf(page.text)).toEqual([runs.aliceOnDeneb, runs.bobBytes]);
    expect(page.text).toContain('<input type="checkbox" name="mine" value="1" >');
    const mine = await bob.agent.get('/runs?mine=1').expect(200);
    expect(rowsOf(mine.text)).toEqual([runs.bobBytes]);
    expect(mine.text).toContain('<input type="checkbox" name="mine" value="1" checked>');
    expect(rowsOf((await bob.agent.get('/runs?user=alice').expect(200)).text)).toEqual([runs.aliceOnDeneb]);
    await bob.agent.get('/runs?mine=maybe').set('Accept', 'application/json').expect(400);
  });

  it('needs a login', async () => {
    const response = await portal.http.get('/runs').set('Accept', 'text/html').expect(302);
    expect(response.headers.location).toBe('/login?next=%2Fruns');
  });
});
