/**
 * Memory: peak RSS of a worker process (node dist/src/worker.js) on one generated 4096×4096 float32 frame (64 MiB
 * of pixels): making its thumbnail, and running the "Inspect frames" builtin on it, each in a fresh worker. Read
 * from /proc/<pid>/status (VmHWM, the kernel's high-water mark, plus VmRSS sampled every 100 ms). On the embedded default the worker reaches the embedded
 * PGlite and Redis through the loopback URLs this bench process serves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeBigFrame } from './fits-bench';
import { BenchEnv, createUser, seedRunTarget, spawnWorker, startBenchPortal, WorkerProcess, wipe } from './lib/bench-portal';
import { printTable, round, verdict, waitFor } from './lib/stats';

const FRAME_BYTES = 4096 * 4096 * 4;
const GOAL_MB = 256;

export interface MemoryCase {
  name: string;
  peakRssMb: number;
  idleRssMb: number;
  /** The highest VmRSS seen by sampling every 100 ms; VmHWM is the exact peak. */
  sampledPeakRssMb: number;
  seconds: number;
  outcome: string;
}

export interface MemoryResult {
  /** The highest peak of the cases. */
  workerPeakRssMb: number;
  cases: MemoryCase[];
  frame: string;
}

/** VmRSS and VmHWM of a process, in MiB (Linux). */
function procMemory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Starts a fresh worker, lets `work` start something, and samples the worker's memory until `done` says how it ended. */
async function measureCase(
  env: BenchEnv,
  name: string,
  work: () => Promise<void>,
  done: () => Promise<string | undefined>,
): Promise<MemoryCase> {
  const worker: WorkerProcess = await spawnWorker(env, 1);
  try {
    const idle = procMemory(worker.pid);
    let sampled = idle.rss;
    const started = Date.now();
    await work();
    const outcome = await waitFor(
      name,
      async () => {
        sampled = Math.max(sampled, procMemory(worker.pid).rss);
        return done();
      },
      600_000,
      100,
    );
    return {
      name,
      peakRssMb: round(procMemory(worker.pid).hwm),
      idleRssMb: round(idle.rss),
      sampledPeakRssMb: round(sampled),
      seconds: round((Date.now() - started) / 1000, 2),
      outcome,
    };
  } finally {
    await worker.stop();
  }
}

export async function runMemory(env: BenchEnv): Promise<MemoryResult> {
  const bench = await startBenchPortal(env, 0);
  try {
    await wipe(env, bench);
    const teacher = await createUser(bench, 'bench-teacher', 'teacher');
    const { targetId } = await seedRunTarget(env, bench, teacher, 'bench-memory');
    const stored = 'products/bench-big-float32.fits';
    writeBigFrame(path.join(env.dataDir, stored));
    const [product] = await bench.dataSource.query(
      `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id)
       VALUES ($1, $2, 'big-float32.fits', 'fits_image', $3, repeat('1', 64), $4) RETURNING id`,
      [targetId, stored, fs.statSync(path.join(env.dataDir, stored)).size, teacher.id],
    );
    const cases: MemoryCase[] = [];
    // A fresh worker queues the missing thumbnail at start: what every upload of such a frame costs.
    cases.push(
      await measureCase(
        env,
        'thumbnail (previews queue: read + zscale + PNG)',
        async () => undefined,
        async () => {
          const [row] = await bench.dataSource.query('SELECT thumbnail_path, preview_error FROM data_products WHERE id = $1', [product.id]);
          if (row.thumbnail_path) return 'made';
          return row.preview_error ? `failed: ${row.preview_error}` : undefined;
        },
      ),
    );
    let runId = 0;
    cases.push(
      await measureCase(
        env,
        'Inspect frames (builtin:inspect) run',
        async () => {
          runId = (await bench.runs.start(teacher, { pipelineName: 'Inspect frames', targetId, inputIds: [product.id], flags: {} })).id;
        },
        async () => {
          const [row] = await bench.dataSource.query('SELECT state FROM pipeline_runs WHERE id = $1', [runId]);
          return ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(row.state) ? (row.state as string) : undefined;
        },
      ),
    );
    return {
      workerPeakRssMb: Math.max(...cases.map((c) => c.peakRssMb)),
      cases,
      frame: `4096×4096 float32 (${FRAME_BYTES / 1024 / 1024} MiB of pixels)`,
    };
  } finally {
    await bench.close();
  }
}

export function printMemory(result: MemoryResult): void {
  printTable(
    `Memory: a worker process (node dist/src/worker.js) on a ${result.frame}, a fresh worker per case`,
    ['case', 'peak RSS MiB', 'idle RSS MiB', 'seconds', 'outcome', 'goal'],
    result.cases.map((c) => [c.name, c.peakRssMb, c.idleRssMb, c.seconds, c.outcome, `< ${GOAL_MB} MiB: ${verdict(c.peakRssMb < GOAL_MB)}`]),
    ['peak RSS: the kernel\'s high-water mark (VmHWM in /proc/<pid>/status); idle RSS: before the case, after start-up'],
  );
}
