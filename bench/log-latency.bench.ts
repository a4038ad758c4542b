/**
 * Log latency: 10 runs of the bench log-stream pipeline each log 100 time-stamped lines a second; Socket.IO
 * watchers (1, 50, 200) and as many 1 s pollers of GET /pipeline/:id/log?after=N (tom_education's way) time every
 * line from the worker's log() call to its arrival. Watchers and pollers run in one client process of their own.
 * Each row measures watchers, then pollers, each on fresh runs: the clients connect first, then the runs log for the warm-up and the measurement and
 * stop; a row ends when every run has stored all its lines (how long that takes shows any backlog).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LINES_PER_SECOND, STREAM_CONTROL_ENV } from './lib/bench-pipelines';
import { BenchEnv, createUser, loginCookie, seedRunTarget, spawnWebCluster, spawnWorker, startBenchPortal, WorkerProcess, wipe } from './lib/bench-portal';
import { startClients } from './lib/run-clients';
import { printTable, progress, QUICK, round, sleep, verdict, waitFor } from './lib/stats';

const RUNS = 10;
/** BENCH_WATCHERS=200 measures one row only (while working on the harness). */
const WATCHER_COUNTS = process.env.BENCH_WATCHERS ? process.env.BENCH_WATCHERS.split(',').map(Number) : [1, 50, 200];
const WARMUP_MS = QUICK ? 1000 : 2000;
const MEASURE_MS = QUICK ? 5000 : 30_000;
/** "Not yet" in the control file (JSON has no Infinity). */
const NEVER = 8.64e15;

export interface LatencyFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  samples: number;
}

export interface PhaseFigures {
  /** Lines the runs asked to log in the row, and how fast they were stored, from the first line to the last stored. */
  linesLogged: number;
  storedLinesPerSecond: number;
  /** From the runs' last log() call to every line stored and the runs finished. */
  drainSeconds: number;
  watcherConnectMs: number;
  pollErrors: number;
  /** Poll requests answered in the measurement window and their p50/p99 response times. */
  polls: number;
  pollResponseP50Ms: number;
  pollResponseP99Ms: number;
}

export interface LogLatencyResult {
  push: Record<string, LatencyFigures>;
  polling: Record<string, LatencyFigures>;
  phases: Record<string, PhaseFigures>;
  runs: number;
  linesPerSecondPerRun: number;
  measureSeconds: number;
  pollIntervalMs: number;
  workers: string;
  /** Servers only: the push figures with the watchers on `WEB_PROCESSES` web processes (by watcher count). */
  pushWebCluster?: { webProcesses: number; push: Record<string, LatencyFigures> };
}

