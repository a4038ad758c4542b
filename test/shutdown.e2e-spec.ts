import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import passport from 'passport';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/infrastructure/embedded-postgres';
import { jobIdFor, RUN_MAX_ATTEMPTS } from '../src/pipeline-runs/pipeline-runs.service';
import { PIPELINES_QUEUE } from '../src/queue/queue.module';
import { UsersService } from '../src/users/users.service';
import { ensureBuilt } from './utils/built-dist';
import { createUserWithCli, envFor, errorLines, expectCleanExit, PortalProcess, startWebOnFreePort, stop } from './utils/portal-process';
import { eventually, killHard } from './utils/fault-tools';
import { createTarget, FIXTURES, LoggedIn, loginAs, startTestPortal, TestPortal, uploadOne } from './utils/test-app';

/**
 * Stopping the web process (which hosts a worker) with runs in flight, as an operator does: SIGTERM to a real
 * `dist/src/main.js` process while four command-pipeline runs log 500 lines a second. Each run of the "Chatty gate"
 * pipeline finishes only when the test creates its gate file, so the test decides which runs finish within the
 * grace period and which are interrupted, and awaits states and log lines instead of sleeping.
 *
 * Three starts of the same portal: (1) the runs running at SIGTERM outlive a 1 s grace, are interrupted, their
 * stored lines kept, and go back to queued with their Bull job; (2) the next start continues them (or takes the
 * others first); at SIGTERM the running ones are let through their gates and finish within the default grace,
 * while the queued ones are not taken; (3) the last start finishes the rest, the restarted ones saying
 * "Worker restarted: attempt 2 of 3" in their log and on their page. Every stop exits 0 with no error logged.
 * Runs on the embedded default always, and on the servers when DATABASE_URL and REDIS_URL are set.
 */

const SHUTDOWN_PIPELINES = path.join(FIXTURES, 'pipelines', 'shutdown', 'shutdown.config.json');
const PASSWORD = 'shutdown-password-1';
const RUNS = 4;
const servers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

interface Mode {
  name: string;
  embedded: boolean;
  /** Runs taken at once (PIPELINE_CONCURRENCY): by the embedded default's worker process, or by the web process on servers. */
  concurrency: number;
}

const MODES: Mode[] = [
  { name: 'the embedded default', embedded: true, concurrency: 2 },
  ...(servers ? [{ name: 'the servers', embedded: false, concurrency: 2 }] : []),
];

interface RunRow {
  id: number;
  state: string;
  status: string;
  attempt: number;
}

interface LogRow {
  seq: number;
  text: string;
}

// The processes run the built portal, as users run it.
beforeAll(() => ensureBuilt(), 300_000);

