import { bullRoundTrip as roundTrip, startTestPortal, TestPortal } from './utils/test-app';

// One app per test file: Passport and Handlebars keep process-wide state.
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
