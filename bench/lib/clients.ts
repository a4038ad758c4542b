/**
 * The benchmarks' clients, in a process of their own so that they do not share the web process's event loop:
 * `watch` opens Socket.IO watchers and 1 s pollers on running runs and measures each log line's latency;
 * `load` drives one page with autocannon; `classroom` is a class of students starting runs at once and watching
 * their run pages. The parent sends one job over IPC and gets one result back.
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

export interface ClassroomJob {
  kind: 'classroom';
  baseUrl: string;
  /** One session cookie per student. */
  cookies: string[];
  targetId: number;
  /** The run form as the target page's picker posts it: the pipeline's name, the ticked inputs, the ticked flag boxes. */
  pipeline: string;
  productIds: number[];
  flagFields: string[];
  /** Socket.IO watchers are every other student (from the first); the rest poll the log. */
  pollMs: number;
  reloadMs: number;
  /** Gives up on runs not finished this long after the start. */
  timeoutMs: number;
}

export interface ClassroomResult {
  /** Wall-clock ms when the students pressed Run. */
  goAt: number;
  runIds: number[];
  socketStudents: number;
  pollingStudents: number;
  /** Response times: the form posts, the run page loads (the first and the reloads), the log polls, and the last two together. */
  submits: Percentiles;
  runPages: Percentiles;
  logPolls: Percentiles;
  pageLoads: Percentiles;
  /** From the start until each student saw its run end (null for a run not seen to end), and the states seen. */
  seenDoneMs: Array<number | null>;
  states: string[];
  errors: number;
  errorSamples: string[];
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

const TERMINAL = ['succeeded', 'failed', 'cancelled', 'interrupted'];

/**
 * A class pressing Run together: each student has the target page open (its CSRF token), all post the run form at
 * one moment, follow the redirect to their run page, then watch it as the page's script does (Socket.IO, every
 * other student) or poll /pipeline/:id/log?after=N each `pollMs`, and reload the run page every ~`reloadMs` until
 * the run has ended.
 */
async function classroom(job: ClassroomJob): Promise<ClassroomResult> {
  const submits: number[] = [];
  const runPages: number[] = [];
  const logPolls: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (what: string, error: unknown) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(`${what}: ${(error as Error)?.message ?? error}`);
  };
  const timed = async (samples: number[], url: string, init: RequestInit): Promise<Response> => {
    const started = performance.now();
    const response = await fetch(url, init);
    // The whole body, as a browser waits for it.
    const body = await response.arrayBuffer();
    samples.push(performance.now() - started);
    return new Response(response.status === 204 || response.status === 304 ? null : body, { status: response.status, headers: response.headers });
  };
  const stateOf = (html: string) => /id="run-state" class="badge state-[a-z]+">([a-z]+)</.exec(html)?.[1];

