import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getQueueToken } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import { Queue } from 'bull';
import { PIPELINES_QUEUE, PREVIEWS_QUEUE } from '../../src/queue/queue.module';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createPortalApp, PortalApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { UserRole } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { builtEntry, ROOT } from './built-dist';

export interface TestPortal extends PortalApp {
  dataDir: string;
  dataSource: DataSource;
  http: ReturnType<typeof request>;
  /** Creates a user and returns a logged-in agent for them. */
  login(username: string, role: UserRole): Promise<LoggedIn>;
  close(): Promise<void>;
}

export interface LoggedIn {
  agent: TestAgent;
  csrf: string;
  username: string;
}

// Quiet start-up logs in test output; errors and warnings still show.
Logger.overrideLogger(['error', 'warn']);

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
const PASSWORD = 'test-password-123';

/**
 * The real app on DATABASE_URL / REDIS_URL when set, else on the embedded pair, with a fresh DATA_DIR and an
 * empty database (tests run one file at a time, so each file may wipe the shared database first).
 */
export async function startTestPortal(
  options: { embedded?: boolean; uploadMaxBytes?: string; pipelinesConfig?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TestPortal> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-test-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    SEED_DEMO: 'false',
    SESSION_SECRET: 'test-secret',
    // close() interrupts runs still going at once (queued again) rather than giving them the 30 s grace.
    SHUTDOWN_GRACE_SECONDS: '0',
    UPLOAD_MAX_BYTES: options.uploadMaxBytes ?? process.env.UPLOAD_MAX_BYTES,
    PIPELINES_CONFIG: options.pipelinesConfig ?? process.env.PIPELINES_CONFIG,
    ...options.env,
  };
  if (options.embedded) {
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
  }
  const portal = await createPortalApp(loadConfig(env), { logger: process.env.TEST_LOGS ? undefined : false });
  const dataSource = portal.app.get(DataSource);
  await dataSource.query(
    `TRUNCATE users, classrooms, classroom_members, targets, pipeline_log_lines, target_lists, data_products, data_product_groups, reduced_data, pipeline_runs, api_tokens, sessions, assignments, hand_ins, notifications, notification_preferences, workflow_versions RESTART IDENTITY CASCADE`,
  );
  // Jobs left in the shared Redis by an earlier run would clash with this run's job ids.
  if (!options.embedded) {
    for (const name of [PIPELINES_QUEUE, PREVIEWS_QUEUE]) await portal.app.get<Queue>(getQueueToken(name)).obliterate({ force: true });
  }
  await portal.app.init();
  const server = portal.app.getHttpServer();
  return {
    ...portal,
    dataDir,
    dataSource,
    http: request(server),
    login: async (username: string, role: UserRole) => {
      await portal.app.get(UsersService).create(username, PASSWORD, role);
      return loginAs(server, username, PASSWORD);
    },
    close: async () => {
      await portal.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function csrfFrom(html: string): string {
  const match = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
  if (!match) throw new Error('No CSRF token on the page');
  return match[1];
}

export async function loginAs(server: unknown, username: string, password: string): Promise<LoggedIn> {
  const agent = request.agent(server as never);
  const page = await agent.get('/login').expect(200);
  const response = await agent
    .post('/login')
    .type('form')
    .send({ username, password, _csrf: csrfFrom(page.text), next: '/targets' });
  if (response.status !== 303) throw new Error(`Login of ${username} failed with ${response.status}`);
  // Logging in regenerates nothing but the user; read the token from a page to be safe.
  const targets = await agent.get('/targets').expect(200);
  return { agent, csrf: csrfFrom(targets.text), username };
}

/** Creates a target through the form and returns its id. */
export async function createTarget(user: LoggedIn, fields: Record<string, string>): Promise<number> {
  const response = await user.agent
    .post('/targets')
    .type('form')
    .send({ type: 'sidereal', visibility: 'private', ...fields, _csrf: user.csrf })
    .expect(303);
  return Number(/\/targets\/(\d+)/.exec(response.headers.location)![1]);
}

/**
 * A second app on the same database and DATA_DIR as `portal`, without wiping anything: a "restart".
 * Needs real servers (DATABASE_URL), since one embedded database belongs to one process; with the embedded
 * default it reuses the first app's embedded URLs.
 */
export async function startTestPortalSharing(portal: TestPortal): Promise<{ http: ReturnType<typeof request>; close(): Promise<void> }> {
  const config = loadConfig({
    ...process.env,
    DATA_DIR: portal.dataDir,
    SEED_DEMO: 'false',
    SESSION_SECRET: 'test-secret',
    SHUTDOWN_GRACE_SECONDS: '0',
    DATABASE_URL: portal.infrastructure.databaseUrl,
    REDIS_URL: portal.infrastructure.redisUrl,
  });
  const second = await createPortalApp(config, { logger: false });
  await second.app.init();
  return { http: request(second.app.getHttpServer()), close: () => second.close() };
}

export const TEST_PIPELINES = path.join(FIXTURES, 'pipelines', 'test-pipelines.config.json');

/** Waits (bounded) until the run reaches one of `states`; returns its row. */
export async function waitForRun(portal: TestPortal, runId: number, states: string[], timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [run] = await portal.dataSource.query('SELECT * FROM pipeline_runs WHERE id = $1', [runId]);
    if (run && states.includes(run.state)) return run;
    if (Date.now() > deadline) throw new Error(`Run ${runId} is ${run?.state} ("${run?.status}"), not ${states.join('/')}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function logOf(portal: TestPortal, runId: number): Promise<string[]> {
  const rows = await portal.dataSource.query('SELECT text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [runId]);
  return rows.map((row: { text: string }) => row.text);
}

/** Runs a Bull job through whichever Redis the app uses: proves the BRPOPLPUSH shim and the Lua scripts work. */
export async function bullRoundTrip(portal: TestPortal): Promise<unknown> {
  const queue = portal.app.get<Queue>(getQueueToken(PIPELINES_QUEUE));
  const name = `probe-${Date.now()}`;
  queue.process(name, 1, async (job) => ({ doubled: job.data.n * 2 }));
  const job = await queue.add(name, { n: 21 }, { removeOnComplete: true });
  return job.finished();
}


/** Uploads one file (a path, or bytes with a name) to a target and returns the new data product's id. */
export async function uploadOne(user: LoggedIn, targetId: number, file: string | Buffer, name: string, productType: string): Promise<number> {
  const response = await user.agent
    .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(user.csrf)}`)
    .set('Accept', 'application/json')
    .field('productType', productType)
    .attach('files', file, name)
    .expect(201);
  return response.body.created[0].id;
}

/**
 * Starts one of the portal's built entry points (`dist/src/cli.js`, `dist/src/worker.js`) as a separate process on
 * the test portal's database, Redis and files. The spec's beforeAll calls ensureBuilt() first.
 */
export function spawnBuilt(portal: TestPortal, entry: 'cli' | 'worker', args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [builtEntry(entry), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: portal.infrastructure.databaseUrl,
      REDIS_URL: portal.infrastructure.redisUrl,
      DATA_DIR: portal.dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
