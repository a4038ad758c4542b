import { bullRoundTrip as roundTrip, createTarget, startTestPortal, TestPortal } from './utils/test-app';

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
