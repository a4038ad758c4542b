import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTarget, FIXTURES, LoggedIn, spawnBuilt, startTestPortal, TestPortal, uploadOne, waitForRun } from '../utils/test-app';
import { eventually, initdbBinary, killHard, ScratchPostgres, startScratchPostgres, untilReady } from '../utils/fault-tools';
import { describeUnlessMissing } from '../utils/required';
import { ensureBuilt } from '../utils/built-dist';

/**
 * Durability across a crash of PostgreSQL itself (kill -9 of the postmaster and its backends, then crash recovery),
 * on a server of the test's own with fsync on. What a client was shown is what was committed: every log line a
 * client read and every run it was told had succeeded is still there after recovery. A commit made visible before
 * its WAL was flushed (`synchronous_commit = off`) can be lost by the kill: WAL the server has not yet handed to the
 * kernel lives in its shared memory only. (An OS crash, which this does not stage, would also lose unsynced pages.)
 */
const SHUTDOWN_PIPELINES = path.join(FIXTURES, 'pipelines', 'shutdown', 'shutdown.config.json');

function missing(): string {
  if (!process.env.REDIS_URL) return 'needs REDIS_URL (a separate worker process shares the queue through a real Redis)';
  if (!initdbBinary()) return 'needs initdb and postgres on PATH (a PostgreSQL server of its own to kill -9)';
  return '';
}

interface Line {
  seq: number;
  text: string;
}

