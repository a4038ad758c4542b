/**
 * The portal as the benchmarks drive it: the same Postgres and Redis for every section (the embedded pair
 * started once in this process, or DATABASE_URL / REDIS_URL), a web app listening on loopback with a chosen
 * worker set-up, separate worker processes (node dist/src/worker.js), logins, and bulk seeding in SQL.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { AddressInfo } from 'node:net';
import { getQueueToken } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import { Queue } from 'bull';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createPortalApp, PortalApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { PROJECT_ROOT } from '../../src/config/paths';
import { Infrastructure, startInfrastructure } from '../../src/infrastructure/infrastructure';
import { PipelineRunsService } from '../../src/pipeline-runs/pipeline-runs.service';
import { PIPELINES_QUEUE, PREVIEWS_QUEUE } from '../../src/queue/queue.module';
import { SessionUser, UserRole } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { waitFor } from './stats';

export const BENCH_PIPELINES = path.join(PROJECT_ROOT, 'bench', 'bench-pipelines.config.json');
export const BENCH_PASSWORD = 'bench-password-123';
const WORKER_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'worker.js');

export interface BenchEnv {
  mode: 'embedded' | 'servers';
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  close(): Promise<void>;
}

/** Starts the embedded pair once (or takes the configured servers) and a scratch DATA_DIR. */
export async function startBenchEnv(): Promise<BenchEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-'));
  const servers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
  let infrastructure: Infrastructure | undefined;
  if (!servers) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    // As `npm start` runs them: in a process of their own, reachable by worker processes.
    infrastructure = await startInfrastructure(loadConfig(env), new Logger('Bench'), { inChildProcess: true });
  }
  return {
    mode: servers ? 'servers' : 'embedded',
    dataDir,
    databaseUrl: infrastructure?.databaseUrl ?? process.env.DATABASE_URL!,
    redisUrl: infrastructure?.redisUrl ?? process.env.REDIS_URL!,
    close: async () => {
      await infrastructure?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BenchPortal {
  portal: PortalApp;
  baseUrl: string;
  dataSource: DataSource;
  runs: PipelineRunsService;
  close(): Promise<void>;
}

/**
 * A web app on the bench's Postgres and Redis, listening on a free loopback port. `concurrency` 0 means no
 * in-process worker (separate worker processes run the jobs). The embedded pair is reached through its loopback
 * URLs, so the app does not force the embedded default's one-job-at-a-time.
 */
export async function startBenchPortal(env: BenchEnv, concurrency: number): Promise<BenchPortal> {
  const config = loadConfig({
    ...process.env,
    DATA_DIR: env.dataDir,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    SEED_DEMO: 'false',
    SESSION_SECRET: 'bench-session-secret',
    PIPELINES_CONFIG: BENCH_PIPELINES,
    IN_PROCESS_WORKER: concurrency > 0 ? 'true' : 'false',
    PIPELINE_CONCURRENCY: String(Math.max(1, concurrency)),
    PORT: '0',
    HOST: '127.0.0.1',
  });
  if (env.mode === 'embedded') {
    // The embedded Redis outlives each measurement's portal: a run id restarting at 1 must not find the last
    // portal's finished job under its job id (Bull ignores an add with a job id it has). Emptied before any consumer
    // starts; Bull's obliterate under a waiting consumer lost the next job on the built-in server.
    const redis = new Redis(env.redisUrl);
    try {
      // The last portal's and workers' connections first: the built-in server notices a client that hung up only
      // once that client's blocking read (Bull's, up to 5 s) returns, and until then that read takes the next job.
      await waitFor('the last measurement’s Redis clients to go', async () => (String(await redis.client('LIST')).trim().split('\n').length <= 1 ? true : undefined), 15_000, 100);
      await redis.flushall();
    } finally {
      redis.disconnect();
    }
  }
  const portal = await createPortalApp(config);
  await portal.app.listen(0, '127.0.0.1');
  const { port } = portal.app.getHttpServer().address() as AddressInfo;
  return {
    portal,
    baseUrl: `http://127.0.0.1:${port}`,
    dataSource: portal.app.get(DataSource),
    runs: portal.app.get(PipelineRunsService),
    close: () => portal.close(),
  };
}

/**
 * Empties the bench's tables and queues. On servers, a database holding anything but the bench's own rows is
 * left alone unless BENCH_WIPE=1, so a stray DATABASE_URL cannot lose someone's data.
 */
export async function wipe(env: BenchEnv, bench: BenchPortal): Promise<void> {
  if (env.mode === 'servers' && process.env.BENCH_WIPE !== '1') {
    const [{ n }] = await bench.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE username NOT LIKE 'bench-%'`);
    if (n > 0) {
      throw new Error(
        `DATABASE_URL holds ${n} account(s) the bench did not make; the bench empties its tables, so point it at a scratch database or set BENCH_WIPE=1`,
      );
    }
  }
  await bench.dataSource.query(
    `TRUNCATE users, classrooms, classroom_members, targets, pipeline_log_lines, target_lists, data_products, data_product_groups, reduced_data, pipeline_runs, sessions RESTART IDENTITY CASCADE`,
  );
  // The embedded Redis is emptied before each portal starts (startBenchPortal): it is the bench's own.
  if (env.mode === 'servers') {
    for (const name of [PIPELINES_QUEUE, PREVIEWS_QUEUE]) await bench.portal.app.get<Queue>(getQueueToken(name)).obliterate({ force: true });
  }
}

export async function createUser(bench: BenchPortal, username: string, role: UserRole): Promise<SessionUser> {
  const users = bench.portal.app.get(UsersService);
  const user = await users.create(username, BENCH_PASSWORD, role);
  return (await users.findSessionUser(user.id))!;
}

/** Logs in through the form as a browser would; returns the session cookie ("portal.sid=..."). */
export async function loginCookie(baseUrl: string, username: string): Promise<string> {
  const page = await fetch(`${baseUrl}/login`);
  let cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error('No CSRF token on the login page');
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: BENCH_PASSWORD, _csrf: csrf, next: '/targets' }),
  });
  if (response.status !== 303) throw new Error(`Login of ${username} failed with ${response.status}`);
  const renewed = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (renewed.length) cookie = renewed.join('; ');
  return cookie;
}

/** A public target with one small input file, for starting runs; returns both ids. */
export async function seedRunTarget(env: BenchEnv, bench: BenchPortal, owner: SessionUser, name: string): Promise<{ targetId: number; inputId: number }> {
  return (await seedRunTargets(env, bench, owner, name, 1))[0];
}

/**
 * `count` public targets with one small input file each. Runs are spread over several targets because a run's
 * identifier is `{shortName}_{targetId}_{second}` with at most 50 suffixes: one target takes at most 50 runs a second.
 */
export async function seedRunTargets(
  env: BenchEnv,
  bench: BenchPortal,
  owner: SessionUser,
  name: string,
  count: number,
): Promise<Array<{ targetId: number; inputId: number }>> {
  fs.mkdirSync(path.join(env.dataDir, 'products'), { recursive: true });
  const stored = Array.from({ length: count }, (_, i) => `products/${name}-${i + 1}.txt`);
  for (const file of stored) fs.writeFileSync(path.join(env.dataDir, file), 'bench input\n');
  const targets: Array<{ id: number }> = await bench.dataSource.query(
    `INSERT INTO targets (name, type, ra, dec, visibility, owner_id)
     SELECT $1 || CASE WHEN $2::int = 1 THEN '' ELSE ' ' || g END, 'sidereal', 10, 20, 'public', $3 FROM generate_series(1, $2::int) g
     RETURNING id`,
    [name, count, owner.id],
  );
  const products: Array<{ id: number; target_id: number }> = await bench.dataSource.query(
    `INSERT INTO data_products (target_id, stored_path, original_name, product_type, size, sha256, uploaded_by_id)
     SELECT t.id, t.path, 'input.txt', 'other', 12, repeat('0', 64), $3
     FROM unnest($1::int[], $2::text[]) AS t(id, path)
     RETURNING id, target_id`,
    [targets.map((t) => t.id), stored, owner.id],
  );
  return products.map((p) => ({ targetId: p.target_id, inputId: p.id }));
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `node dist/src/worker.js` on the bench's servers and waits until it says it is ready. */
export async function spawnWorker(env: BenchEnv, concurrency: number): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...(process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean), WORKER_ENTRY], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      DATA_DIR: env.dataDir,
      PIPELINES_CONFIG: BENCH_PIPELINES,
      PIPELINE_CONCURRENCY: String(concurrency),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(
      'the worker to start',
      async () => {
        if (child.exitCode !== null) throw new Error(`The worker exited with ${child.exitCode}:\n${output}`);
        return output.includes('Worker ready') ? true : undefined;
      },
      60_000,
      50,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `WEB_PROCESSES=n node dist/src/main.js` on the servers, as an operator scales the web tier out: n web processes
 * on one port, taking no jobs, with the bench portal's session secret so its logins hold there too.
 */
export async function spawnWebCluster(env: BenchEnv, processes: number): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as AddressInfo;
      server.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      DATA_DIR: env.dataDir,
      PIPELINES_CONFIG: BENCH_PIPELINES,
      WEB_PROCESSES: String(processes),
      IN_PROCESS_WORKER: 'false',
      SEED_DEMO: 'false',
      SESSION_SECRET: 'bench-session-secret',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    // Ready once each web process answers: the primary hands connections round-robin, so n answers in a row.
    await waitFor(
      'the web processes to start',
      async () => {
        if (child.exitCode !== null) throw new Error(`The web cluster exited with ${child.exitCode}:\n${output}`);
        for (let i = 0; i < processes * 2; i++) {
          const ok = await fetch(`${baseUrl}/readyz`).then((response) => response.ok, () => false);
          if (!ok) return undefined;
        }
        return true;
      },
      120_000,
      250,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    baseUrl,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
