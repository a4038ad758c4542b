import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createPortalApp, PortalApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { UserRole } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';

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
export async function startTestPortal(options: { embedded?: boolean; uploadMaxBytes?: string } = {}): Promise<TestPortal> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-test-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    SEED_DEMO: 'false',
    SESSION_SECRET: 'test-secret',
    UPLOAD_MAX_BYTES: options.uploadMaxBytes ?? process.env.UPLOAD_MAX_BYTES,
  };
  if (options.embedded) {
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
  }
  const portal = await createPortalApp(loadConfig(env), { logger: false });
  const dataSource = portal.app.get(DataSource);
  await dataSource.query(
    `TRUNCATE users, targets, target_lists, data_products, data_product_groups, reduced_data, pipeline_processes, sessions RESTART IDENTITY CASCADE`,
  );
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
    DATABASE_URL: portal.infrastructure.databaseUrl,
    REDIS_URL: portal.infrastructure.redisUrl,
  });
  const second = await createPortalApp(config, { logger: false });
  await second.app.init();
  return { http: request(second.app.getHttpServer()), close: () => second.close() };
}