describeUnlessMissing(missing(), 'PostgreSQL killed with -9 mid-run (e2e, fault)', () => {
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-gates-'));
  let pg: ScratchPostgres;
  let portal: TestPortal;
  let worker: ChildProcess;
  let teacher: LoggedIn;
  let targetId: number;

  beforeAll(async () => {
    await ensureBuilt();
    // wal_writer_delay at its longest: an asynchronous commit then stays in the server's memory until its WAL page
    // fills, so the kill loses it (a synchronous commit flushes itself; the setting does not touch it). The control:
    // SCRATCH_PG_SETTINGS='{"synchronous_commit":"off"}' makes this file fail (lines shown, then lost).
    pg = await startScratchPostgres({ wal_writer_delay: '10s', ...JSON.parse(process.env.SCRATCH_PG_SETTINGS ?? '{}') });
    // The test's own app serves the client's requests and takes no job; the run goes on in a worker process.
    portal = await startTestPortal({ pipelinesConfig: SHUTDOWN_PIPELINES, env: { DATABASE_URL: pg.url, IN_PROCESS_WORKER: 'false' } });
    worker = await untilReady(
      spawnBuilt(portal, 'worker', [], { PIPELINES_CONFIG: SHUTDOWN_PIPELINES, PIPELINE_CONCURRENCY: '2' }),
      'worker',
      'Worker ready',
      60_000,
    );
    teacher = await portal.login('teacher-pgkill', 'teacher');
    targetId = await createTarget(teacher, { name: 'Crash target', ra: '1', dec: '1' });
  }, 120_000);

  afterAll(async () => {
    if (worker) await killHard(worker);
    await portal?.close();
    await pg?.stop();
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  /** Starts a "Chatty gate" run (500 lines a second until its gate file exists); returns its id and gate. */
  async function startGated(name: string): Promise<{ id: number; gate: string }> {
    const gate = path.join(gateDir, name);
    const productId = await uploadOne(teacher, targetId, Buffer.from(gate), `${name}.txt`, 'other');
    const response = await teacher.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline: 'Chatty gate', productIds: String(productId), _csrf: teacher.csrf })
      .expect(303);
    return { id: Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]), gate };
  }

  /** The lines after `after` the client is given by the log route, as the run page's fallback reads them. */
  async function linesAfter(id: number, after: number): Promise<Line[]> {
    const response = await teacher.agent.get(`/pipeline/${id}/log?after=${after}&limit=5000`).set('Accept', 'application/json').expect(200);
    return response.body.lines.map(({ seq, text }: Line) => ({ seq, text }));
  }

  /** The state the run page shows its owner. */
  async function shownState(id: number): Promise<string> {
    const page = await teacher.agent.get(`/pipeline/${id}`).expect(200);
    return /id="run-state" class="badge state-(\w+)"/.exec(page.text)![1];
  }

  const storedLines = async (id: number): Promise<Line[]> =>
    (await portal.dataSource.query('SELECT seq, text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [id])).map(
      (row: { seq: string | number; text: string }) => ({ seq: Number(row.seq), text: row.text }),
    );

  let chattyId = 0;

  it('every log line a client was given and every run it was shown as succeeded survive a kill -9 of PostgreSQL; the run then finishes', async () => {
    const chatty = await startGated('chatty');
    const quick = await startGated('quick');
    chattyId = chatty.id;

    // Read the chatty run's log as a client does, until a good part of it has been shown.
    const seen: Line[] = [];
    const readMore = async () => seen.push(...(await linesAfter(chatty.id, seen.at(-1)?.seq ?? 0)));
    await eventually('500 lines of the chatty run shown', async () => (await readMore(), seen.length >= 500), 30_000, 20);

    // The quick run finishes while the chatty one keeps logging. Once the quick run's page says succeeded, the
    // freshest chatty lines are read and PostgreSQL is killed at once: a commit made visible before it was flushed
    // (asynchronous commit) would have had no time to reach the WAL on disk.
    fs.writeFileSync(quick.gate, 'open');
    await eventually('the quick run shown as succeeded', async () => (await readMore(), (await shownState(quick.id)) === 'succeeded'), 30_000, 20);
    await readMore();
    await pg.kill9();
    const acknowledged = [...seen];
    const killedAt = Date.now();

    await pg.restart();
    const recoveredInMs = Date.now() - killedAt;
    // The portal finds its database again by itself: no restart of the web or the worker process.
    await eventually('the portal ready again', async () => (await portal.http.get('/readyz')).status === 200, 30_000, 250);

    // Everything shown before the crash is stored after recovery: same seq, same text.
    const afterRecovery = await storedLines(chatty.id);
    const bySeq = new Map(afterRecovery.map((line) => [line.seq, line.text]));
    const lost = acknowledged.filter((line) => bySeq.get(line.seq) !== line.text);
    const [quickRun] = await portal.dataSource.query('SELECT state FROM pipeline_runs WHERE id = $1', [quick.id]);
    const quickLog = await storedLines(quick.id);
    // One expectation, so a failure shows every loss at once: lines (how many, the first few) and the run's end.
    expect({ lostLines: lost.length, firstLost: lost.slice(0, 3), quickState: quickRun.state, quickLogEnd: quickLog.at(-1)?.text }).toEqual({
      lostLines: 0,
      firstLost: [],
      quickState: 'succeeded',
      quickLogEnd: expect.stringMatching(/^Finished/),
    });
    expect(quickLog.map((line) => line.seq)).toEqual(quickLog.map((_, i) => i + 1));
    expect(await shownState(quick.id)).toBe('succeeded');

    // The chatty run goes on (or is retried) and succeeds once its gate opens; its log has no gap or duplicate.
    fs.writeFileSync(chatty.gate, 'open');
    const done = await waitForRun(portal, chatty.id, ['succeeded', 'failed', 'interrupted', 'cancelled'], 45_000);
    const final = await storedLines(chatty.id);
    expect({ state: done.state, gaps: final.filter((line, i) => line.seq !== i + 1).slice(0, 5) }).toEqual({ state: 'succeeded', gaps: [] });
    expect(final.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect(await shownState(chatty.id)).toBe('succeeded');
    const report = { attempt: done.attempt, recoveredInMs, acknowledged: acknowledged.length, atRecovery: afterRecovery.length, final: final.length, last: final.at(-1) };
    process.stdout.write(`[postgres-kill] ${JSON.stringify(report)}\n`);
  }, 100_000);

  // The log writer stores a batch again while the database is back (it gave up for good at the first failed INSERT,
  // and every later line, "Finished" included, was dropped while the run was recorded as succeeded).
  it('the run that went on through the crash has its whole log: the lines after the restart up to "Finished"', async () => {
    const texts = (await storedLines(chattyId)).map((line) => line.text);
    expect(texts.slice(-2)).toEqual(['gate open', expect.stringMatching(/^Finished/)]);
  });
});
