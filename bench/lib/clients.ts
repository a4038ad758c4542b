/**
 * The benchmarks' clients, in a process of their own so that they do not share the web process's event loop:
 * `watch` opens Socket.IO watchers and 1 s pollers on running runs and measures each log line's latency;
 * `load` drives one page with autocannon. The parent sends one job over IPC and gets one result back.
 */
import { io, Socket } from 'socket.io-client';
import { sendTimeOf } from './bench-pipelines';
import { Percentiles, percentiles, sleep, wallMs } from './stats';

const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface AutocannonStat {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: AutocannonStat;
  latency: AutocannonStat;
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}

export interface WatchJob {
  kind: 'watch';
  baseUrl: string;
  cookie: string;
  runIds: number[];
  watchers: number;
  pollers: number;
  warmupMs: number;
  measureMs: number;
}

export interface WatchResult {
  push: Percentiles;
  polling: Percentiles;
  /** Lines each watcher should have seen in the window (runs × rate), to spot lost lines. */
  pushLinesPerWatcher: number;
  connectMs: number;
  pollErrors: number;
  /** Poll requests answered during the measurement, and their response times. */
  polls: Percentiles;
}

export interface LoadJob {
  kind: 'load';
  url: string;
  cookie: string;
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ok: number;
  non2xx: number;
  errors: number;
}

const MAX_SEQ = 2147483647;

async function watch(job: WatchJob): Promise<WatchResult> {
  let measuring = false;
  const pushSamples: number[] = [];
  const pollSamples: number[] = [];
  const pollTimes: number[] = [];
  let pollErrors = 0;
  const connectStart = Date.now();
  const sockets: Socket[] = [];
  await Promise.all(
    Array.from({ length: job.watchers }, (_, i) => {
      const runId = job.runIds[i % job.runIds.length];
      const socket = io(job.baseUrl, { transports: ['websocket'], extraHeaders: { cookie: job.cookie }, forceNew: true, reconnection: false });
      sockets.push(socket);
      socket.on('log-lines', (lines: Array<{ runId: number; text: string }>) => {
        if (!measuring) return;
        const now = wallMs();
        for (const line of lines) {
          const sent = line.runId === runId ? sendTimeOf(line.text) : NaN;
          if (Number.isFinite(sent)) pushSamples.push(now - sent);
        }
      });
      return new Promise<void>((resolve, reject) => {
        socket.once('connect_error', (error) => reject(new Error(`watcher ${i}: ${error.message}`)));
        socket.once('connect', () =>
          // Ask for nothing old: only lines logged from now on are timed.
          socket.emit('join-run', { runId, after: MAX_SEQ }, (reply: { ok: boolean; error?: string }) =>
            reply?.ok ? resolve() : reject(new Error(`watcher ${i} could not join run ${runId}: ${reply?.error}`)),
          ),
        );
      });
    }),
  );
  const connectMs = Date.now() - connectStart;

  let stopped = false;
  const poller = async (i: number) => {
    const runId = job.runIds[i % job.runIds.length];
    let after = 0;
    let first = true;
    // Spread the pollers over the second, as independent browsers would be.
    await sleep(Math.random() * 1000);
    while (!stopped) {
      const started = Date.now();
      try {
        const response = await fetch(`${job.baseUrl}/pipeline/${runId}/log?after=${after}`, { headers: { cookie: job.cookie, accept: 'application/json' } });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = (await response.json()) as { lines: Array<{ seq: number; text: string }> };
        const now = wallMs();
        if (measuring) pollTimes.push(Date.now() - started);
        for (const line of body.lines) {
          after = Math.max(after, line.seq);
          const sent = sendTimeOf(line.text);
          if (!first && measuring && Number.isFinite(sent)) pollSamples.push(now - sent);
        }
        first = false;
      } catch {
        pollErrors++;
      }
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
  };
  const pollers = Array.from({ length: job.pollers }, (_, i) => poller(i));

  // Connected and polling: the parent now makes the runs log, then says when to start counting.
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!({ ready: true });
  });
  await sleep(job.warmupMs);
  measuring = true;
  await sleep(job.measureMs);
  measuring = false;
  stopped = true;
  for (const socket of sockets) socket.disconnect();
  await Promise.all(pollers);
  return {
    push: percentiles(pushSamples),
    polling: percentiles(pollSamples),
    pushLinesPerWatcher: job.watchers ? pushSamples.length / job.watchers : 0,
    connectMs,
    pollErrors,
    polls: percentiles(pollTimes),
  };
}

async function load(job: LoadJob): Promise<LoadResult> {
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationSeconds,
    headers: { cookie: job.cookie },
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

if (require.main === module) {
  process.once('message', (job: WatchJob | LoadJob) => {
    // Replies: { ready: true } once a watch job is connected (the parent answers "go"), then the result.
    (job.kind === 'watch' ? watch(job) : load(job)).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (error: Error) => process.send!({ ok: false, error: error.message }, () => process.exit(1)),
    );
  });
}