  // On the target page: its CSRF token (the session's) is what the form posts.
  const csrfs = await Promise.all(
    job.cookies.map(async (cookie, i) => {
      const response = await fetch(`${job.baseUrl}/targets/${job.targetId}`, { headers: { cookie } });
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await response.text())?.[1];
      if (response.status !== 200 || !csrf) throw new Error(`student ${i}: the target page answered ${response.status}${csrf ? '' : ' without a CSRF token'}`);
      return csrf;
    }),
  );
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!({ ready: true });
  });

  const goAt = wallMs();
  const states: string[] = job.cookies.map(() => 'not started');
  const runIds: number[] = job.cookies.map(() => 0);
  const seenDoneMs: Array<number | null> = job.cookies.map(() => null);
  const deadline = Date.now() + job.timeoutMs;
  const student = async (i: number): Promise<void> => {
    const cookie = job.cookies[i];
    const form = new URLSearchParams({ pipeline: job.pipeline, _csrf: csrfs[i] });
    for (const id of job.productIds) form.append('productIds', String(id));
    for (const field of job.flagFields) form.append(field, 'on');
    let runId: number;
    try {
      const response = await timed(submits, `${job.baseUrl}/targets/${job.targetId}/pipeline-runs`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: form,
      });
      const location = response.headers.get('location') ?? '';
      const match = /^\/pipeline\/(\d+)$/.exec(location);
      if (response.status !== 303 || !match) throw new Error(`the run form answered ${response.status} ${location}: ${(await response.text()).slice(0, 200)}`);
      runId = Number(match[1]);
      runIds[i] = runId;
      states[i] = 'queued';
    } catch (error) {
      fail(`student ${i} starting the run`, error);
      return;
    }
    const pageUrl = `${job.baseUrl}/pipeline/${runId}`;
    const see = (state: string | undefined) => {
      if (!state || TERMINAL.includes(states[i])) return;
      states[i] = state;
      if (TERMINAL.includes(state)) seenDoneMs[i] = wallMs() - goAt;
    };
    const loadPage = async () => {
      try {
        const response = await timed(runPages, pageUrl, { headers: { cookie } });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        see(stateOf(await response.text()));
      } catch (error) {
        fail(`student ${i} loading the run page`, error);
      }
    };
    const done = () => TERMINAL.includes(states[i]) || Date.now() > deadline;
    await loadPage();

    let socket: Socket | undefined;
    let follow: Promise<void> = Promise.resolve();
    if (i % 2 === 0) {
      // The run page's script: connect, join the run's room from the last line shown, take 'run' events for the state.
      socket = io(job.baseUrl, { transports: ['websocket'], extraHeaders: { cookie }, forceNew: true, reconnection: false });
      socket.on('run', (event: { runId: number; state: string }) => event.runId === runId && see(event.state));
      socket.once('connect', () => {
        const join = (after: number) =>
          socket!.emit('join-run', { runId, after }, (reply: { ok: boolean; error?: string; state?: string; lastSeq?: number; hasMore?: boolean }) => {
            if (!reply?.ok) return fail(`student ${i} joining the run`, reply?.error);
            see(reply.state);
            if (reply.hasMore) join(reply.lastSeq ?? after);
          });
        join(0);
      });
      socket.once('connect_error', (error) => fail(`student ${i} connecting`, error));
    } else {
      follow = (async () => {
        let after = 0;
        while (!done()) {
          const started = Date.now();
          try {
            const response = await timed(logPolls, `${pageUrl}/log?after=${after}`, { headers: { cookie, accept: 'application/json' } });
            if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
            const body = (await response.json()) as { state: string; lines: Array<{ seq: number }> };
            for (const line of body.lines) after = Math.max(after, line.seq);
            see(body.state);
          } catch (error) {
            fail(`student ${i} polling the log`, error);
          }
          await sleep(Math.max(0, job.pollMs - (Date.now() - started)));
        }
      })();
    }
    // The reloads, a little irregular as people are.
    while (!done()) {
      await sleep(job.reloadMs * (0.75 + Math.random() * 0.5));
      if (!done()) await loadPage();
    }
    await follow;
    socket?.disconnect();
  };
  await Promise.all(job.cookies.map((_, i) => student(i)));
  return {
    goAt,
    runIds,
    socketStudents: Math.ceil(job.cookies.length / 2),
    pollingStudents: Math.floor(job.cookies.length / 2),
    submits: percentiles(submits),
    runPages: percentiles(runPages),
    logPolls: percentiles(logPolls),
    pageLoads: percentiles([...runPages, ...logPolls]),
    seenDoneMs: seenDoneMs.map((ms) => (ms === null ? null : Math.round(ms))),
    states,
    errors,
    errorSamples,
  };
}

if (require.main === module) {
  process.once('message', (job: WatchJob | LoadJob | ClassroomJob) => {
    // Replies: { ready: true } once a watch or classroom job is connected (the parent answers "go"), then the result.
    (job.kind === 'watch' ? watch(job) : job.kind === 'classroom' ? classroom(job) : load(job)).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (error: Error) => process.send!({ ok: false, error: error.message }, () => process.exit(1)),
    );
  });
}