describe.each(MODES)('stopping the web process with runs in flight, on $name (e2e, SIGTERM)', (mode) => {
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-gates-'));
  const gateOf = (index: number) => path.join(gateDir, `gate-${index}`);
  let dataDir: string;
  let portal: TestPortal | undefined;
  const processes: PortalProcess[] = [];
  let username: string;
  const runIds: number[] = [];
  /** The log of each run as stored just before the first SIGTERM. */
  const beforeStop = new Map<number, LogRow[]>();
  const interrupted: number[] = [];

  beforeAll(async () => {
    username = `shutdown-${mode.embedded ? 'embedded' : 'servers'}`;
    if (mode.embedded) {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-shutdown-'));
      await createUserWithCli(dataDir, username, PASSWORD);
    } else {
      // The test's own app only empties the database and reads it; IN_PROCESS_WORKER=false: it takes no job.
      portal = await startTestPortal({ pipelinesConfig: SHUTDOWN_PIPELINES, env: { IN_PROCESS_WORKER: 'false' } });
      dataDir = portal.dataDir;
      await portal.app.get(UsersService).create(username, PASSWORD, 'teacher');
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((web) => killHard(web.child)));
    await closePortal(portal);
    if (mode.embedded) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  async function startWeb(env: NodeJS.ProcessEnv = {}): Promise<{ web: PortalProcess; user: LoggedIn }> {
    const options = {
      dataDir,
      sessionSecret: 'shutdown-test-secret',
      pipelinesConfig: SHUTDOWN_PIPELINES,
      embedded: mode.embedded,
      env: { PIPELINE_CONCURRENCY: String(mode.concurrency), ...env },
    };
    const web = await startWebOnFreePort((port) => envFor(port, options), /Portal ready/, 90_000, (started) => processes.push(started));
    return { web, user: await loginAs(web.url, username, PASSWORD) };
  }

  /** The run's state and every stored line, through the web process (what a polling page sees), a page at a time. */
  async function liveRun(user: LoggedIn, id: number): Promise<{ state: string; lines: LogRow[] }> {
    const lines: LogRow[] = [];
    let state = '';
    for (;;) {
      const response = await user.agent.get(`/pipeline/${id}/log?after=${lines.at(-1)?.seq ?? 0}`).expect(200);
      state ||= response.body.state;
      if (!response.body.lines.length) return { state, lines };
      lines.push(...response.body.lines.map(({ seq, text }: LogRow) => ({ seq, text })));
    }
  }

  /** The run's state alone (no line is after the largest seq). */
  async function stateOf(user: LoggedIn, id: number): Promise<string> {
    return (await user.agent.get(`/pipeline/${id}/log?after=2147483647`).expect(200)).body.state;
  }

  /** The lines of the run's latest start (from its last "Running …" line). */
  function latestAttempt(lines: LogRow[]): LogRow[] {
    let start = lines.length;
    while (start > 0 && !lines[start - 1].text.startsWith('Running Chatty gate')) start--;
    return start ? lines.slice(start - 1) : [];
  }


  /** Rows read while no web process runs: from the servers, or from the embedded database opened here. */
  async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (portal) return portal.dataSource.query(sql, params);
    const pg = await startEmbeddedPostgres(dataDir);
    const client = new Client({ connectionString: pg.url });
    try {
      await client.connect();
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
      await pg.close();
    }
  }

  const runRows = async () =>
    query<RunRow>('SELECT id, state, status, attempt FROM pipeline_runs WHERE id = ANY($1) ORDER BY id', [runIds]);
  const logRows = async (id: number) => query<LogRow>('SELECT seq, text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [id]);

  it('SIGTERM with runs going: the running ones are interrupted after the grace, their lines kept, back to queued', async () => {
    const { web, user } = await startWeb({ SHUTDOWN_GRACE_SECONDS: '1' });
    const targetId = await createTarget(user, { name: 'Shutdown target', ra: '10', dec: '10' });
    for (let index = 0; index < RUNS; index++) {
      // The input names the run's gate: the pipeline finishes once that file exists.
      const productId = await uploadOne(user, targetId, Buffer.from(gateOf(index)), `gate-${index}.txt`, 'other');
      const response = await user.agent
        .post(`/targets/${targetId}/pipeline-runs`)
        .set('Accept', 'application/json')
        .type('form')
        .send({ pipeline: 'Chatty gate', productIds: String(productId), _csrf: user.csrf })
        .expect(201);
      runIds.push(response.body.id);
    }

    // As many runs as this process takes at once are running and have logged plenty; the rest wait.
    const running = await eventually(
      `${mode.concurrency} run(s) running with 200 lines stored`,
      async () => {
        const live = await Promise.all(runIds.map((id) => liveRun(user, id)));
        const busy = runIds.filter((_, i) => live[i].state === 'running' && live[i].lines.length >= 200);
        return busy.length === mode.concurrency ? busy : null;
      },
      60_000,
    );
    for (const id of runIds) beforeStop.set(id, (await liveRun(user, id)).lines);
    interrupted.push(...running);

    await stop(web);
    expect(web.output).toContain(`Stopping: interrupting ${mode.concurrency} run(s) still going; they are queued again for the next worker`);

    const rows = await runRows();
    // Nobody cancelled anything: the interrupted runs are queued again after their first attempt, the others
    // were never taken.
    expect(rows.map(({ id, state, attempt }) => ({ id, state, attempt }))).toEqual(
      runIds.map((id) => ({ id, state: 'queued', attempt: interrupted.includes(id) ? 1 : 0 })),
    );
    for (const id of runIds) {
      const log = await logRows(id);
      const before = beforeStop.get(id)!;
      // Every line stored before the stop is still there, in order, and the stop flushed the rest after them.
      expect(log.slice(0, before.length)).toEqual(before);
      expect(log.map((row) => row.seq)).toEqual(log.map((_, i) => i + 1));
      if (!interrupted.includes(id)) {
        expect(log).toEqual([]);
        continue;
      }
      // What the pipeline printed was all stored (line 1 to N without a gap) before the interruption line.
      const printed = log.filter((row) => /^line \d+$/.test(row.text)).map((row) => Number(row.text.slice(5)));
      expect(printed).toEqual(printed.map((_, i) => i + 1));
      expect(log.at(-1)!.text).toBe(`Worker stopping: interrupted during attempt 1 of ${RUN_MAX_ATTEMPTS}; the run is queued again and continues on the next worker`);
    }
    if (portal) {
      // On the servers their Bull jobs wait for the next worker: requeued, not failed.
      const queue = portal.app.get<Queue>(getQueueToken(PIPELINES_QUEUE));
      for (const id of runIds) expect(await (await queue.getJob(jobIdFor(id)))?.getState()).toBe('waiting');
    }
  }, 240_000);

  it('the next start continues them; at SIGTERM the running ones finish within the grace and the queued ones are not taken', async () => {
    const before = await runRows();
    const { web, user } = await startWeb();
    const running = await eventually(
      `${mode.concurrency} run(s) running again`,
      async () => {
        const live = await Promise.all(runIds.map((id) => liveRun(user, id)));
        const busy = runIds.filter((_, i) => live[i].state === 'running' && latestAttempt(live[i].lines).some((line) => line.text === 'line 20'));
        return busy.length === mode.concurrency ? busy : null;
      },
      60_000,
    );
    web.child.kill('SIGTERM');
    // The process says how many runs it waits for; only then do their gates open, within the grace.
    await web.waitFor(new RegExp(`waiting up to 30 s for ${mode.concurrency} run`), 30_000);
    // Pages keep answering during the grace period, but the process no longer says it is ready for more.
    await user.agent.get('/healthz').expect(200);
    expect((await user.agent.get('/readyz').expect(503)).body).toEqual({ status: 'stopping' });
    expect((await liveRun(user, running[0])).state).toBe('running');
    for (const id of running) fs.writeFileSync(gateOf(runIds.indexOf(id)), 'open');
    const { code } = await web.exited;
    expect({ code, errors: errorLines(web.output) }).toEqual({ code: 0, errors: [] });

    const rows = await runRows();
    for (const row of rows) {
      const earlier = before.find((b) => b.id === row.id)!;
      if (running.includes(row.id)) {
        expect({ state: row.state, attempt: row.attempt }).toEqual({ state: 'succeeded', attempt: earlier.attempt + 1 });
        expect((await logRows(row.id)).at(-1)!.text).toMatch(/^Finished/);
      } else {
        // Not taken after the stop began: still queued, not started once more.
        expect({ state: row.state, attempt: row.attempt }).toEqual({ state: 'queued', attempt: earlier.attempt });
      }
    }
  }, 240_000);

  it('the last start finishes the rest; a restarted run says "Worker restarted: attempt 2 of 3" in its log and on its page', async () => {
    for (let index = 0; index < RUNS; index++) fs.writeFileSync(gateOf(index), 'open');
    const { web, user } = await startWeb();
    await eventually(
      'every run to finish',
      async () => (await Promise.all(runIds.map((id) => stateOf(user, id)))).every((state) => state === 'succeeded'),
      90_000,
      250,
    );
    for (const id of interrupted) {
      const page = await user.agent.get(`/pipeline/${id}`).expect(200);
      expect(page.text).toContain(`attempt 2 of ${RUN_MAX_ATTEMPTS}`);
    }
    await stop(web);

    const rows = await runRows();
    expect(rows.map(({ state }) => state)).toEqual(runIds.map(() => 'succeeded'));
    for (const row of rows) {
      const log = await logRows(row.id);
      const texts = log.map((line) => line.text);
      const before = beforeStop.get(row.id)!;
      expect(log.slice(0, before.length)).toEqual(before);
      // One line per seq, in order, none twice: the restarted attempt continued after the stored lines.
      expect(log.map((line) => line.seq)).toEqual(log.map((_, i) => i + 1));
      expect(texts.filter((text) => /^Running Chatty gate/.test(text))).toHaveLength(row.attempt);
      expect(texts.at(-1)).toMatch(/^Finished/);
      if (interrupted.includes(row.id)) {
        expect(row.attempt).toBe(2);
        const stopping = texts.findIndex((text) => text.startsWith('Worker stopping:'));
        const restarted = texts.indexOf(`Worker restarted: attempt 2 of ${RUN_MAX_ATTEMPTS}`);
        expect(stopping).toBeGreaterThan(0);
        expect(restarted).toBe(stopping + 1);
        expect(texts[restarted + 1]).toMatch(/^Running Chatty gate/);
      } else {
        expect(row.attempt).toBe(1);
        expect(texts.some((text) => text.startsWith('Worker restarted'))).toBe(false);
      }
    }
  }, 240_000);
});
// A worker started by hand needs servers; the embedded default's web process starts its own.
(servers ? describe : describe.skip)('stopping a separate worker with a run in flight (e2e, SIGINT, servers)', () => {
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-gates-'));
  const gate = path.join(gateDir, 'gate-worker');
  let portal: TestPortal;
  let teacher: LoggedIn;
  let runId: number;
  const workers: PortalProcess[] = [];

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: SHUTDOWN_PIPELINES, env: { IN_PROCESS_WORKER: 'false' } });
    teacher = await portal.login('shutdown-worker', 'teacher');
    const targetId = await createTarget(teacher, { name: 'Worker shutdown', ra: '20', dec: '20' });
    const productId = await uploadOne(teacher, targetId, Buffer.from(gate), 'gate-worker.txt', 'other');
    const response = await teacher.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ pipeline: 'Chatty gate', productIds: String(productId), _csrf: teacher.csrf })
      .expect(201);
    runId = response.body.id;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => killHard(worker.child)));
    await closePortal(portal);
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  async function startWorker(): Promise<PortalProcess> {
    const worker = new PortalProcess('worker', {
      ...process.env,
      DATA_DIR: portal.dataDir,
      PIPELINES_CONFIG: SHUTDOWN_PIPELINES,
      PIPELINE_CONCURRENCY: '2',
      LOG_FORMAT: 'text',
      LOG_LEVEL: 'info',
    });
    workers.push(worker);
    await worker.waitFor(/Worker ready/, 90_000);
    return worker;
  }

  const logRows = (): Promise<LogRow[]> => portal.dataSource.query('SELECT seq, text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [runId]);
  const runRow = async (): Promise<RunRow> => (await portal.dataSource.query('SELECT id, state, status, attempt FROM pipeline_runs WHERE id = $1', [runId]))[0];

  it('SIGINT: the run goes on within the grace; a second SIGINT interrupts it at once; the next worker continues it as attempt 2', async () => {
    const first = await startWorker();
    await eventually('the run to log 100 lines', async () => (await runRow()).state === 'running' && (await logRows()).length >= 100, 60_000);

    first.child.kill('SIGINT');
    await first.waitFor(/waiting up to 30 s for 1 run/, 30_000);
    // Within the grace the run is not touched: its lines keep coming.
    const during = (await logRows()).length;
    await eventually('more lines during the grace', async () => (await logRows()).length > during + 50, 30_000);
    expect((await runRow()).state).toBe('running');

    // A second Ctrl-C ends the grace: the run is interrupted now, its lines stored, and it is queued again.
    first.child.kill('SIGINT');
    await expectCleanExit(first);
    expect(first.output).toContain('SIGINT again: interrupting the runs still going now');
    expect(await runRow()).toMatchObject({ state: 'queued', attempt: 1 });
    const stopped = await logRows();
    expect(stopped.map((row) => row.seq)).toEqual(stopped.map((_, i) => i + 1));
    expect(stopped.at(-1)!.text).toBe(`Worker stopping: interrupted during attempt 1 of ${RUN_MAX_ATTEMPTS}; the run is queued again and continues on the next worker`);
    const queue = portal.app.get<Queue>(getQueueToken(PIPELINES_QUEUE));
    expect(await (await queue.getJob(jobIdFor(runId)))?.getState()).toBe('waiting');

    fs.writeFileSync(gate, 'open');
    const second = await startWorker();
    await eventually('the run to finish', async () => (await runRow()).state === 'succeeded', 60_000, 250);
    expect((await runRow()).attempt).toBe(2);
    const log = await logRows();
    expect(log.slice(0, stopped.length)).toEqual(stopped);
    expect(log[stopped.length].text).toBe(`Worker restarted: attempt 2 of ${RUN_MAX_ATTEMPTS}`);
    expect(log[stopped.length + 1].text).toMatch(new RegExp(`^Running Chatty gate .*worker [^:]+:${second.child.pid}$`));
    expect(log.map((row) => row.seq)).toEqual(log.map((_, i) => i + 1));
    expect(log.at(-1)!.text).toMatch(/^Finished/);
    await stop(second);
  }, 240_000);
});


/**
 * Closes the test's own app. Nest's PassportSerializer registers on passport's process-wide singleton, which asks
 * the first one registered: forget the closed app's, or the next block's sessions are read through a closed database.
 */
async function closePortal(portal: TestPortal | undefined): Promise<void> {
  if (!portal) return;
  await portal.close();
  const registry = passport as unknown as { _serializers: unknown[]; _deserializers: unknown[] };
  registry._serializers.length = 0;
  registry._deserializers.length = 0;
}

