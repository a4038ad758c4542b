import * as path from 'node:path';
import { io as connect, Socket } from 'socket.io-client';
import * as prepared from '../src/database/prepared-query';
import { eventually } from './utils/fault-tools';
import { createTarget, FIXTURES, LoggedIn, logOf, startTestPortal, TEST_PIPELINES, TestPortal, waitForRun } from './utils/test-app';

describe('pipelines (e2e)', () => {
  let portal: TestPortal;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let targetId: number;
  let fitsIds: number[];
  let textId: number;
  let baseUrl: string;

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
    targetId = await createTarget(alice, { name: 'Horsehead', ra: '85.2458', dec: '-2.4583', visibility: 'private' });
    const upload = (file: string | Buffer, name: string, type: string) =>
      alice.agent
        .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(alice.csrf)}`)
        .set('Accept', 'application/json')
        .field('productType', type)
        .attach('files', file, name)
        .expect(201);
    const a = await upload(path.join(FIXTURES, 'HorseHead.fits'), 'HorseHead.fits', 'fits_image');
    const b = await upload(path.join(FIXTURES, 'm13-blue-2013-05-05', 'M13_blue_0001.fits.gz'), 'M13_blue_0001.fits.gz', 'fits_image');
    fitsIds = [a.body.created[0].id, b.body.created[0].id];
    textId = (await upload(Buffer.from('just notes'), 'notes.txt', 'other')).body.created[0].id;
  });
  afterAll(() => portal.close());

  const run = (user: LoggedIn, pipeline: string, productIds: number[], extra: Record<string, string> = {}) =>
    user.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline, productIds: productIds.map(String), _csrf: user.csrf, ...extra });

  const started = async (user: LoggedIn, pipeline: string, productIds: number[], extra: Record<string, string> = {}) => {
    const response = await run(user, pipeline, productIds, extra).expect(303);
    return Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
  };

  it('lists the registered pipelines with their flags', async () => {
    const page = await alice.agent.get('/pipelines').expect(200);
    expect(page.text).toContain('FITS header summary');
    expect(page.text).toContain('<code>verbose</code>: Print more (off)');
  });

  it('gives a class pressing Run together on one target a run identifier each, with one INSERT a run', async () => {
    // The same second for all of them (only Date is faked): the counted suffixes, then random ones.
    jest.useFakeTimers({ now: new Date('2026-12-04T10:00:00.250Z'), doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    const statements = jest.spyOn(prepared, 'preparedQuery');
    try {
      const ids = await Promise.all(Array.from({ length: 8 }, () => started(alice, 'FITS header summary', [fitsIds[0]])));
      const inserts = statements.mock.calls.filter(([, sql]) => sql.startsWith('INSERT INTO "pipeline_runs"'));
      expect(inserts).toHaveLength(8);
      const rows: Array<{ identifier: string }> = await portal.dataSource.query('SELECT identifier FROM pipeline_runs WHERE id = ANY($1) ORDER BY identifier', [ids]);
      const base = `header_summary_${targetId}_20261204T100000Z`;
      const random = new RegExp(`^${base}_[0-9a-f]{6}$`);
      const identifiers = rows.map((row) => row.identifier);
      expect(identifiers.filter((identifier) => !random.test(identifier)).sort()).toEqual([base, `${base}_2`, `${base}_3`, `${base}_4`, `${base}_5`]);
      expect(identifiers.filter((identifier) => random.test(identifier))).toHaveLength(3);
      expect(new Set(identifiers).size).toBe(8);
      for (const id of ids) await waitForRun(portal, id, ['succeeded', 'failed']);
    } finally {
      statements.mockRestore();
      jest.useRealTimers();
    }
  });

  it('runs a class pipeline to success: DataProduct output in a new group, log stored', async () => {
    const id = await started(alice, 'FITS header summary', fitsIds);
    const done = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.identifier).toMatch(/^header_summary_\d+_\d{8}T\d{6}Z(_\d+)?$/);
    const [group] = await portal.dataSource.query('SELECT id, name FROM data_product_groups WHERE id = $1', [done.output_group_id]);
    expect(group.name).toBe(`${done.identifier}_outputs`);
    const outputs = await portal.dataSource.query(
      `SELECT p.original_name, p.target_id FROM data_products p JOIN data_product_group_members m ON m.data_product_id = p.id WHERE m.group_id = $1`,
      [group.id],
    );
    expect(outputs).toEqual([{ original_name: 'header_summary.csv', target_id: targetId }]);
    const log = await logOf(portal, id);
    expect(log.some((line) => /Reading frame 1\/2/.test(line))).toBe(true);
    const page = await alice.agent.get(`/pipeline/${id}`).expect(200);
    expect(page.text).toContain(`/groups/${group.id}`);
    expect(page.text).toContain('HorseHead.fits');
    expect(page.text).toContain('id="provenance"');
    expect(page.text).toContain(done.provenance.inputs[0].sha256);
    expect(done.provenance.inputs.map((input: { sha256: string }) => input.sha256)).toHaveLength(2);
    expect(done.provenance.peakRssBytes).toBeGreaterThan(0);
  });

  it('runs a command pipeline with a flag to success', async () => {
    const id = await started(alice, 'Byte count', [fitsIds[0]], { 'flag:verbose': 'on' });
    const done = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.flags).toEqual({ verbose: true });
    expect(done.provenance.flags.verbose).toEqual({ value: true, source: 'user' });
    const log = await logOf(portal, id);
    expect(log.some((line) => line.includes('Counting bytes of'))).toBe(true);
  });

  it('stores ReducedDatum outputs as photometry points with the run as their source', async () => {
    const id = await started(alice, 'Photometry maker', [textId]);
    expect((await waitForRun(portal, id, ['succeeded', 'failed'])).state).toBe('succeeded');
    const points = await portal.dataSource.query(
      `SELECT source_name, value FROM reduced_data WHERE target_id = $1 ORDER BY timestamp`,
      [targetId],
    );
    expect(points).toHaveLength(2);
    expect(points[0].value).toEqual({ magnitude: 14.2, error: 0.05, filter: 'V' });
  });

  it('shows an AsyncError message and stores no outputs', async () => {
    const fake = await alice.agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(alice.csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', 'other')
      .attach('files', Buffer.from('not a fits file at all'), 'broken.fits')
      .expect(201);
    const groupsBefore = await portal.dataSource.query('SELECT count(*)::int AS n FROM data_product_groups');
    const id = await started(alice, 'FITS header summary', [fake.body.created[0].id]);
    const done = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(done.state).toBe('failed');
    expect(done.failure_message).toContain('broken.fits');
    expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM data_product_groups')).toEqual(groupsBefore);
  });

  it('gives a short message for an unexpected error and the stack trace to the log', async () => {
    const id = await started(alice, 'Crasher', [textId]);
    const done = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(done.state).toBe('failed');
    expect(done.failure_message).toMatch(/unexpected error \(TypeError/);
    expect(done.failure_message).not.toContain('at ');
    const log = await logOf(portal, id);
    expect(log.some((line) => line.includes('TypeError') && line.includes('crasher.js'))).toBe(true);
  });

  it('refuses disallowed suffixes, unknown pipelines, unknown flags and no inputs', async () => {
    const suffix = await run(alice, 'FITS header summary', [textId]).set('Accept', 'application/json').expect(400);
    expect(suffix.body.message).toContain('notes.txt');
    const unknown = await run(alice, 'Astrology', fitsIds).set('Accept', 'application/json').expect(400);
    expect(unknown.body.message).toContain('Unknown pipeline "Astrology"');
    const flag = await run(alice, 'Byte count', fitsIds, { 'flag:everything': 'on' }).set('Accept', 'application/json').expect(400);
    expect(flag.body.message).toContain('everything');
    await run(alice, 'Byte count', []).set('Accept', 'application/json').expect(400);
  });

  it('cancels a running command pipeline and kills its whole process group', async () => {
    const id = await started(alice, 'Slow sleeper', [textId]);
    await waitForRun(portal, id, ['running']);
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      const line = (await logOf(portal, id)).find((text) => text.startsWith('grandchild pid'));
      if (line) pid = Number(line.split(' ').pop());
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).not.toThrow();
    await alice.agent.post(`/pipeline/${id}/cancel`).type('form').send({ _csrf: alice.csrf }).expect(303);
    const done = await waitForRun(portal, id, ['cancelled', 'failed', 'succeeded']);
    expect(done.state).toBe('cancelled');
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    expect((await logOf(portal, id)).some((line) => line.startsWith('grandchild pid'))).toBe(true); // the log is kept
  });

  it('streams log lines over Socket.IO in order, and after a reconnect sends only the missing ones', async () => {
    const cookie = (await alice.agent.get('/targets')).request.cookies;
    const id = await started(alice, 'Slow sleeper', [textId]);
    await waitForRun(portal, id, ['running']);
    const seen: number[] = [];
    const client: Socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'] });
    const joined: any = await new Promise((resolve) => client.on('connect', () => client.emit('join-run', { runId: id, after: 0 }, resolve)));
    expect(joined.ok).toBe(true);
    for (const line of joined.lines) seen.push(line.seq);
    const replayed = seen.length;
    // As the run page does: a line stored while the join read the log may come again live; repeats are dropped by seq.
    client.on('log-lines', (lines: Array<{ seq: number }>) => {
      for (const line of lines) if (line.seq > (seen.at(-1) ?? 0)) seen.push(line.seq);
    });
    await eventually('three lines pushed live after the replay', () => seen.length >= replayed + 3);
    client.disconnect();
    const lastSeen = Math.max(...seen);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1)); // 1, 2, 3... in order, no gap
    // Lines keep coming while disconnected: wait until one past the last seen is stored.
    await eventually('a line stored while disconnected', async () => (await logOf(portal, id)).length > lastSeen);
    const again: Socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'] });
    const rejoined: any = await new Promise((resolve) => again.on('connect', () => again.emit('join-run', { runId: id, after: lastSeen }, resolve)));
    again.disconnect();
    expect(rejoined.lines.length).toBeGreaterThan(0);
    expect(rejoined.lines[0].seq).toBe(lastSeen + 1);
    await alice.agent.post(`/pipeline/${id}/cancel`).type('form').send({ _csrf: alice.csrf }).expect(303);
    await waitForRun(portal, id, ['cancelled']);
  });

  it("keeps other students out of a private target's runs: page, log and room", async () => {
    const [done] = await portal.dataSource.query(`SELECT id FROM pipeline_runs WHERE state = 'succeeded' LIMIT 1`);
    await bob.agent.get(`/pipeline/${done.id}`).set('Accept', 'text/html').expect(403);
    await bob.agent.get(`/pipeline/${done.id}/log?after=0`).set('Accept', 'application/json').expect(403);
    const cookie = (await bob.agent.get('/targets')).request.cookies;
    const client: Socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'] });
    const reply: any = await new Promise((resolve) => client.on('connect', () => client.emit('join-run', { runId: done.id, after: 0 }, resolve)));
    client.disconnect();
    expect(reply.ok).toBe(false);
    const anonymous: Socket = connect(baseUrl, { transports: ['websocket'] });
    const anonymousReply: any = await new Promise((resolve) => anonymous.on('connect', () => anonymous.emit('join-run', { runId: done.id }, resolve)));
    anonymous.disconnect();
    expect(anonymousReply).toEqual({ ok: false, error: 'Please log in' });
  });

  it('prefills the picker for "Run again"', async () => {
    const [byteRun] = await portal.dataSource.query(`SELECT id FROM pipeline_runs WHERE pipeline_key = 'Byte count' LIMIT 1`);
    const page = await alice.agent.get(`/targets/${targetId}?rerun=${byteRun.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/value="Byte count" form="products-form" checked/);
    expect(page.text).toMatch(new RegExp(`value="${fitsIds[0]}"[^>]*checked`));
    expect(page.text).not.toMatch(new RegExp(`value="${fitsIds[1]}"[^>]*checked`));
    expect(page.text).toMatch(/name="flag:byte_count:verbose" form="products-form" data-pipeline="Byte count" checked/);
  });

  it('reads only the chosen pipeline\'s checkboxes from the picker', async () => {
    const id = await started(alice, 'FITS header summary', [fitsIds[0]], { 'flag:byte_count:verbose': 'on', 'flag:header_summary:allHdus': 'on' });
    const done = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(done.flags).toEqual({ allHdus: true });
  });

  it('lets teachers save presets, offers them in the picker, and records a preset as the source of its flags', async () => {
    const teacher = await portal.login('teacher-p', 'teacher');
    await alice.agent.post('/pipelines/presets').type('form').send({ pipeline: 'Byte count', name: 'Chatty', 'flag:verbose': 'on', _csrf: alice.csrf }).expect(403);
    await teacher.agent.post('/pipelines/presets').type('form').send({ pipeline: 'Byte count', name: 'Chatty', 'flag:verbose': 'on', _csrf: teacher.csrf }).expect(303);
    const [preset] = await portal.dataSource.query(`SELECT id, flags FROM pipeline_presets WHERE name = 'Chatty'`);
    expect(preset.flags).toEqual({ verbose: true });
    const list = await alice.agent.get('/pipelines').expect(200);
    expect(list.text).toContain('Chatty');
    const picker = await alice.agent.get(`/targets/${targetId}`).expect(200);
    expect(picker.text).toContain(`<option value="${preset.id}" data-flags="{&quot;verbose&quot;:true}" data-params="{}">Chatty</option>`);
    const id = await started(alice, 'Byte count', [fitsIds[0]], { 'flag:byte_count:verbose': 'on', 'preset:Byte count': String(preset.id) });
    const done = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(done.provenance.preset).toBe('Chatty');
    expect(done.provenance.flags.verbose).toEqual({ value: true, source: 'preset' });
  });
});
