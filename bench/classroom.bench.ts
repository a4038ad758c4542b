/**
 * Classroom (issue 14): 30 students, each logged in on the target page of a public target of their teacher's,
 * press Run at the same moment: the builtin aperture photometry on the 5 M13 frames (which have no WCS, so with
 * the demo preset's flag brightestWithoutWcs), posted through the target page's run form. Each then watches their
 * run page: loads /pipeline/:id, and either follows it over Socket.IO (every other student) or polls
 * /pipeline/:id/log?after=N every second, and reloads the page every ~2 s until the run has ended. The students run
 * in a client process of their own; the jobs run in one worker process (concurrency 2 on servers, one job per core on
 * the embedded default, as `npm start` does there). BENCH_QUICK changes nothing here: the one class is the measurement.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { DEMO_FIXTURES, DEMO_PRESET } from '../src/demo/demo-seed.service';
import { AperturePhotometryPipeline } from '../src/teaching-pipelines/aperture-photometry.pipeline';
import { FileStorageService } from '../src/storage/file-storage.service';
import { BenchEnv, createUser, loginCookie, spawnWorker, startBenchPortal, WorkerProcess, wipe } from './lib/bench-portal';
import type { ClassroomResult } from './lib/clients';
import { startClients } from './lib/run-clients';
import { Percentiles, printTable, progress, round, verdict, waitFor } from './lib/stats';

const STUDENTS = 30;
const FRAMES_FOLDER = path.join(DEMO_FIXTURES, 'm13-blue-2013-05-05');
/** Registered under this name in bench/bench-pipelines.config.json, as in pipelines.config.json. */
const PIPELINE = DEMO_PRESET.pipeline;
const FLAG_FIELDS = Object.entries(DEMO_PRESET.flags)
  .filter(([, on]) => on)
  .map(([name]) => `flag:${AperturePhotometryPipeline.shortName}:${name}`);
const POLL_MS = 1000;
const RELOAD_MS = 2000;
const TIMEOUT_MS = 15 * 60 * 1000;
const GOAL_LAST_RUN_S = 60;
const GOAL_PAGE_P99_MS = 100;

export interface ClassroomFigures {
  students: number;
  frames: number;
  pipeline: string;
  workerSetup: string;
  /** From the moment the students pressed Run until the last run succeeded (null if none did). */
  lastSucceededSeconds: number | null;
  /** Until every run had ended, whatever its state, and until the last student's page showed it. */
  allEndedSeconds: number | null;
  lastSeenByStudentSeconds: number | null;
  succeeded: number;
  failed: number;
  /** Runs that did not end in time, or whose form post failed. */
  unfinished: number;
  failureMessages: string[];
  /** Per run, from the database: queued for (start to started_at), ran for (started_at to finished_at). */
  queuedSeconds: { mean: number; max: number };
  runSeconds: { mean: number; max: number };
  photometryPoints: number;
  submits: Percentiles;
  runPages: Percentiles;
  logPolls: Percentiles;
  pageLoads: Percentiles;
  socketStudents: number;
  pollingStudents: number;
  clientErrors: number;
  clientErrorSamples: string[];
}

