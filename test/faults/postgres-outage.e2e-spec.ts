import { LoggedIn, startTestPortal, TestPortal } from '../utils/test-app';
import { eventually, TcpProxy } from '../utils/fault-tools';
import { describeUnlessMissing } from '../utils/required';

// The app reaches PostgreSQL through a proxy the test can cut: a database that goes away and comes back.
const databaseUrl = process.env.DATABASE_URL;

describeUnlessMissing(databaseUrl ? '' : 'needs DATABASE_URL (a PostgreSQL server to put a proxy in front of)', 'PostgreSQL briefly unavailable (e2e, fault)', () => {
  let proxy: TcpProxy;
  let portal: TestPortal;
  let teacher: LoggedIn;

  beforeAll(async () => {
    const url = new URL(databaseUrl!);
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    await proxy.start();
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    portal = await startTestPortal({ env: { DATABASE_URL: url.toString() } });
    teacher = await portal.login('teacher-pg', 'teacher');
  });
  afterAll(async () => {
    proxy?.restore();
    await portal?.close();
    await proxy?.close();
  });

  it('answers 503 (an HTML page for browsers, JSON for API clients) while the database is gone, then recovers by itself', async () => {
    await teacher.agent.get('/targets').expect(200);
    proxy.cutAll();

    // Logged in (the session lookup itself needs the database) and anonymous, pages and JSON: 503, quickly.
    const page = await teacher.agent.get('/targets').set('Accept', 'text/html').timeout(15_000);
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('The database is unavailable, try again shortly');
    expect(page.text).not.toMatch(/at \S+ \(.*:\d+:\d+\)/); // no stack trace
    const json = await teacher.agent.get('/targets/1').set('Accept', 'application/json').timeout(15_000);
    expect(json.status).toBe(503);
    expect(json.body).toEqual({ statusCode: 503, message: 'The database is unavailable, try again shortly' });
    // A form post (here one for a new target) is refused the same way and leaves nothing behind.
    const post = await teacher.agent
      .post('/targets')
      .type('form')
      .send({ name: 'During the outage', type: 'sidereal', ra: '1', dec: '2', _csrf: teacher.csrf })
      .timeout(15_000);
    expect(post.status).toBe(503);
    const ready = await portal.http.get('/readyz').timeout(15_000);
    expect(ready.status).toBe(503);
    expect(ready.body.database).not.toBe('ok');
    // The process is still serving.
    await portal.http.get('/healthz').expect(200);

    proxy.restore();
    // The pool drops its dead clients and connects afresh: no restart needed, the same session still works.
    const back = await eventually('the target list to load again', async () => (await teacher.agent.get('/targets')).status === 200, 20_000, 250);
    expect(back).toBe(true);
    const ok = await portal.http.get('/readyz').expect(200);
    expect(ok.body).toMatchObject({ database: 'ok', redis: 'ok' });
    // And writes work again.
    await teacher.agent
      .post('/targets')
      .type('form')
      .send({ name: 'After the outage', type: 'sidereal', ra: '1', dec: '2', visibility: 'public', _csrf: teacher.csrf })
      .expect(303);
    expect(await portal.dataSource.query(`SELECT name FROM targets ORDER BY name`)).toEqual([{ name: 'After the outage' }]);
  }, 90_000);

  it('survives a second outage in a row', async () => {
    proxy.cutAll();
    const page = await teacher.agent.get('/targets').set('Accept', 'text/html').timeout(15_000);
    expect(page.status).toBe(503);
    proxy.restore();
    await eventually('the target list to load again', async () => (await teacher.agent.get('/targets')).status === 200, 20_000, 250);
  }, 60_000);
});
