/**
 * Dispatch: no-op runs through the whole path (PipelineRunsService.start → Bull → worker → no-op pipeline → state
 * succeeded in Postgres) with 1 and 2 workers. Throughput: many runs started at once, timed from the first start to
 * the last success. First line: runs started one at a time on an idle queue, timed from start() to the pipeline's
 * log() call (the line carries its send time). On servers the workers are separate processes; on the embedded
 * default its one worker process, with 1 and 2 jobs at once.
 */
import * as fs from 'node:fs';
import { DEFAULT_PIPELINE_CONCURRENCY } from '../src/config/app-config';
import { sendTimeOf } from './lib/bench-pipelines';
import { BenchEnv, createUser, seedRunTargets, spawnWorker, startBenchPortal, WorkerProcess, wipe } from './lib/bench-portal';
import { percentiles, printTable, progress, QUICK, round, verdict, waitFor, wallMs } from './lib/stats';

const WORKER_COUNTS = [1, 2];
/** The peer route's figure, measured beside ours on this machine (issue 14), and the goals made from it. */
const PEER_RUNS_PER_SECOND = 245;
const SERVERS_GOAL = 400;
const THROUGHPUT_RUNS = QUICK ? 300 : 3000;
const FIRST_LINE_RUNS = QUICK ? 15 : 100;
/**
 * Runs are spread over this many targets: a run identifier is `{shortName}_{targetId}_{second}` with at most 50
 * suffixes, so one target takes at most 50 runs a second (and the n-th run in a second tries n inserts).
 */
const TARGETS = 100;
/** start() calls in flight at once while filling the queue, as many students clicking Run would be. */
const STARTERS = 16;
/** Jobs each worker process runs at once on servers (BENCH_WORKER_CONCURRENCY): the shipped PIPELINE_CONCURRENCY. */
const PER_PROCESS = Number(process.env.BENCH_WORKER_CONCURRENCY) || DEFAULT_PIPELINE_CONCURRENCY;

export interface DispatchFigures {
  runsPerSecond: number;
  /** start() to the pipeline's first line, p50, on an idle queue. */
  firstLineMs: number;
  firstLineP99Ms: number;
  /** How fast start() alone went (runs recorded and queued per second) while the workers worked. */
  startsPerSecond: number;
  runs: number;
  failed: number;
  workerSetup: string;
  /**
   * CPU time (user + system, all threads) per run during the throughput phase: of the separate worker processes
   * together (servers only; null where /proc cannot be read), and of this process (the web app calling start()
   * and receiving the live events, plus the bench's polling).
   */
  workerCpuMsPerRun: number | null;
  webCpuMsPerRun: number;
}