export async function runClassroom(env: BenchEnv): Promise<ClassroomFigures> {
  const bench = await startBenchPortal(env, 0);
  let worker: WorkerProcess | undefined;
  try {
    await wipe(env, bench);
    const db = bench.dataSource;
    const teacher = await createUser(bench, 'bench-teacher', 'teacher');
    const students = [];
    for (let i = 1; i <= STUDENTS; i++) students.push(await createUser(bench, `bench-student-${String(i).padStart(2, '0')}`, 'student'));
    const classroom = await bench.portal.app.get(ClassroomsService).create({ teacherId: teacher.id, name: 'Bench class' });
    await db.query(
      `INSERT INTO classroom_members (classroom_id, user_id, role) SELECT $1, unnest($2::uuid[]), 'student'`,
      [classroom.id, students.map((s) => s.id)],
    );
    // The M13 frames, copied into DATA_DIR as the demo seed stores them, under a public target of the teacher's.
    const storage = bench.portal.app.get(FileStorageService);
    const names = fs.readdirSync(FRAMES_FOLDER).filter((name) => /^M13_.*\.fits/.test(name)).sort();
    const stored = [];
    for (const name of names) stored.push({ name, ...(await storage.importCopy(path.join(FRAMES_FOLDER, name), name)) });
    const [{ id: targetId }] = await db.query(
      `INSERT INTO targets (name, type, ra, dec, visibility, owner_id) VALUES ('M13', 'sidereal', 250.4235, 36.4613, 'public', $1) RETURNING id`,
      [teacher.id],
    );
    const products: Array<{ id: number }> = await db.query(
      `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id, visibility, tags)
       SELECT $1, f.path, f.name, 'fits_image', f.size, f.sha256, $2, 'public', ARRAY['bench']
       FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY AS f(path, name, size, sha256, n)
       ORDER BY f.n RETURNING id`,
      [targetId, teacher.id, stored.map((f) => f.storedPath), stored.map((f) => f.name), stored.map((f) => f.size), stored.map((f) => f.sha256)],
    );

    const concurrency = env.mode === 'servers' ? 2 : os.availableParallelism();
    worker = await spawnWorker(env, concurrency);
    const cookies: string[] = [];
    for (const student of students) cookies.push(await loginCookie(bench.baseUrl, student.username));

    progress(`classroom: ${STUDENTS} students on the target page`);
    const clients = startClients({
      kind: 'classroom',
      baseUrl: bench.baseUrl,
      cookies,
      targetId,
      pipeline: PIPELINE,
      productIds: products.map((p) => p.id),
      flagFields: FLAG_FIELDS,
      pollMs: POLL_MS,
      reloadMs: RELOAD_MS,
      timeoutMs: TIMEOUT_MS,
    });
    await clients.ready;
    clients.go();
    progress('classroom: Run pressed');
    const result: ClassroomResult = await clients.result;
    progress(`classroom: the students are done (${result.states.join(' ')})`);
    const runIds = result.runIds.filter((id) => id > 0);
    // The clients stop at their timeout; the runs are read as they are then (a stuck one counts as unfinished).
    await waitFor(
      'the runs to end',
      async () => {
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM pipeline_runs WHERE id = ANY($1) AND state IN ('queued', 'running')`, [runIds]);
        return n === 0 || result.seenDoneMs.some((ms) => ms === null) ? true : undefined;
      },
      30_000,
      200,
    );
    const runs: Array<{ state: string; failure: string | null; startedAt: Date | null; finishedAt: Date | null }> = await db.query(
      `SELECT state, failure_message AS failure, started_at AS "startedAt", finished_at AS "finishedAt" FROM pipeline_runs WHERE id = ANY($1)`,
      [runIds],
    );
    const [{ points }] = await db.query(`SELECT count(*)::int AS points FROM reduced_data WHERE target_id = $1`, [targetId]);
    const sinceGo = (at: Date | null) => (at ? (at.getTime() - result.goAt) / 1000 : NaN);
    const succeeded = runs.filter((r) => r.state === 'succeeded');
    const ended = runs.filter((r) => ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(r.state));
    const maxOf = (values: number[]) => (values.length ? round(Math.max(...values), 1) : null);
    const meanMax = (values: number[]) => ({
      mean: values.length ? round(values.reduce((a, b) => a + b, 0) / values.length, 1) : 0,
      max: values.length ? round(Math.max(...values), 1) : 0,
    });
    const seen = result.seenDoneMs.filter((ms): ms is number => ms !== null);
    return {
      students: STUDENTS,
      frames: products.length,
      pipeline: `${PIPELINE} (${FLAG_FIELDS.map((f) => f.split(':').pop()).join(', ')})`,
      workerSetup: `1 worker process, ${concurrency} job(s) at a time`,
      lastSucceededSeconds: maxOf(succeeded.map((r) => sinceGo(r.finishedAt))),
      allEndedSeconds: ended.length === STUDENTS ? maxOf(ended.map((r) => sinceGo(r.finishedAt))) : null,
      lastSeenByStudentSeconds: seen.length === STUDENTS ? round(Math.max(...seen) / 1000, 1) : null,
      succeeded: succeeded.length,
      failed: runs.filter((r) => r.state === 'failed').length,
      unfinished: STUDENTS - ended.length,
      failureMessages: [...new Set(runs.map((r) => r.failure).filter((m): m is string => Boolean(m)))].slice(0, 5),
      queuedSeconds: meanMax(runs.filter((r) => r.startedAt).map((r) => sinceGo(r.startedAt))),
      runSeconds: meanMax(runs.filter((r) => r.startedAt && r.finishedAt).map((r) => (r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000)),
      photometryPoints: points,
      submits: result.submits,
      runPages: result.runPages,
      logPolls: result.logPolls,
      pageLoads: result.pageLoads,
      socketStudents: result.socketStudents,
      pollingStudents: result.pollingStudents,
      clientErrors: result.errors,
      clientErrorSamples: result.errorSamples,
    };
  } finally {
    await worker?.stop();
    await bench.close();
  }
}

export function printClassroom(result: ClassroomFigures): void {
  const seconds = (value: number | null) => (value === null ? '—' : value);
  const pages = (name: string, p: Percentiles, goal: string) => [name, p.count, p.p50Ms, p.p99Ms, p.maxMs, goal];
  const lastMet = result.lastSucceededSeconds !== null && result.lastSucceededSeconds < GOAL_LAST_RUN_S && result.succeeded === result.students;
  printTable(
    `Classroom: ${result.students} students press Run at once (${result.pipeline}, ${result.frames} M13 frames each) and watch their run pages`,
    ['figure', 'count', 'p50 ms', 'p99 ms', 'max ms', 'goal'],
    [
      ['last run succeeded (s after Run)', `${result.succeeded}/${result.students} ok`, '', '', seconds(result.lastSucceededSeconds), `last run < ${GOAL_LAST_RUN_S} s: ${verdict(lastMet)}`],
      pages('page loads (run page + log polls)', result.pageLoads, `p99 < ${GOAL_PAGE_P99_MS} ms: ${verdict(result.pageLoads.p99Ms < GOAL_PAGE_P99_MS)}`),
      pages('  GET /pipeline/:id', result.runPages, ''),
      pages('  GET /pipeline/:id/log?after=N', result.logPolls, ''),
      pages('POST the run form', result.submits, ''),
    ],
    [
      `runs: ${result.succeeded} succeeded, ${result.failed} failed, ${result.unfinished} unfinished; executed in ${result.workerSetup}`,
      `per run: queued ${result.queuedSeconds.mean} s mean (${result.queuedSeconds.max} max), ran ${result.runSeconds.mean} s mean (${result.runSeconds.max} max); ${result.photometryPoints} photometry points stored`,
      `all ended ${seconds(result.allEndedSeconds)} s after Run; the last student saw it ${seconds(result.lastSeenByStudentSeconds)} s after Run`,
      `${result.socketStudents} students follow over Socket.IO, ${result.pollingStudents} poll the log every ${POLL_MS / 1000} s; all reload the run page every ~${RELOAD_MS / 1000} s`,
      ...(result.failureMessages.length ? [`failures: ${result.failureMessages.join(' | ')}`] : []),
      ...(result.clientErrors ? [`client errors: ${result.clientErrors} (${result.clientErrorSamples.join(' | ')})`] : []),
    ],
  );
}