export async function runLogLatency(env: BenchEnv): Promise<LogLatencyResult> {
  const control = path.join(env.dataDir, 'stream-control.json');
  const setControl = (goAt: number, stopAt: number) => fs.writeFileSync(`${control}.tmp`, JSON.stringify({ goAt, stopAt }));
  const commit = () => fs.renameSync(`${control}.tmp`, control);
  setControl(NEVER, NEVER);
  commit();
  // Read by the bench pipeline in the worker processes (inherited).
  process.env[STREAM_CONTROL_ENV] = control;
  // Runs go to worker processes in both modes, as `npm start` has them: the web process only serves and fans out.
  const bench = await startBenchPortal(env, 0);
  const workers: WorkerProcess[] = [];
  try {
    await wipe(env, bench);
    const teacher = await createUser(bench, 'bench-teacher', 'teacher');
    const { targetId, inputId } = await seedRunTarget(env, bench, teacher, 'bench-log-latency');
    // Servers: two worker processes; embedded: its one worker process, here taking all 10 runs at once.
    if (env.mode === 'servers') {
      for (let i = 0; i < 2; i++) workers.push(await spawnWorker(env, RUNS / 2));
    } else {
      workers.push(await spawnWorker(env, RUNS));
    }
    const cookie = await loginCookie(bench.baseUrl, 'bench-teacher');
    const countLines = async (runIds: number[]): Promise<number> =>
      (await bench.dataSource.query(`SELECT count(*)::int AS n FROM pipeline_log_lines WHERE run_id = ANY($1) AND text LIKE 'line %'`, [runIds]))[0].n;

    const push: Record<string, LatencyFigures> = {};
    const polling: Record<string, LatencyFigures> = {};
    const phases: Record<string, PhaseFigures> = {};
    /** One measurement on fresh runs with these clients; the figures of the stream and its clients. */
    const measureRow = async (count: number, watchers: number, pollers: number, baseUrl = bench.baseUrl) => {
      setControl(NEVER, NEVER);
      commit();
      // The bench pipeline reads the control file at most every 50 ms: a run of this row must not start on the
      // last row's times (already past, so it would end at once).
      await sleep(150);
      const runIds: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        runIds.push((await bench.runs.start(teacher, { pipelineName: 'Bench log stream', targetId, inputIds: [inputId], flags: {} })).id);
      }
      await waitFor(
        'the log-stream runs to start',
        async () => {
          const [{ n }] = await bench.dataSource.query(`SELECT count(*)::int AS n FROM pipeline_runs WHERE id = ANY($1) AND state = 'running'`, [runIds]);
          return n === RUNS ? true : undefined;
        },
        60_000,
        100,
      );
      const clients = startClients({ kind: 'watch', baseUrl, cookie, runIds, watchers, pollers, warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
      await clients.ready;
      const goAt = Date.now() + 200;
      const stopAt = goAt + WARMUP_MS + MEASURE_MS + 300;
      setControl(goAt, stopAt);
      commit();
      await sleep(200);
      clients.go();
      progress(`log latency, ${count}: ${watchers} watchers, ${pollers} pollers: logging`);
      const result = await clients.result;
      await waitFor(
        'the log-stream runs to store their lines and finish',
        async () => {
          const [{ n }] = await bench.dataSource.query(`SELECT count(*)::int AS n FROM pipeline_runs WHERE id = ANY($1) AND state IN ('queued', 'running')`, [runIds]);
          return n === 0 ? true : undefined;
        },
        900_000,
        100,
      );
      const doneAt = Date.now();
      const lines = await countLines(runIds);
      return { result, lines, storedLinesPerSecond: round(lines / ((doneAt - goAt) / 1000), 0), drainSeconds: round(Math.max(0, doneAt - stopAt) / 1000, 1) };
    };
    for (const count of WATCHER_COUNTS) {
      // Watchers and pollers in rows of their own: 200 pollers load the web process (a page read each per second),
      // and measured together that load was counted against the push figures.
      const watched = await measureRow(count, count, 0);
      const polled = await measureRow(count, 0, count);
      const figures = (p: typeof watched.result.push): LatencyFigures => ({ p50Ms: p.p50Ms, p99Ms: p.p99Ms, maxMs: p.maxMs, meanMs: p.meanMs, samples: p.count });
      push[count] = figures(watched.result.push);
      polling[count] = figures(polled.result.polling);
      phases[count] = {
        linesLogged: watched.lines,
        storedLinesPerSecond: watched.storedLinesPerSecond,
        drainSeconds: watched.drainSeconds,
        watcherConnectMs: watched.result.connectMs,
        pollErrors: polled.result.pollErrors,
        polls: polled.result.polls.count,
        pollResponseP50Ms: polled.result.polls.p50Ms,
        pollResponseP99Ms: polled.result.polls.p99Ms,
      };
      progress(`log latency, ${count} watchers: ${JSON.stringify({ push: push[count], polling: polling[count], ...phases[count] })}`);
    }
    // Servers: the same watchers spread over one web process per core, as `WEB_PROCESSES=auto npm start` runs.
    let pushWebCluster: LogLatencyResult['pushWebCluster'];
    if (env.mode === 'servers') {
      const webProcesses = os.availableParallelism();
      const cluster = await spawnWebCluster(env, webProcesses);
      try {
        pushWebCluster = { webProcesses, push: {} };
        for (const count of WATCHER_COUNTS.filter((n) => n >= 50)) {
          const watched = await measureRow(count, count, 0, cluster.baseUrl);
          const p = watched.result.push;
          pushWebCluster.push[count] = { p50Ms: p.p50Ms, p99Ms: p.p99Ms, maxMs: p.maxMs, meanMs: p.meanMs, samples: p.count };
        }
      } finally {
        await cluster.stop();
      }
    }
    return {
      pushWebCluster,
      push,
      polling,
      phases,
      runs: RUNS,
      linesPerSecondPerRun: LINES_PER_SECOND,
      measureSeconds: MEASURE_MS / 1000,
      pollIntervalMs: 1000,
      workers: env.mode === 'servers' ? '2 worker processes, 5 runs each' : 'the embedded worker process, 10 runs at once',
    };
  } finally {
    for (const worker of workers) await worker.stop();
    await bench.close();
    delete process.env[STREAM_CONTROL_ENV];
  }
}

export function printLogLatency(result: LogLatencyResult): void {
  const rows = WATCHER_COUNTS.map((count) => {
    const p = result.push[count];
    const q = result.polling[count];
    const phase = result.phases[count];
    const goal = count === 200 ? `p99 < 50 ms: ${verdict(p.p99Ms < 50)}` : '';
    return [String(count), p.p50Ms, p.p99Ms, p.maxMs, p.samples, q.p50Ms, q.p99Ms, q.meanMs, phase.storedLinesPerSecond, phase.drainSeconds, goal];
  });
  printTable(
    `Log latency: worker log() to client (${result.runs} runs × ${result.linesPerSecondPerRun} lines/s, ${result.measureSeconds} s per row)`,
    ['watchers', 'push p50 ms', 'push p99 ms', 'push max ms', 'lines seen', 'poll p50 ms', 'poll p99 ms', 'poll mean ms', 'stored/s', 'drain s', 'goal'],
    rows,
    [
      `push: Socket.IO clients in the run's room; poll: as many clients polling /pipeline/:id/log every ${result.pollIntervalMs} ms, on fresh runs of their own (measured apart, so each load counts only against its own figures)`,
      `stored/s: lines stored per second (asked: ${result.runs * result.linesPerSecondPerRun}); drain: seconds after the last log() until all were stored`,
      `runs executed ${result.workers}`,
    ],
  );
  const cluster = result.pushWebCluster;
  if (cluster) {
    printTable(
      `Log latency with the watchers on ${cluster.webProcesses} web processes (WEB_PROCESSES=${cluster.webProcesses}, one port)`,
      ['watchers', 'push p50 ms', 'push p99 ms', 'push max ms', 'lines seen', 'goal'],
      Object.entries(cluster.push).map(([count, p]) => [count, p.p50Ms, p.p99Ms, p.maxMs, p.samples, count === '200' ? `p99 < 50 ms: ${verdict(p.p99Ms < 50)}` : '']),
      ['the same runs and clients as above; the web processes take no jobs'],
    );
  }
}