/** A process's CPU time in ms (utime + stime from /proc, all its threads); null off Linux. */
function cpuMsOf(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux the bench runs on. */
const CLOCK_TICKS = 100;

export interface DispatchResult {
  workers: Record<string, DispatchFigures>;
  mode: string;
}

async function measure(env: BenchEnv, workerCount: number): Promise<DispatchFigures> {
  const bench = await startBenchPortal(env, 0);
  const workers: WorkerProcess[] = [];
  try {
    await wipe(env, bench);
    const teacher = await createUser(bench, 'bench-teacher', 'teacher');
    const targets = await seedRunTargets(env, bench, teacher, 'bench-dispatch', TARGETS);
    // Servers: `workerCount` worker processes; embedded: its one worker process (as `npm start` runs it) taking
    // `workerCount` jobs at once.
    if (env.mode === 'servers') for (let i = 0; i < workerCount; i++) workers.push(await spawnWorker(env, PER_PROCESS));
    else workers.push(await spawnWorker(env, workerCount));
    const request = (i: number) => ({ pipelineName: 'Bench no-op', targetId: targets[i % TARGETS].targetId, inputIds: [targets[i % TARGETS].inputId], flags: {} });
    const stateOf = async (id: number): Promise<string> => (await bench.dataSource.query('SELECT state FROM pipeline_runs WHERE id = $1', [id]))[0].state;

    progress(`dispatch, ${workerCount} worker(s): first-line runs`);
    // First line, one run at a time (the first two warm the path up and are not counted).
    const startedAt = new Map<number, number>();
    for (let i = 0; i < FIRST_LINE_RUNS + 2; i++) {
      const t0 = wallMs();
      const run = await bench.runs.start(teacher, request(i));
      if (i >= 2) startedAt.set(run.id, t0);
      await waitFor('a no-op run', async () => (['succeeded', 'failed'].includes(await stateOf(run.id)) ? true : undefined), 30_000, 2);
    }
    const lines: Array<{ run_id: number; text: string }> = await bench.dataSource.query(
      `SELECT run_id, text FROM pipeline_log_lines WHERE run_id = ANY($1) AND text LIKE 'first t=%'`,
      [[...startedAt.keys()]],
    );
    const firstLine = percentiles(lines.map((line) => sendTimeOf(line.text) - startedAt.get(line.run_id)!));

    // Throughput.
    progress(`dispatch, ${workerCount} worker(s): ${THROUGHPUT_RUNS} runs`);
    const [{ base }] = await bench.dataSource.query(`SELECT coalesce(max(id), 0)::int AS base FROM pipeline_runs`);
    const workersCpu = (): number | null => {
      const each = workers.map((worker) => cpuMsOf(worker.pid));
      return workers.length && each.every((ms) => ms !== null) ? each.reduce<number>((sum, ms) => sum + ms!, 0) : null;
    };
    const workersCpu0 = workersCpu();
    const webCpu0 = process.cpuUsage();
    const t0 = Date.now();
    let next = 0;
    let failure: unknown;
    // Every starter stops at the first error and all are waited for, so nothing is still queueing when the app closes.
    await Promise.all(
      Array.from({ length: STARTERS }, async () => {
        while (next < THROUGHPUT_RUNS && failure === undefined) {
          await bench.runs.start(teacher, request(next++)).catch((error) => (failure ??= error));
        }
      }),
    );
    if (failure !== undefined) throw failure;
    const startsSeconds = (Date.now() - t0) / 1000;
    progress(`dispatch: all started in ${startsSeconds} s`);
    const done = await waitFor(
      'the no-op runs to finish',
      async () => {
        const [row] = await bench.dataSource.query(
          `SELECT count(*) FILTER (WHERE state IN ('succeeded', 'failed', 'cancelled', 'interrupted'))::int AS finished,
                  count(*) FILTER (WHERE state <> 'succeeded')::int AS failed
           FROM pipeline_runs WHERE id > $1`,
          [base],
        );
        return row.finished >= THROUGHPUT_RUNS ? row : undefined;
      },
      600_000,
      // Not more often: on the embedded default this count shares the database's one thread with the runs it times
      // (the time itself comes from finished_at below, not from when the poll sees it).
      200,
    );
    const workersCpu1 = workersCpu();
    const webCpu = process.cpuUsage(webCpu0);
    // The last finish time from Postgres, not from when the poll noticed it.
    const [{ last }] = await bench.dataSource.query(`SELECT max(finished_at) AS last FROM pipeline_runs WHERE id > $1`, [base]);
    const seconds = (new Date(last).getTime() - t0) / 1000;
    return {
      runsPerSecond: round(THROUGHPUT_RUNS / seconds, 0),
      firstLineMs: firstLine.p50Ms,
      firstLineP99Ms: firstLine.p99Ms,
      startsPerSecond: round(THROUGHPUT_RUNS / startsSeconds, 0),
      runs: THROUGHPUT_RUNS,
      failed: done.failed,
      workerCpuMsPerRun: workersCpu0 === null || workersCpu1 === null ? null : round((workersCpu1 - workersCpu0) / THROUGHPUT_RUNS, 2),
      webCpuMsPerRun: round((webCpu.user + webCpu.system) / 1000 / THROUGHPUT_RUNS, 2),
      workerSetup:
        env.mode === 'servers'
          ? `${workerCount} worker process(es) (node dist/src/worker.js), ${PER_PROCESS} job(s) at a time each`
          : `the embedded default's worker process (node dist/src/worker.js on the embedded services), ${workerCount} job(s) at a time`,
    };
  } finally {
    progress('dispatch: closing');
    for (const worker of workers) await worker.stop();
    await bench.close();
  }
}

export async function runDispatch(env: BenchEnv): Promise<DispatchResult> {
  const workers: Record<string, DispatchFigures> = {};
  for (const count of WORKER_COUNTS) workers[count] = await measure(env, count);
  return { workers, mode: env.mode };
}

export function printDispatch(result: DispatchResult): void {
  const rows = WORKER_COUNTS.map((count) => {
    const d = result.workers[count];
    const target = result.mode === 'servers' ? SERVERS_GOAL : SERVERS_GOAL / 2;
    const goal = count === 2 ? `≥ ${target} runs/s: ${verdict(d.runsPerSecond >= target)}; first line p50 < 20 ms: ${verdict(d.firstLineMs < 20)}` : '';
    return [String(count), d.runsPerSecond, `${round(d.runsPerSecond / PEER_RUNS_PER_SECOND, 2)}×`, d.startsPerSecond, d.firstLineMs, d.firstLineP99Ms, d.workerCpuMsPerRun ?? '-', d.webCpuMsPerRun, `${d.runs}/${d.failed}`, goal];
  });
  printTable(
    'Dispatch: no-op runs, start() → Bull → worker → succeeded in Postgres',
    [result.mode === 'servers' ? 'workers' : 'jobs at once', 'runs/s', 'vs Celery', 'starts/s', 'first line p50 ms', 'first line p99 ms', 'worker CPU ms/run', 'web CPU ms/run', 'runs/not ok', 'goal'],
    rows,
    [
      ...WORKER_COUNTS.map((count) => `${count}: ${result.workers[count].workerSetup}`),
      `vs Celery: runs/s ÷ ${PEER_RUNS_PER_SECOND}, Celery 5.2 + psycopg2 with 2 prefork workers doing a run's writes, as issue 14 measured it on its machine (bench/peers/celery_dispatch.py measures it on this one); goal: 1.6× on servers, embedded half the servers goal`,
    ],
  );
}
