import { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createTarget, FIXTURES, LoggedIn, logOf, spawnBuilt, startTestPortal, TestPortal, uploadOne, waitForRun } from '../utils/test-app';
import { RUN_MAX_ATTEMPTS } from '../../src/pipeline-runs/pipeline-runs.service';
import { eventually, killHard, untilReady } from '../utils/fault-tools';
import { describeUnlessMissing } from '../utils/required';
import { ensureBuilt } from '../utils/built-dist';

// Worker processes share the queue through a real Redis; the embedded one lives inside the web process only.
const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

const FAULT_PIPELINES = path.join(FIXTURES, 'pipelines', 'faults', 'faults.config.json');
const LOCK_SECONDS = '2';
const workerPidOf = (line: string) => Number(/worker [^:]+:(\d+)/.exec(line)?.[1] ?? 0);
const isStartLine = (line: string) => /^Running .*, worker /.test(line);

function startWorker(portal: TestPortal, concurrency = 2): Promise<ChildProcess> {
  const child = spawnBuilt(portal, 'worker', [], {
    PIPELINES_CONFIG: FAULT_PIPELINES,
    PIPELINE_CONCURRENCY: String(concurrency),
    PIPELINE_LOCK_SECONDS: LOCK_SECONDS,
  });
  return untilReady(child, 'worker', 'Worker ready', 60_000);
}

describeUnlessMissing(realServers ? '' : 'needs DATABASE_URL and REDIS_URL (separate worker processes)', 'worker faults: kill -9 mid-run, 100 runs on 2 workers (e2e, fault)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let targetId: number;
  let productId: number;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal({ pipelinesConfig: FAULT_PIPELINES, env: { IN_PROCESS_WORKER: 'false', PIPELINE_LOCK_SECONDS: LOCK_SECONDS } });
    teacher = await portal.login('teacher-faults', 'teacher');
    targetId = await createTarget(teacher, { name: 'Fault target', ra: '1', dec: '1' });
    productId = await uploadOne(teacher, targetId, Buffer.from('input'), 'input.txt', 'other');
  }, 300_000);

  afterAll(async () => {
    await Promise.all(workers.map(killHard));
    await portal?.close();
  });

  const start = async (pipeline: string) => {
    const response = await teacher.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline, productIds: String(productId), _csrf: teacher.csrf })
      .expect(303);
    return Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
  };
  const logRows = async (id: number): Promise<Array<{ seq: number; text: string }>> =>
    portal.dataSource.query('SELECT seq, text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [id]);

  it('kill -9 of the only worker mid-run: a fresh worker retries the run to the end, keeping every stored log line; the next run succeeds', async () => {
    const first = await startWorker(portal, 1);
    workers.push(first);
    const id = await start('Ticker');
    // Acknowledged = stored in Postgres: wait for several ticks, then take a snapshot and kill the worker at once.
    await eventually('ticks stored', async () => (await logRows(id)).filter((row) => row.text.startsWith('tick')).length >= 5, 30_000);
    const acknowledged = await logRows(id);
    expect(workerPidOf(acknowledged[0].text)).toBe(first.pid);
    await killHard(first);
    const [afterKill] = await portal.dataSource.query('SELECT state FROM pipeline_runs WHERE id = $1', [id]);
    expect(afterKill.state).toBe('running');

    // No worker now; a fresh one starts, finds the job stalled (its lock expired) and runs it again.
    const fresh = await startWorker(portal, 1);
    workers.push(fresh);
    const done = await waitForRun(portal, id, ['succeeded', 'failed', 'interrupted', 'cancelled'], 45_000);
    // The promise is a retry to the end, not a failure: the second attempt finishes the run.
    expect({ state: done.state, attempt: done.attempt }).toEqual({ state: 'succeeded', attempt: 2 });
    const rows = await logRows(id);
    // Every acknowledged line is still there, unchanged, at its place; later lines continue after it.
    expect(rows.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
    const starts = rows.filter((row) => isStartLine(row.text));
    expect(starts.map((row) => workerPidOf(row.text))).toEqual([first.pid, fresh.pid]);
    // The log says the run was started again, just before the second start.
    const restart = rows.findIndex((row) => row.text === `Worker restarted: attempt 2 of ${RUN_MAX_ATTEMPTS}`);
    expect(rows[restart + 1]).toEqual(starts[1]);
    expect(rows.at(-1)!.text).toMatch(/^Finished/);

    const next = await start('Ticker');
    const nextDone = await waitForRun(portal, next, ['succeeded', 'failed'], 30_000);
    expect(nextDone.state).toBe('succeeded');
    const nextLog = await logOf(portal, next);
    expect(workerPidOf(nextLog[0])).toBe(fresh.pid);
    expect(nextLog.filter((line) => line.startsWith('tick'))).toHaveLength(40);
  }, 110_000);

  it('100 runs queued at once on 2 workers: every one succeeds, none runs twice', async () => {
    workers.push(await startWorker(portal, 2));
    const live = workers.filter((worker) => worker.exitCode === null && worker.signalCode === null);
    expect(live).toHaveLength(2);
    // The starts are all in flight together, as if a class pressed Run at the same moment.
    const ids = await Promise.all(Array.from({ length: 100 }, () => start('Noop')));
    expect(new Set(ids).size).toBe(100);
    await eventually(
      'all 100 runs to finish',
      async () => {
        const [row] = await portal.dataSource.query(
          `SELECT count(*)::int AS open FROM pipeline_runs WHERE id = ANY($1) AND state NOT IN ('succeeded', 'failed', 'cancelled', 'interrupted')`,
          [ids],
        );
        return row.open === 0;
      },
      90_000,
      250,
    );
    const states = await portal.dataSource.query('SELECT state, count(*)::int AS n FROM pipeline_runs WHERE id = ANY($1) GROUP BY state', [ids]);
    expect(states).toEqual([{ state: 'succeeded', n: 100 }]);
    // Each run's start line (written once per execution) and its one pipeline line: exactly once each.
    const perRun = await portal.dataSource.query(
      `SELECT run_id,
              count(*) FILTER (WHERE text LIKE 'Running Noop%')::int AS starts,
              count(*) FILTER (WHERE text = 'noop done')::int AS bodies,
              min(text) FILTER (WHERE text LIKE 'Running Noop%') AS start_line
         FROM pipeline_log_lines WHERE run_id = ANY($1) GROUP BY run_id`,
      [ids],
    );
    expect(perRun).toHaveLength(100);
    expect(perRun.filter((row: any) => row.starts !== 1 || row.bodies !== 1)).toEqual([]);
    // Both workers took a share.
    const pids = new Set(perRun.map((row: any) => workerPidOf(row.start_line)));
    expect([...pids].sort()).toEqual(live.map((worker) => worker.pid).sort());
  }, 110_000);
});
