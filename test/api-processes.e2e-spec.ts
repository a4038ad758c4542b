import * as path from 'node:path';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { FIXTURES, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, waitForRun } from './utils/test-app';

describe('JSON API: pipelines and processes (e2e)', () => {
  let portal: TestPortal;
  let admin: LoggedIn;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let privateTarget: number;
  let publicTarget: number;
  let fitsId: number;
  let publicFitsId: number;
  let textId: number;

  const get = (user: LoggedIn, url: string) => user.agent.get(url);
  const post = (user: LoggedIn, url: string, body?: object) => user.agent.post(url).set('X-CSRF-Token', user.csrf).send(body);
  const patch = (user: LoggedIn, url: string, body: object) => user.agent.patch(url).set('X-CSRF-Token', user.csrf).send(body);
  const uploadOne = async (user: LoggedIn, targetId: number, file: string | Buffer, name: string, productType: string) =>
    (await user.agent.post(`/api/targets/${targetId}/data-products`).set('X-CSRF-Token', user.csrf).field('productType', productType).attach('files', file, name).expect(201))
      .body.created[0].id as number;

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    admin = await portal.login('ms-lee', 'admin');
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
    privateTarget = (await post(alice, '/api/targets', { name: 'Horsehead', ra: 85.2458, dec: -2.4583 }).expect(201)).body.id;
    publicTarget = (await post(alice, '/api/targets', { name: 'M13', ra: 250.4235, dec: 36.4613, visibility: 'public' }).expect(201)).body.id;
    fitsId = await uploadOne(alice, privateTarget, path.join(FIXTURES, 'HorseHead.fits'), 'HorseHead.fits', 'fits_image');
    textId = await uploadOne(alice, privateTarget, Buffer.from('just notes'), 'notes.txt', 'other');
    publicFitsId = await uploadOne(alice, publicTarget, path.join(FIXTURES, 'm13-blue-2013-05-05', 'M13_blue_0001.fits.gz'), 'M13_blue_0001.fits.gz', 'fits_image');
  });
  afterAll(() => portal.close());

  it('lists the registered pipelines with kind, suffixes, flags and presets, paged', async () => {
    await admin.agent
      .post('/pipelines/presets')
      .type('form')
      .send({ pipeline: 'Byte count', name: 'Loud', 'flag:verbose': 'on', _csrf: admin.csrf })
      .expect(303);
    const all = await get(bob, '/api/pipelines?limit=500').expect(200);
    // Six pipelines and the config's workflow.
    expect(all.body.total).toBe(7);
    const names = all.body.items.map((p: { name: string }) => p.name);
    expect(names).toEqual([...names].sort((a: string, b: string) => a.localeCompare(b)));
    const byteCount = all.body.items.find((p: { name: string }) => p.name === 'Byte count');
    expect(byteCount).toMatchObject({
      key: 'Byte count',
      shortName: 'byte_count',
      kind: 'command',
      allowedSuffixes: ['.fits', '.fits.gz', '.fz', '.csv', '.txt'],
      flags: { verbose: { default: false, longName: 'Print more' } },
      presets: [{ id: expect.any(Number), name: 'Loud', flags: { verbose: true } }],
    });
    expect(all.body.items.find((p: { name: string }) => p.name === 'FITS header summary')).toMatchObject({ kind: 'class', shortName: 'header_summary' });
    expect(all.body.items.find((p: { name: string }) => p.name === 'Photometry twice')).toMatchObject({ kind: 'workflow', steps: [{ pipeline: 'Photometry maker' }, { pipeline: 'Photometry maker' }] });
    const page = await get(bob, '/api/pipelines?limit=2&offset=6').expect(200);
    expect(page.body).toMatchObject({ total: 7, limit: 2, offset: 6 });
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0].name).toBe(names[6]);
  });

  it('starts a run on a real FITS file, follows its state and reads its log after line N', async () => {
    const started = await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'FITS header summary', inputIds: [fitsId] }).expect(201);
    expect(started.body).toMatchObject({ pipeline: 'FITS header summary', targetId: privateTarget, inputIds: [fitsId], requestedBy: 'alice', flags: {} });
    // The in-process worker may have picked it up already.
    expect(['queued', 'running', 'succeeded']).toContain(started.body.state);
    expect(started.body.identifier).toMatch(new RegExp(`^header_summary_${privateTarget}_\\d{8}T\\d{6}Z`));
    const id = started.body.id;
    await waitForRun(portal, id, ['succeeded', 'failed']);

    const state = await get(alice, `/api/processes/${id}`).expect(200);
    expect(state.body.state).toBe('succeeded');
    expect(state.body.startedAt).toEqual(expect.any(String));
    expect(state.body.finishedAt).toEqual(expect.any(String));
    const [group] = await portal.dataSource.query('SELECT output_group_id FROM pipeline_runs WHERE id = $1', [id]);
    expect(state.body.outputGroupId).toBe(group.output_group_id);
    const outputs = await get(alice, `/api/groups/${state.body.outputGroupId}`).expect(200);
    expect(outputs.body.products.map((p: { name: string }) => p.name)).toEqual(['header_summary.csv']);

    const stored: Array<{ seq: number; text: string }> = await portal.dataSource.query('SELECT seq, text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [id]);
    expect(stored.length).toBeGreaterThan(2);
    const everything = await get(alice, `/api/processes/${id}/log`).expect(200);
    expect(everything.body.state).toBe('succeeded');
    expect(everything.body.lines.map((line: { seq: number; text: string }) => [line.seq, line.text])).toEqual(stored.map((line) => [line.seq, line.text]));
    expect(everything.body.lines.some((line: { text: string }) => /Reading frame 1\/1/.test(line.text))).toBe(true);
    expect(everything.body.lastSeq).toBe(stored[stored.length - 1].seq);

    const after = stored[1].seq;
    const rest = await get(alice, `/api/processes/${id}/log?after=${after}`).expect(200);
    expect(rest.body.lines.map((line: { seq: number }) => line.seq)).toEqual(stored.filter((line) => line.seq > after).map((line) => line.seq));
    const none = await get(alice, `/api/processes/${id}/log?after=${everything.body.lastSeq}`).expect(200);
    expect(none.body).toMatchObject({ lines: [], lastSeq: everything.body.lastSeq });
    expect((await get(alice, `/api/processes/${id}/log?after=-1`).expect(400)).body.errors).toHaveProperty('after');

    const provenance = await get(alice, `/api/processes/${id}/provenance`).expect(200);
    const [product] = await portal.dataSource.query('SELECT sha256 FROM data_products WHERE id = $1', [fitsId]);
    expect(provenance.body).toMatchObject({
      identifier: started.body.identifier,
      pipeline: { key: 'FITS header summary', kind: 'class', shortName: 'header_summary', configHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      state: 'succeeded',
      target: { id: privateTarget, name: 'Horsehead' },
      inputs: [{ id: fitsId, name: 'HorseHead.fits', sha256: product.sha256 }],
      requestedBy: 'alice',
    });
  });

  it('records flags and the preset they came from', async () => {
    const [preset] = await portal.dataSource.query(`SELECT id FROM pipeline_presets WHERE name = 'Loud'`);
    const started = await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'Byte count', inputIds: [textId], flags: { verbose: true }, presetId: preset.id }).expect(201);
    const done = await waitForRun(portal, started.body.id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.flags).toEqual({ verbose: true });
    expect(done.provenance.flags.verbose).toEqual({ value: true, source: 'preset' });
    expect(done.provenance.preset).toBe('Loud');
  });

  it('refuses bad requests to start a run with 400, naming the problem', async () => {
    const invalid = await post(alice, '/api/processes', { targetId: 'x', pipeline: '', inputIds: [], flags: 'on', extra: 1 }).expect(400);
    expect(Object.keys(invalid.body.errors).sort()).toEqual(['extra', 'flags', 'inputIds', 'targetId']);
    const unknownPipeline = await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'Nope', inputIds: [fitsId] }).expect(400);
    expect(unknownPipeline.body.message).toMatch(/Unknown pipeline "Nope"/);
    const unknownFlag = await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'Byte count', inputIds: [fitsId], flags: { loud: true } }).expect(400);
    expect(unknownFlag.body.message).toMatch(/Unknown flag: loud/);
    const wrongSuffix = await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'FITS header summary', inputIds: [textId] }).expect(400);
    expect(wrongSuffix.body.message).toMatch(/notes\.txt/);
    const otherTarget = await post(alice, '/api/processes', { targetId: publicTarget, pipeline: 'Byte count', inputIds: [fitsId] }).expect(400);
    expect(otherTarget.body.message).toMatch(/does not belong to M13/);
    await post(alice, '/api/processes', { targetId: 999999, pipeline: 'Byte count', inputIds: [fitsId] }).expect(404);
    await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'Byte count', inputIds: [999999] }).expect(404);
  });

  it('keeps another student\'s runs out of reach until she shares them, even on a public target', async () => {
    const [run] = await portal.dataSource.query(`SELECT id FROM pipeline_runs WHERE target_id = $1 ORDER BY id LIMIT 1`, [privateTarget]);
    await get(bob, `/api/processes/${run.id}`).expect(403);
    await get(bob, `/api/processes/${run.id}/log?after=0`).expect(403);
    await get(bob, `/api/processes/${run.id}/provenance`).expect(403);
    await post(bob, `/api/processes/${run.id}/cancel`).expect(403);
    await post(bob, '/api/processes', { targetId: privateTarget, pipeline: 'Byte count', inputIds: [fitsId] }).expect(403);
    await get(bob, `/api/processes?target=${privateTarget}`).expect(403);
    await get(bob, '/api/processes/999999').expect(404);

    // A run belongs to the student who started it and is private to her (and her teachers) at first, wherever it ran.
    const onPublic = await post(alice, '/api/processes', { targetId: publicTarget, pipeline: 'FITS header summary', inputIds: [publicFitsId] }).expect(201);
    expect(onPublic.body.visibility).toBe('private');
    await waitForRun(portal, onPublic.body.id, ['succeeded', 'failed']);
    expect((await get(bob, '/api/processes').expect(200)).body).toMatchObject({ items: [], total: 0 });
    await get(bob, `/api/processes/${onPublic.body.id}/log`).expect(403);
    await patch(bob, `/api/processes/${onPublic.body.id}`, { visibility: 'public' }).expect(403);
    const shared = await patch(alice, `/api/processes/${onPublic.body.id}`, { visibility: 'public' }).expect(200);
    expect(shared.body).toMatchObject({ id: onPublic.body.id, visibility: 'public', classroomId: null });
    const bobs = await get(bob, '/api/processes').expect(200);
    expect(bobs.body.items.map((r: { id: number }) => r.id)).toEqual([onPublic.body.id]);
    expect(bobs.body.total).toBe(1);
    await get(bob, `/api/processes/${onPublic.body.id}/log`).expect(200);
    // Its output group was shared with it.
    await get(bob, `/api/groups/${shared.body.outputGroupId}`).expect(200);
    // Seeing a run is not owning it.
    await post(bob, `/api/processes/${onPublic.body.id}/cancel`).expect(403);
  });

  it('lists runs with filters on target, state and pipeline, paged', async () => {
    const all = await get(admin, '/api/processes').expect(200);
    const rows = await portal.dataSource.query('SELECT id FROM pipeline_runs ORDER BY created_at DESC, id DESC');
    expect(all.body.total).toBe(rows.length);
    expect(all.body.items.map((r: { id: number }) => r.id)).toEqual(rows.map((r: { id: number }) => r.id));

    const headerRuns = await get(alice, `/api/processes?pipeline=${encodeURIComponent('FITS header summary')}&state=succeeded`).expect(200);
    expect(headerRuns.body.total).toBe(2);
    expect(headerRuns.body.items.every((r: { pipeline: string; state: string }) => r.pipeline === 'FITS header summary' && r.state === 'succeeded')).toBe(true);
    const onTarget = await get(alice, `/api/processes?target=${publicTarget}`).expect(200);
    expect(onTarget.body.items.map((r: { targetId: number }) => r.targetId)).toEqual([publicTarget]);
    const paged = await get(alice, '/api/processes?limit=1&offset=1').expect(200);
    expect(paged.body).toMatchObject({ total: rows.length, limit: 1, offset: 1 });
    expect(paged.body.items.map((r: { id: number }) => r.id)).toEqual([rows[1].id]);
    expect(Object.keys((await get(alice, '/api/processes?state=sleeping&target=0').expect(400)).body.errors).sort()).toEqual(['state', 'target']);
  });

  it('starts, follows, cancels and inspects runs with a bearer token and no CSRF token', async () => {
    const [row] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'alice'`);
    const { token } = await portal.app.get(ApiTokensService).create({ id: row.id }, 'processes e2e');
    const as = (method: 'get' | 'post', url: string) => portal.http[method](url).set('Authorization', `Bearer ${token}`);

    const pipelines = await as('get', '/api/pipelines').expect(200);
    expect(pipelines.body.total).toBe(7);
    const started = await as('post', '/api/processes').send({ targetId: privateTarget, pipeline: 'Byte count', inputIds: [textId], flags: { verbose: true } }).expect(201);
    expect(started.body.requestedBy).toBe('alice');
    await waitForRun(portal, started.body.id, ['succeeded', 'failed']);
    const finished = (await as('get', `/api/processes/${started.body.id}`).expect(200)).body;
    expect(finished).toMatchObject({ state: 'succeeded', attempt: 1, maxAttempts: 3 });
    const log = await as('get', `/api/processes/${started.body.id}/log?after=0`).expect(200);
    expect(log.body.lines.length).toBeGreaterThan(0);
    expect((await as('get', `/api/processes/${started.body.id}/provenance`).expect(200)).body.flags.verbose).toEqual({ value: true, source: 'user' });
    expect((await as('get', `/api/processes?target=${privateTarget}&state=succeeded`).expect(200)).body.items[0].id).toBe(started.body.id);
    expect((await as('post', `/api/processes/${started.body.id}/cancel`).expect(200)).body.state).toBe('succeeded');

    for (const [method, url] of [
      ['get', '/api/pipelines'],
      ['get', `/api/processes/${started.body.id}`],
      ['get', `/api/processes/${started.body.id}/log`],
      ['post', '/api/processes'],
      ['post', `/api/processes/${started.body.id}/cancel`],
    ] as const) {
      await portal.http[method](url).expect(401);
      await portal.http[method](url).set('Authorization', `Bearer aep_${'x'.repeat(43)}`).expect(401);
    }
  });

  it('cancels a running run (its starter, her teachers or an admin)', async () => {
    const started = await post(alice, '/api/processes', { targetId: privateTarget, pipeline: 'Slow sleeper', inputIds: [textId] }).expect(201);
    await waitForRun(portal, started.body.id, ['running']);
    const cancelled = await post(alice, `/api/processes/${started.body.id}/cancel`).expect(200);
    expect(cancelled.body.id).toBe(started.body.id);
    const done = await waitForRun(portal, started.body.id, ['cancelled', 'failed', 'succeeded']);
    expect(done.state).toBe('cancelled');
    expect((await get(alice, `/api/processes/${started.body.id}`).expect(200)).body.state).toBe('cancelled');
    // Cancelling a finished run changes nothing.
    expect((await post(admin, `/api/processes/${started.body.id}/cancel`).expect(200)).body.state).toBe('cancelled');
  });
});
