import request from 'supertest';
import { SessionPrunerService } from '../src/auth/session-pruner.service';
import { csrfFrom, startTestPortal, startTestPortalSharing, TestPortal } from './utils/test-app';

describe('login, sessions and CSRF (e2e)', () => {
  let portal: TestPortal;

  beforeAll(async () => {
    portal = await startTestPortal();
  });
  afterAll(() => portal.close());

  it('sends anonymous visitors to the login page, keeping where they were going', async () => {
    const response = await portal.http.get('/targets?q=M13').set('Accept', 'text/html').expect(302);
    expect(response.headers.location).toBe('/login?next=%2Ftargets%3Fq%3DM13');
  });

  it('answers API-style requests without a session with 401 JSON', async () => {
    const response = await portal.http.get('/targets').set('Accept', 'application/json').expect(401);
    expect(response.body.message).toBe('Please log in');
  });

  it('logs in with the right password, stores the session in Postgres, and logs out', async () => {
    const user = await portal.login('ada', 'student');
    const page = await user.agent.get('/targets').expect(200);
    expect(page.text).toContain('ada');
    const [{ count }] = await portal.dataSource.query(`SELECT count(*)::int AS count FROM sessions WHERE sess::text LIKE '%"passport"%'`);
    expect(count).toBeGreaterThanOrEqual(1);

    await user.agent.post('/logout').type('form').send({ _csrf: user.csrf }).expect(303);
    await user.agent.get('/targets').set('Accept', 'text/html').expect(302);
  });

  it('refuses a wrong password with the form again and a message', async () => {
    await portal.login('grace', 'teacher');
    const agent = request.agent(portal.app.getHttpServer());
    const page = await agent.get('/login');
    const response = await agent
      .post('/login')
      .type('form')
      .send({ username: 'grace', password: 'not-her-password', _csrf: csrfFrom(page.text) })
      .expect(401);
    expect(response.text).toContain('Wrong username or password');
    expect(response.text).toContain('value="grace"');
  });

  it('refuses a login form without a valid CSRF token', async () => {
    const response = await portal.http
      .post('/login')
      .type('form')
      .set('Accept', 'text/html')
      .send({ username: 'grace', password: 'test-password-123', _csrf: 'forged' })
      .expect(403);
    expect(response.text).toContain('CSRF');
    expect(response.text).not.toMatch(/at \w+ \(/); // no stack trace
  });

  it('refuses a state-changing form of a logged-in user without the token, and changes nothing', async () => {
    const user = await portal.login('linus', 'student');
    await user.agent.post('/targets').type('form').send({ name: 'Forged', ra: '10', dec: '10' }).expect(403);
    await user.agent.post('/targets').type('form').send({ name: 'Forged', ra: '10', dec: '10', _csrf: 'x'.repeat(32) }).expect(403);
    const rows = await portal.dataSource.query(`SELECT id FROM targets WHERE name = 'Forged'`);
    expect(rows).toHaveLength(0);
  });

  it('prunes expired sessions and keeps live ones', async () => {
    await portal.login('pruned', 'student');
    await portal.dataSource.query(`INSERT INTO sessions (sid, sess, expire) VALUES ('old-one', '{"cookie":{}}', now() - interval '1 day')`);
    expect(await portal.app.get(SessionPrunerService).prune()).toBe(1);
    const left = await portal.dataSource.query(`SELECT sid FROM sessions`);
    expect(left.map((row: { sid: string }) => row.sid)).not.toContain('old-one');
    expect(left.length).toBeGreaterThanOrEqual(1);
  });

  it('sets helmet security headers', async () => {
    const response = await portal.http.get('/login').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('does not redirect to another site after login', async () => {
    const agent = request.agent(portal.app.getHttpServer());
    const page = await agent.get('/login?next=//evil.example/');
    expect(page.text).toContain('value="/targets"');
  });

  // Last in this file: Passport's strategies and serializers are process-global, so the second app started here
  // replaces the first one's, and after it closes, logins through the first app would fail.
  it('keeps a session across a restart of the app (sessions live in Postgres)', async () => {
    const user = await portal.login('persist', 'teacher');
    const cookie = (await user.agent.get('/targets')).request.cookies;
    expect(cookie).toBeTruthy();
    // A second app on the same database and secret accepts the same cookie.
    const second = await startTestPortalSharing(portal);
    try {
      const response = await second.http.get('/targets').set('Cookie', cookie).set('Accept', 'text/html');
      expect(response.status).toBe(200);
      expect(response.text).toContain('persist');
    } finally {
      await second.close();
    }
  });
});

