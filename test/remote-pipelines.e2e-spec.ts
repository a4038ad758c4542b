import { ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt } from './utils/built-dist';
import { freePort, killHard } from './utils/fault-tools';
import { createTarget, FIXTURES, LoggedIn, logOf, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

const ROOT = path.join(__dirname, '..');
const SECRET = 'remote-test-secret-0123456789';
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const HORSEHEAD_BYTES = fs.statSync(HORSEHEAD).size;

/** Starts a service process and waits for the line saying where it listens. */
async function startService(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`the service stopped (${code}): ${output}`)));
  });
  return { child, url, output: () => output };
}

const signature = (timestamp: string, body: Buffer | string) => `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest('hex')}`;

describe('remote pipelines: runs handed to processing services, their events taken back (e2e)', () => {
  let portal: TestPortal;
  let alice: LoggedIn;
  let targetId: number;
  let inputIds: number[];
  let example: Awaited<ReturnType<typeof startService>>;
  let python: Awaited<ReturnType<typeof startService>>;
  let portalUrl: string;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-remote-config-'));

  const post = (url: string, body: object) => alice.agent.post(url).set('X-CSRF-Token', alice.csrf).send(body);
  const start = async (pipeline: string, params: object = {}, flags: object = {}) => (await post('/api/processes', { targetId, pipeline, inputIds, params, flags }).expect(201)).body.id as number;
  const eventCount = async () => Number((await portal.dataSource.query('SELECT count(*)::int AS n FROM remote_task_events'))[0].n);
  const serviceState = async (url: string, runId: number) => (await (await fetch(`${url}/tasks/${runId}`)).json()).state;
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  /** An event as a service would send it to the portal, signed unless told otherwise. */
  const sendEvent = (runId: number, event: object, options: { secret?: string; timestamp?: number; signed?: boolean } = {}) => {
    const body = JSON.stringify(event);
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-portal-timestamp': timestamp };
    if (options.signed !== false) headers['x-portal-signature'] = options.secret ? `sha256=${createHmac('sha256', options.secret).update(`${timestamp}.${body}`).digest('hex')}` : signature(timestamp, body);
    return fetch(`${portalUrl}/api/remote/runs/${runId}/events`, { method: 'POST', headers, body });
  };
  const sendOutput = (runId: number, event: object, name: string, content: Buffer) => {
    const boundary = 'test-boundary-7d1f';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="event"\r\n\r\n${JSON.stringify(event)}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    return fetch(`${portalUrl}/api/remote/runs/${runId}/events`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-portal-timestamp': timestamp, 'x-portal-signature': signature(timestamp, body) },
      body,
    });
  };

  beforeAll(async () => {
    await ensureBuilt();
    example = await startService(process.execPath, [path.join(ROOT, 'pipelines', 'remote-example', 'server.js')], { REMOTE_EXAMPLE_SECRET: SECRET, PORT: '0' });
    python = await startService('python3', [path.join(FIXTURES, 'remote', 'python_service.py')], { SERVICE_SECRET: SECRET, PORT: '0' });
    const closedPort = await freePort();
    const port = await freePort();
    portalUrl = `http://127.0.0.1:${port}`;
    const remote = (url: string, extra: object = {}) => ({
      kind: 'remote',
      url,
      secretEnv: 'REMOTE_TEST_SECRET',
      timeLimitSeconds: 60,
      allowedSuffixes: ['.fits'],
      flags: { fail: { default: false, longName: 'Fail on purpose' } },
      params: { pauseMs: { kind: 'integer', default: 0, min: 0, max: 60000, longName: 'Pause after each frame' } },
      outputs: [{ glob: '*.csv', outputType: 'DataProduct', dataProductType: 'other', tag: 'remote' }],
      ...extra,
    });
    const config = path.join(configDir, 'remote.config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        pipelines: {
          'Remote checksums': { ...remote(example.url), shortName: 'remote_sums' },
          'Remote, short limit': { ...remote(example.url), shortName: 'remote_short', timeLimitSeconds: 2 },
          'Remote, nobody home': { ...remote(`http://127.0.0.1:${closedPort}`), shortName: 'remote_gone' },
          'Remote in Python': { ...remote(python.url), shortName: 'remote_py', flags: {}, params: {} },
        },
      }),
    );
    process.env.REMOTE_TEST_SECRET = SECRET;
    portal = await startTestPortal({ pipelinesConfig: config, uploadMaxBytes: '3MB', env: { PORTAL_URL: portalUrl, REMOTE_EVENTS_PER_SECOND: '20' } });
    await portal.app.listen(port, '127.0.0.1');
    alice = await portal.login('alice', 'student');
    targetId = await createTarget(alice, { name: 'Horsehead Nebula', ra: '85.2458', dec: '-2.4583' });
    inputIds = [await uploadOne(alice, targetId, HORSEHEAD, 'HorseHead.fits', 'fits_image')];
  }, 300_000);

  afterAll(async () => {
    await portal?.close();
    for (const service of [example, python]) if (service) await killHard(service.child);
    delete process.env.REMOTE_TEST_SECRET;
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('runs to success on the example service: its log, progress and CSV arrive as for a local run', async () => {
    const runId = await start('Remote checksums');
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect([run.state, run.failure_message]).toEqual(['succeeded', null]);
    const log = await logOf(portal, runId);
    expect(log).toContainEqual(expect.stringMatching(/^Handed to the service at http:\/\/127\.0\.0\.1:\d+; waiting for its events$/));
    expect(log).toContain('Remote example: 1 frame(s) of Horsehead Nebula');
    expect(log).toContainEqual(expect.stringMatching(new RegExp(`^Frame 1/1: HorseHead\\.fits, ${HORSEHEAD_BYTES} bytes, sha256 checked, mean byte \\d+\\.\\d{3}$`)));
    expect(log).toContain('Received frame_checksums.csv (DataProduct, other)');
    // The output: stored as for a local run, tagged as its entry says, its rows the input's true size and sha256.
    const [input] = await portal.dataSource.query('SELECT sha256 FROM data_products WHERE id = $1', [inputIds[0]]);
    const outputs = await portal.dataSource.query(
      'SELECT p.id, p.original_name, p.tags FROM data_products p JOIN data_product_group_members m ON m.data_product_id = p.id WHERE m.group_id = $1',
      [run.output_group_id],
    );
    expect(outputs).toEqual([{ id: expect.any(Number), original_name: 'frame_checksums.csv', tags: ['remote'] }]);
    const csv = await alice.agent.get(`/api/data-products/${outputs[0].id}/download`).expect(200);
    expect(String(csv.text ?? csv.body)).toMatch(new RegExp(`^file,bytes,sha256,mean_byte\\nHorseHead\\.fits,${HORSEHEAD_BYTES},${input.sha256},\\d+\\.\\d{3}\\n$`));
    expect(await serviceState(example.url, runId)).toBe('done');
    // Nothing waits on disk once the run ended.
    await until(async () => fs.existsSync(path.join(portal.dataDir, 'remote-outputs', String(runId))), (exists) => !exists, 'the kept files removed');
  });

  it('fails with the message the service reports, storing nothing', async () => {
    const runId = await start('Remote checksums', {}, { fail: true });
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect(run.state).toBe('failed');
    expect(run.failure_message).toBe('The service reported a failure: failing on purpose, as the "fail" flag asked');
    expect(run.output_group_id).toBeNull();
  });

  it('fails naming the service when it cannot be reached, after trying again', async () => {
    const runId = await start('Remote, nobody home');
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect(run.state).toBe('failed');
    expect(run.failure_message).toMatch(/^Could not hand the run to the service at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/);
    const retries = (await logOf(portal, runId)).filter((line) => /did not take the task \(ECONNREFUSED\); trying again/.test(line));
    expect(retries).toHaveLength(3);
  });

  it('stops at the time limit, telling the service to stop', async () => {
    const runId = await start('Remote, short limit', { pauseMs: 20_000 });
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect([run.state, run.failure_message]).toEqual(['failed', 'Stopped after the time limit of 2 s']);
    await until(() => serviceState(example.url, runId), (state) => state === 'cancelled', 'the DELETE at the service');
  });

  it('cancels at once and the cancel reaches the service; outputs sent after it are refused', async () => {
    const runId = await start('Remote checksums', { pauseMs: 20_000 });
    await until(() => logOf(portal, runId), (log) => log.some((line) => line.startsWith('Frame 1/1')), 'the first frame');
    const answer = await post(`/api/processes/${runId}/cancel`, {}).expect(200);
    expect(['running', 'cancelled']).toContain(answer.body.state);
    expect((await waitForRun(portal, runId, ['cancelled', 'failed', 'succeeded'], 10_000)).state).toBe('cancelled');
    await until(() => serviceState(example.url, runId), (state) => state === 'cancelled', 'the DELETE at the service');
    const before = await eventCount();
    const late = await sendOutput(runId, { id: 'late-1', kind: 'output', name: 'late.csv', outputType: 'DataProduct', productType: 'other' }, 'late.csv', Buffer.from('a,b\n'));
    expect(late.status).toBe(409);
    expect(await late.text()).toContain('was cancelled');
    expect(await eventCount()).toBe(before);
    expect(fs.readdirSync(path.join(portal.dataDir, 'remote-outputs')).includes(String(runId))).toBe(false);
  });

  describe('refusals, each with a clear answer and nothing changed', () => {
    let runId: number;
    let finished: number;
    beforeAll(async () => {
      // A run that ended, before the one kept running takes the worker (the embedded default runs one job at a time).
      finished = await start('Remote checksums');
      await waitForRun(portal, finished, ['succeeded', 'failed'], 30_000);
      runId = await start('Remote checksums', { pauseMs: 60_000 });
      await until(() => logOf(portal, runId), (log) => log.some((line) => line.startsWith('Frame 1/1')), 'the first frame');
    });
    afterAll(async () => {
      await post(`/api/processes/${runId}/cancel`, {});
    });

    const refused = async (response: Promise<Response>, status: number, message: RegExp) => {
      const before = await eventCount();
      const answer = await response;
      const body = await answer.json();
      expect([answer.status, body.message]).toEqual([status, expect.stringMatching(message)]);
      expect(await eventCount()).toBe(before);
      expect((await portal.dataSource.query('SELECT state FROM pipeline_runs WHERE id = $1', [runId]))[0].state).toBe('running');
    };

    it('a missing or bad signature', async () => {
      await refused(sendEvent(runId, { id: 'sig-1', kind: 'status', text: 'x' }, { signed: false }), 401, /not signed/);
      await refused(sendEvent(runId, { id: 'sig-2', kind: 'status', text: 'x' }, { secret: 'not-the-secret' }), 401, /signature does not match/);
    });

    it('a timestamp more than five minutes off', async () => {
      await refused(sendEvent(runId, { id: 'ts-1', kind: 'status', text: 'x' }, { timestamp: Math.floor(Date.now() / 1000) - 600 }), 401, /from the portal's clock; at most 300 s/);
    });

    it('a replayed event id', async () => {
      const first = await sendEvent(runId, { id: 'once-1', kind: 'status', text: 'Checking twice' });
      expect(first.status).toBe(202);
      await refused(sendEvent(runId, { id: 'once-1', kind: 'status', text: 'Checking twice' }), 409, /already received/);
    });

    it('events for an unknown or finished run', async () => {
      await refused(sendEvent(999_999, { id: 'u-1', kind: 'done' }), 404, /no such run/);
      await refused(sendEvent(finished, { id: 'f-1', kind: 'status', text: 'late' }), 409, /has ended \(succeeded\): it takes no more events/);
    });

    it('file names with path tricks', async () => {
      for (const name of ['../evil.csv', 'sub/evil.csv', '.hidden.csv', '..\\evil.csv']) {
        await refused(sendOutput(runId, { id: `path-${name.length}-${name.charCodeAt(0)}`, kind: 'output', name, outputType: 'DataProduct' }, 'x.csv', Buffer.from('a\n')), 400, /plain file name/);
      }
      expect(fs.readdirSync(path.join(portal.dataDir, 'remote-outputs', String(runId)))).toEqual([]);
    });

    it('outputs over the upload limit', async () => {
      await refused(sendOutput(runId, { id: 'big-1', kind: 'output', name: 'big.csv', outputType: 'DataProduct' }, 'big.csv', Buffer.alloc(4 * 1024 * 1024, 65)), 413, /over the upload limit of 3 MiB/);
    });

    it('more events a second than the configured limit', async () => {
      // One after another as fast as they go: far more than 20 within a second.
      const answers: Response[] = [];
      for (let i = 0; i < 40; i++) answers.push(await sendEvent(runId, { id: `burst-${i}`, kind: 'log', lines: [{ level: 'info', text: `burst ${i}` }] }));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
      expect(statuses.every((status) => status === 202 || status === 429)).toBe(true);
      const body = await answers.find((answer) => answer.status === 429)!.json();
      expect(body.message).toMatch(/More than 20 events a second/);
      // Only the accepted ones were kept, each once.
      const kept = await portal.dataSource.query("SELECT count(*)::int AS n FROM remote_task_events WHERE run_id = $1 AND event_id LIKE 'burst-%'", [runId]);
      expect(kept[0].n).toBe(statuses.filter((status) => status === 202).length);
    });

    it('download links that were not signed by the portal, or for inputs of another run', async () => {
      const page = await fetch(`${portalUrl}/api/remote/runs/${runId}/inputs/${inputIds[0]}?expires=${Math.floor(Date.now() / 1000) + 600}&signature=forged`);
      expect(page.status).toBe(403);
      expect((await page.json()).message).toMatch(/not valid/);
    });
  });

  it('a service written in Python from the protocol document alone runs a task to success', async () => {
    const runId = await start('Remote in Python');
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect([run.state, run.failure_message]).toEqual(['succeeded', null]);
    expect(await logOf(portal, runId)).toContainEqual(expect.stringMatching(new RegExp(`^python: HorseHead\\.fits has ${HORSEHEAD_BYTES} bytes, sha256 ok$`)));
    const outputs = await portal.dataSource.query(
      'SELECT p.original_name FROM data_products p JOIN data_product_group_members m ON m.data_product_id = p.id WHERE m.group_id = $1',
      [run.output_group_id],
    );
    expect(outputs).toEqual([{ original_name: 'python_sizes.csv' }]);
  });
});
