import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { createTarget, startTestPortal, TestPortal } from './utils/test-app';
import { PIPELINES_QUEUE } from '../src/queue/queue.module';


/** Runs a Bull job through whichever Redis the app uses: proves the BRPOPLPUSH shim and the Lua scripts work. */
async function roundTrip(portal: TestPortal): Promise<unknown> {
  const queue = portal.app.get<Queue>(getQueueToken(PIPELINES_QUEUE));
  const name = `probe-${Date.now()}`;
  queue.process(name, 1, async (job) => ({ doubled: job.data.n * 2 }));
  const job = await queue.add(name, { n: 21 }, { removeOnComplete: false });
  return job.finished();
}

describe('the embedded default: PGlite + in-process Redis-protocol server (e2e)', () => {
  let portal: TestPortal;

  beforeAll(async () => {
    portal = await startTestPortal({ embedded: true });
  }, 120_000);
  afterAll(() => portal?.close());

  it('runs on the embedded pair, migrated, with login and a target round trip', async () => {
    expect(portal.infrastructure.embeddedDatabase).toBe(true);
    expect(portal.infrastructure.embeddedRedis).toBe(true);
    const [{ version }] = await portal.dataSource.query('SELECT version()');
    expect(version).toMatch(/PostgreSQL/);
    const teacher = await portal.login('embedded-teacher', 'teacher');
    const id = await createTarget(teacher, { name: 'M13', ra: '250.4235', dec: '36.4613' });
    const page = await teacher.agent.get(`/targets/${id}`).expect(200);
    expect(page.text).toContain('16:41:41.64');
  });

  it('runs Bull jobs', async () => {
    await expect(roundTrip(portal)).resolves.toEqual({ doubled: 42 });
  });

  it('reports ready', async () => {
    const response = await portal.http.get('/readyz').expect(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });
  });
});

describe('the configured servers: DATABASE_URL + REDIS_URL when set (e2e)', () => {
  let portal: TestPortal;

  beforeAll(async () => {
    portal = await startTestPortal();
  });
  afterAll(() => portal.close());

  it('uses the servers from the environment when given', () => {
    expect(portal.infrastructure.embeddedDatabase).toBe(!process.env.DATABASE_URL);
    expect(portal.infrastructure.embeddedRedis).toBe(!process.env.REDIS_URL);
  });

  it('runs Bull jobs', async () => {
    await expect(roundTrip(portal)).resolves.toEqual({ doubled: 42 });
  });

  it('answers /healthz and /readyz without login', async () => {
    await portal.http.get('/healthz').expect(200, { status: 'ok' });
    const ready = await portal.http.get('/readyz').expect(200);
    expect(ready.body.database).toBe('ok');
  });
});
