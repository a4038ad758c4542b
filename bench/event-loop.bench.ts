/**
 * The event loop while heavy image work goes on (issue 12, item 2): GET /healthz from a process of its own every
 * 20 ms, first with nothing to do, then while the web process (with its in-process worker, as on the embedded
 * default) makes the thumbnail of a 4096×4096 float32 frame, renders three 2048-pixel previews of it with
 * different stretches, reads pixels under the pointer, runs "Inspect frames" on it, and refuses the decompression
 * bombs of every encoding (thumbnails and the preview route). Goal: /healthz p99 under 100 ms while working.
 * The web process's own event-loop delay (perf_hooks.monitorEventLoopDelay) is reported beside it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { allBombs } from '../src/fits/testing/bombs';
import { enqueuePreviews } from '../src/previews/preview-jobs';
import { PREVIEWS_QUEUE } from '../src/queue/queue.module';
import { writeBigFrame } from './fits-bench';
import { startHealthzProbe } from './lib/healthz-probe';
import { BenchEnv, createUser, loginCookie, seedRunTarget, startBenchPortal, wipe } from './lib/bench-portal';
import { Percentiles, percentiles, printTable, round, sleep, verdict, waitFor } from './lib/stats';

const GOAL_P99_MS = 100;

export interface EventLoopResult {
  idle: Percentiles;
  working: Percentiles;
  /** The web process's event-loop delay while working (monitorEventLoopDelay, 10 ms resolution). */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  workSeconds: number;
  work: string[];
}

export async function runEventLoop(env: BenchEnv): Promise<EventLoopResult> {
  const bench = await startBenchPortal(env, 2);
  try {
    await wipe(env, bench);
    const teacher = await createUser(bench, 'bench-eventloop', 'teacher');
    const { targetId } = await seedRunTarget(env, bench, teacher, 'bench-eventloop');
    const insert = async (stored: string, name: string): Promise<number> => {
      const [row] = await bench.dataSource.query(
        `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id)
         VALUES ($1, $2, $3, 'fits_image', $4, $5, $6) RETURNING id`,
        [targetId, stored, name, fs.statSync(path.join(env.dataDir, stored)).size, createHash('sha256').update(stored).digest('hex'), teacher.id],
      );
      return row.id;
    };
    const bigStored = 'products/bench-eventloop-4096.fits';
    writeBigFrame(path.join(env.dataDir, bigStored));
    const big = await insert(bigStored, 'big-4096.fits');
    const bombIds: number[] = [];
    for (const bomb of allBombs()) {
      const stored = `products/bench-bomb-${bomb.kind}.fits`;
      fs.writeFileSync(path.join(env.dataDir, stored), bomb.bytes);
      bombIds.push(await insert(stored, bomb.name));
    }
    const cookie = await loginCookie(bench.baseUrl, 'bench-eventloop');
    const get = async (url: string, expected: number) => {
      const response = await fetch(`${bench.baseUrl}${url}`, { headers: { cookie, accept: 'application/json' } });
      await response.arrayBuffer();
      if (response.status !== expected) throw new Error(`GET ${url} answered ${response.status}, expected ${expected}`);
    };
    const previewQueue = bench.portal.app.get<Queue>(getQueueToken(PREVIEWS_QUEUE));

    const probe = await startHealthzProbe(bench.baseUrl);
    await sleep(2000);
    const idle = await probe.stop();

    const working = await startHealthzProbe(bench.baseUrl);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    const done = (ids: number[]) => async () => {
      const rows = await bench.dataSource.query('SELECT count(*)::int AS n FROM data_products WHERE id = ANY($1) AND (thumbnail_path IS NOT NULL OR preview_error IS NOT NULL)', [ids]);
      return rows[0].n === ids.length ? true : undefined;
    };
    await enqueuePreviews(previewQueue, [big, ...bombIds]);
    const run = await bench.runs.start(teacher, { pipelineName: 'Inspect frames', targetId, inputIds: [big], flags: {} });
    await Promise.all([
      (async () => {
        for (const stretch of ['zscale', 'p99.5', 'minmax']) await get(`/data-products/${big}/preview.png?size=2048&stretch=${stretch}`, 200);
        for (let i = 0; i < 20; i++) await get(`/data-products/${big}/pixel?x=${100 + i * 100}&y=${200 + i * 50}`, 200);
        for (const id of bombIds) await get(`/data-products/${id}/preview.png?size=1024`, 422);
      })(),
      waitFor('the thumbnails', done([big, ...bombIds]), 600_000, 50),
      waitFor(
        'the Inspect run',
        async () => {
          const [row] = await bench.dataSource.query('SELECT state, failure_message FROM pipeline_runs WHERE id = $1', [run.id]);
          if (['failed', 'cancelled', 'interrupted'].includes(row.state)) throw new Error(`the Inspect run ${row.state}: ${row.failure_message}`);
          return row.state === 'succeeded' ? true : undefined;
        },
        600_000,
        50,
      ),
    ]);
    const workSeconds = (Date.now() - started) / 1000;
    delay.disable();
    const latencies = await working.stop();
    const [thumb] = await bench.dataSource.query('SELECT thumbnail_path FROM data_products WHERE id = $1', [big]);
    if (!thumb.thumbnail_path) throw new Error('the 4096² frame got no thumbnail');
    return {
      idle: percentiles(idle),
      working: percentiles(latencies),
      eventLoopDelay: { p50Ms: round(delay.percentile(50) / 1e6), p99Ms: round(delay.percentile(99) / 1e6), maxMs: round(delay.max / 1e6) },
      workSeconds: round(workSeconds, 2),
      work: [
        'thumbnail of a 4096×4096 float32 frame (previews queue, in-process worker)',
        '3 previews of 2048 px (zscale, p99.5, minmax) and 20 pixel readings',
        '"Inspect frames" on the frame',
        `${bombIds.length} bombs (plain, .gz, .fz GZIP_1/GZIP_2/RICE_1): thumbnails and preview route refused`,
      ],
    };
  } finally {
    await bench.close();
  }
}

export function printEventLoop(result: EventLoopResult): void {
  const row = (name: string, p: Percentiles, goal: string) => [name, p.count, p.p50Ms, p.p99Ms, p.maxMs, goal];
  printTable(
    'Event loop: GET /healthz every 20 ms from another process, while the web process (in-process worker) works',
    ['phase', 'calls', 'p50 ms', 'p99 ms', 'max ms', 'goal'],
    [
      row('idle, 2 s', result.idle, ''),
      row(`working, ${result.workSeconds} s`, result.working, `p99 < ${GOAL_P99_MS} ms: ${verdict(result.working.p99Ms < GOAL_P99_MS)}`),
    ],
    [
      `web process event-loop delay while working: p50 ${result.eventLoopDelay.p50Ms} ms, p99 ${result.eventLoopDelay.p99Ms} ms, max ${result.eventLoopDelay.maxMs} ms`,
      `work: ${result.work.join('; ')}`,
    ],
  );
}
