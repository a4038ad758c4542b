/**
 * Pages: requests per second and p99 with autocannon on loopback, logged in as a teacher, for /targets/:id of a
 * target with 1,000 data products and 10,000 photometry points, and for /targets with 10,000 targets. Rows are
 * made with bulk SQL (generate_series); the products point at a few real small files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/config/paths';
import { BenchEnv, createUser, loginCookie, startBenchPortal, wipe } from './lib/bench-portal';
import type { LoadResult } from './lib/clients';
import { runLoad } from './lib/run-clients';
import { printTable, QUICK, sleep, verdict } from './lib/stats';

const TARGETS = 10_000;
const PRODUCTS = 1_000;
const POINTS = 10_000;
const CONNECTIONS = 10;
const DURATION_SECONDS = QUICK ? 5 : 20;
/** A 1×1 gray PNG, standing in for every product's thumbnail file. */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==', 'base64');

export interface PageFigures extends LoadResult {
  url: string;
  bytes: number;
}

export interface PagesResult {
  targetDetail: PageFigures;
  targetList: PageFigures;
  connections: number;
  durationSeconds: number;
  sizes: { targets: number; products: number; photometryPoints: number };
}

/** Real small files for the product rows to point at: a few FITS fixtures, linked under 1,000 stored names. */
function productFiles(dataDir: string): string[] {
  const sources = [path.join(PROJECT_ROOT, 'test', 'fixtures', 'HorseHead.fits'), path.join(PROJECT_ROOT, 'test', 'fixtures', 'M13_blue_0001.fits.fz')];
  const dir = path.join(dataDir, 'products', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dataDir, 'thumbnails'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'thumbnails', 'bench.png'), TINY_PNG);
  const names: string[] = [];
  for (let i = 1; i <= PRODUCTS; i++) {
    const source = sources[i % sources.length];
    const name = `product-${i}${source.endsWith('.fz') ? '.fits.fz' : '.fits'}`;
    fs.symlinkSync(source, path.join(dir, name));
    names.push(name);
  }
  return names;
}

export async function runPages(env: BenchEnv): Promise<PagesResult> {
  const bench = await startBenchPortal(env, 0);
  try {
    await wipe(env, bench);
    const teacher = await createUser(bench, 'bench-teacher', 'teacher');
    const db = bench.dataSource;
    await db.query(
      `INSERT INTO targets (name, aliases, type, ra, dec, visibility, owner_id)
       SELECT 'Bench target ' || lpad(g::text, 5, '0'), ARRAY['BT' || g], 'sidereal', (g * 0.036) % 360, ((g * 7) % 170) - 85,
              CASE WHEN g % 2 = 0 THEN 'public' ELSE 'private' END, $2
       FROM generate_series(1, $1::int) g`,
      [TARGETS, teacher.id],
    );
    const [{ id: targetId }] = await db.query(`SELECT id FROM targets WHERE name = 'Bench target 00001'`);
    const names = productFiles(env.dataDir);
    await db.query(
      `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, thumbnail_path, uploaded_by_id, tags, visibility)
       SELECT $1, 'products/bench/' || name, name, 'fits_image', 1600000 + ordinality, lpad(to_hex(ordinality), 64, '0'),
              'thumbnails/bench.png', $2, ARRAY['bench'], 'public'
       FROM unnest($3::text[]) WITH ORDINALITY AS t(name, ordinality)`,
      [targetId, teacher.id, names],
    );
    await db.query(
      `INSERT INTO reduced_data (target_id, data_type, source_name, timestamp, value, owner_id, visibility, source_kind, batch_id)
       SELECT $1, 'photometry', 'bench', timestamp with time zone '2024-01-01 00:00:00+00' + g * interval '10 minutes',
              jsonb_build_object('magnitude', 12 + sin(g / 50.0), 'error', 0.02, 'filter', (ARRAY['B', 'V', 'R'])[g % 3 + 1]),
              $3, 'public', 'api', '00000000-0000-0000-0000-0000000bec40'
       FROM generate_series(1, $2::int) g`,
      [targetId, POINTS, teacher.id],
    );
    await db.query('ANALYZE');
    const cookie = await loginCookie(bench.baseUrl, 'bench-teacher');

    const measure = async (url: string): Promise<PageFigures> => {
      // One plain request first: checks the page works for this user and warms caches and templates.
      const check = await fetch(url, { headers: { cookie } });
      const body = await check.text();
      if (check.status !== 200) throw new Error(`${url} answered ${check.status}`);
      const result = await runLoad({ kind: 'load', url, cookie, connections: CONNECTIONS, durationSeconds: DURATION_SECONDS });
      // Requests autocannon gave up on at the end are still being served: let them finish before the next page or close.
      await sleep(Math.min(10_000, result.maxMs + 200));
      return { url: new URL(url).pathname, bytes: Buffer.byteLength(body), ...result };
    };
    return {
      targetDetail: await measure(`${bench.baseUrl}/targets/${targetId}`),
      targetList: await measure(`${bench.baseUrl}/targets`),
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      sizes: { targets: TARGETS, products: PRODUCTS, photometryPoints: POINTS },
    };
  } finally {
    await bench.close();
  }
}

export function printPages(result: PagesResult): void {
  const row = (name: string, p: PageFigures, goal: string) => [name, p.rps, p.p50Ms, p.p99Ms, p.maxMs, Math.round(p.bytes / 1024), `${p.ok}/${p.non2xx + p.errors}`, goal];
  printTable(
    `Pages: autocannon, ${result.connections} connections, ${result.durationSeconds} s each, logged in as a teacher`,
    ['page', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'KiB', 'ok/not ok', 'goal'],
    [
      row(`/targets/:id (${result.sizes.products} products, ${result.sizes.photometryPoints} points)`, result.targetDetail, `p99 < 100 ms: ${verdict(result.targetDetail.p99Ms < 100)}`),
      row(`/targets (${result.sizes.targets} targets)`, result.targetList, ''),
    ],
  );
}
