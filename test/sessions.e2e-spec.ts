import request, { Response } from 'supertest';
import { io as connect, Socket } from 'socket.io-client';
import { SessionPrunerService } from '../src/auth/session-pruner.service';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { csrfFrom, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/** The cookie names a response sets (`portal.sid`, `portal.csrf`), in order. */
function cookiesSet(response: Response): string[] {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  return (header ?? []).map((cookie) => cookie.split('=')[0]);
}

/** The session cookie of a response, as a `Cookie` header value ("" when none). */
function sessionCookieOf(response: Response): string {
  const header = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return header.find((cookie) => cookie.startsWith('portal.sid='))?.split(';')[0] ?? '';
}

/** The session id inside a `portal.sid=s:<sid>.<signature>` cookie header. */
function sidOf(cookieHeader: string): string {
  const value = /portal\.sid=([^;]+)/.exec(cookieHeader)![1];
  const signed = decodeURIComponent(value);
  return signed.slice(2, signed.lastIndexOf('.'));
}

/** The form's hidden `_csrf` field: what a browser posts back. */
function formToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('No _csrf field on the page');
  return match[1];
}

describe('sessions are made only when there is something to keep (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let token: string;
  let baseUrl: string;

  const sessionRows = async (): Promise<Array<{ sid: string; sess: any; expire: Date }>> => portal.dataSource.query('SELECT sid, sess, expire FROM sessions ORDER BY sid');

  beforeAll(async () => {
    portal = await startTestPortal();
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    teacher = await portal.login('teacher-s', 'teacher');
    const created = await teacher.agent.post('/profile/tokens').type('form').send({ name: 'script', _csrf: teacher.csrf }).expect(201);
    token = /value="(aep_[A-Za-z0-9_-]{43})"/.exec(created.text)![1];
  });
  afterAll(() => portal.close());

  it('answers 100 health probes, static files, docs, 401s and 404s without a cookie and without a row', async () => {
    const before = await sessionRows();
    const responses: Response[] = [];
    for (let i = 0; i < 100; i++) responses.push(await portal.http.get('/healthz').expect(200));
    responses.push(await portal.http.get('/readyz').expect(200));
    responses.push(await portal.http.get('/css/portal.css').expect(200));
    responses.push(await portal.http.get('/favicon.svg').expect(200));
    responses.push(await portal.http.get('/vendor/chart.js/chart.umd.js').expect(200));
    responses.push(await portal.http.get('/api/docs/').expect(200));
    responses.push(await portal.http.get('/api/docs-json').expect(200));
    responses.push(await portal.http.get('/admin/queues').set('Accept', 'text/html').expect(302));
    responses.push(await portal.http.get('/admin/queues/static/missing.js').set('Accept', 'application/json').expect(401));
    responses.push(await portal.http.get('/api/targets').expect(401));
    responses.push(await portal.http.get('/targets').set('Accept', 'text/html').expect(302));
    responses.push(await portal.http.get('/targets').set('Accept', 'application/json').expect(401));
    responses.push(await portal.http.get('/no-such-page').set('Accept', 'text/html').expect(404));
    responses.push(await portal.http.get('/api/no-such-route').expect(404));
    responses.push(await portal.http.get('/').expect(302));
    // A refused anonymous write: 403 (no token), and nothing kept for it either.
    responses.push(await portal.http.post('/targets').type('form').send({ name: 'x' }).expect(403));

    expect(responses.flatMap(cookiesSet)).toEqual([]);
    expect(await sessionRows()).toEqual(before);
  });

  it('answers bearer-token API calls, reads and writes, without a cookie and without a row', async () => {
    const before = await sessionRows();
    const responses: Response[] = [];
    for (let i = 0; i < 10; i++) responses.push(await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200));
    responses.push(await portal.http.get('/api/targets').set('Authorization', `Bearer ${token}`).expect(200));
    const created = await portal.http.post('/api/targets').set('Authorization', `Bearer ${token}`).send({ name: 'By script', ra: 10, dec: 20 }).expect(201);
    responses.push(created);
    responses.push(await portal.http.get(`/api/targets/${created.body.id}`).set('Authorization', `Bearer ${token}`).expect(200));
    responses.push(await portal.http.get('/api/targets/999999').set('Authorization', `Bearer ${token}`).expect(404));
    responses.push(await portal.http.get('/api/me').set('Authorization', `Bearer aep_${'x'.repeat(43)}`).expect(401));

    expect(responses.flatMap(cookiesSet)).toEqual([]);
    expect(await sessionRows()).toEqual(before);
    expect(responses[0].body).toMatchObject({ username: 'teacher-s', csrfToken: null });
  });

  it('shows the login form to 20 anonymous visitors with a token for the form and no row; a returning browser gets no new cookie', async () => {
    const before = await sessionRows();
    const tokens = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const page = await portal.http.get('/login').expect(200);
      // The form's token comes with its own small cookie (double submit), never a session.
      expect(cookiesSet(page)).toEqual(['portal.csrf']);
      tokens.add(formToken(page.text));
    }
    expect(tokens.size).toBe(20);
    expect(await sessionRows()).toEqual(before);

    const browser = request.agent(portal.app.getHttpServer());
    const first = await browser.get('/login').expect(200);
    const again = await browser.get('/login?next=%2Fruns').expect(200);
    expect(cookiesSet(first)).toEqual(['portal.csrf']);
    expect(cookiesSet(again)).toEqual([]);
    expect(formToken(again.text)).toBe(formToken(first.text));
    expect(await sessionRows()).toEqual(before);
  });

  it('logs in with the form token, making exactly one session row, and refuses a login without a valid one, keeping nothing', async () => {
    await portal.login('sam', 'student');
    const before = await sessionRows();
    const browser = request.agent(portal.app.getHttpServer());
    const page = await browser.get('/login').expect(200);
    const csrf = formToken(page.text);
    expect(csrfFrom(page.text)).toBe(csrf);

    // No token, a made-up token, and a real token without the cookie it belongs to (another browser's form).
    await browser.post('/login').type('form').send({ username: 'sam', password: 'test-password-123' }).expect(403);
    await browser.post('/login').type('form').send({ username: 'sam', password: 'test-password-123', _csrf: 'x'.repeat(43) }).expect(403);
    const stranger = await portal.http.post('/login').type('form').send({ username: 'sam', password: 'test-password-123', _csrf: csrf }).expect(403);
    expect(stranger.text).toContain('CSRF');
    const otherBrowser = request.agent(portal.app.getHttpServer());
    await otherBrowser.get('/login').expect(200);
    await otherBrowser.post('/login').type('form').send({ username: 'sam', password: 'test-password-123', _csrf: csrf }).expect(403);
    // A wrong password: the form again, with a token that works, and still no row.
    const wrong = await browser.post('/login').type('form').send({ username: 'sam', password: 'wrong-password', _csrf: csrf }).expect(401);
    expect(cookiesSet(wrong)).toEqual([]);
    expect(await sessionRows()).toEqual(before);

    const loggedIn = await browser.post('/login').type('form').send({ username: 'sam', password: 'test-password-123', _csrf: formToken(wrong.text), next: '/runs' }).expect(303);
    expect(loggedIn.headers.location).toBe('/runs');
    expect(cookiesSet(loggedIn)).toContain('portal.sid');
    const rows = await sessionRows();
    expect(rows).toHaveLength(before.length + 1);
    const mine = rows.find((row) => !before.some((old) => old.sid === row.sid))!;
    expect(mine.sess.passport.user).toBeDefined();
    // A logged-in session lasts 14 days.
    expect(new Date(mine.expire).getTime() - Date.now()).toBeGreaterThan(13 * 24 * 3600 * 1000);

    // The logged-in pages carry the session's own token, different from the login form's, and it works.
    const targets = await browser.get('/targets').expect(200);
    const sessionToken = csrfFrom(targets.text);
    expect(sessionToken).not.toBe(csrf);
    await browser.post('/targets').type('form').send({ name: 'Sam target', ra: '1', dec: '2', type: 'sidereal', visibility: 'private', _csrf: csrf }).expect(403);
    await browser.post('/targets').type('form').send({ name: 'Sam target', ra: '1', dec: '2', type: 'sidereal', visibility: 'private', _csrf: sessionToken }).expect(303);
    expect(await sessionRows()).toHaveLength(before.length + 1);
  });

  it('logs out: the row is gone, the cookie is cleared, and the old cookie no longer logs anyone in', async () => {
    const user = await portal.login('lou', 'student');
    const page = await user.agent.get('/targets').expect(200);
    const cookie = page.request.cookies;
    const rowsBefore = await sessionRows();
    const sid = sidOf(cookie);
    expect(rowsBefore.find((row) => row.sid === sid)?.sess.passport.user).toBeDefined();

    const out = await user.agent.post('/logout').type('form').send({ _csrf: user.csrf }).expect(303);
    expect(out.headers.location).toBe('/login');
    expect(sessionCookieOf(out)).toBe('portal.sid=');
    const rowsAfter = await sessionRows();
    expect(rowsAfter.map((row) => row.sid)).not.toContain(sid);
    expect(rowsAfter).toHaveLength(rowsBefore.length - 1);

    const replay = await portal.http.get('/targets').set('Cookie', cookie).set('Accept', 'text/html').expect(302);
    expect(replay.headers.location).toMatch(/^\/login/);
    expect(cookiesSet(replay)).toEqual([]);
    expect(await sessionRows()).toHaveLength(rowsBefore.length - 1);
  });

  it('keeps a logged-in browser to its one row while it reads pages', async () => {
    const user = await portal.login('reader', 'student');
    const before = await sessionRows();
    for (const path of ['/targets', '/runs', '/profile', '/groups', '/targets']) await user.agent.get(path).expect(200);
    expect(await sessionRows()).toHaveLength(before.length);
  });

  it('shows the sign-up form with a form token and no row; the sign-up itself starts the one session', async () => {
    const [{ id: teacherId }] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'teacher-s'`);
    const { joinCode } = await portal.app.get(ClassroomsService).create({ teacherId, name: 'Session class' });
    const before = await sessionRows();
    const browser = request.agent(portal.app.getHttpServer());
    // Asking for a code shows no form to post: no cookie at all.
    expect(cookiesSet(await browser.get('/signup').expect(200))).toEqual([]);
    const page = await browser.get(`/signup?code=${joinCode}`).expect(200);
    expect(cookiesSet(page)).toEqual(['portal.csrf']);
    const fields = { code: joinCode!, username: 'newcomer', displayName: 'New Comer', password: 'long-enough-1', confirmPassword: 'long-enough-1', _csrf: formToken(page.text) };
    // The token without its cookie is refused, and makes nothing.
    await portal.http.post('/signup').type('form').send(fields).expect(403);
    expect(await portal.dataSource.query(`SELECT id FROM users WHERE username = 'newcomer'`)).toEqual([]);
    const mismatch = await browser.post('/signup').type('form').send({ ...fields, confirmPassword: 'something-else' }).expect(400);
    expect(cookiesSet(mismatch)).toEqual([]);
    expect(await sessionRows()).toEqual(before);

    const made = await browser.post('/signup').type('form').send({ ...fields, _csrf: formToken(mismatch.text) }).expect(303);
    expect(cookiesSet(made)).toContain('portal.sid');
    const rows = await sessionRows();
    expect(rows).toHaveLength(before.length + 1);
    expect((await browser.get(made.headers.location).expect(200)).text).toContain('Welcome, New Comer!');
  });

  it('prunes rows without a logged-in user (left by older versions) and keeps the logged-in ones', async () => {
    await portal.login('kept', 'student');
    const loggedIn = (await sessionRows()).map((row) => row.sid);
    const later = new Date(Date.now() + 10 * 24 * 3600 * 1000);
    await portal.dataSource.query(`INSERT INTO sessions (sid, sess, expire) VALUES ('anonymous-old', $1, $2), ('logged-out', $3, $2)`, [
      JSON.stringify({ cookie: {}, csrfToken: 'x' }),
      later,
      JSON.stringify({ cookie: {}, passport: {} }),
    ]);
    expect(await portal.app.get(SessionPrunerService).prune()).toBe(2);
    expect((await sessionRows()).map((row) => row.sid)).toEqual(loggedIn);
  });

  describe('the Socket.IO handshake', () => {
    const attempt = (headers: Record<string, string>, transports: Array<'websocket' | 'polling'>) =>
      new Promise<{ connected: boolean; error?: string }>((resolve) => {
        const socket: Socket = connect(baseUrl, { extraHeaders: headers, transports, forceNew: true, reconnection: false });
        socket.on('connect', () => {
          socket.disconnect();
          resolve({ connected: true });
        });
        socket.on('connect_error', (error) => {
          socket.close();
          resolve({ connected: false, error: error.message });
        });
      });

    it('refuses a foreign Origin, on WebSocket and on polling, even with a logged-in cookie', async () => {
      const cookie = (await teacher.agent.get('/targets')).request.cookies;
      for (const transports of [['websocket'], ['polling']] as Array<Array<'websocket' | 'polling'>>) {
        for (const origin of ['http://evil.example', 'null', `http://127.0.0.1.evil.example`, 'not a url']) {
          const result = await attempt({ Origin: origin, Cookie: cookie }, transports);
          expect({ origin, transports, connected: result.connected }).toEqual({ origin, transports, connected: false });
        }
      }
    });

    it("accepts the portal's own origin and clients that send none (not browsers), and anonymous ones make no row", async () => {
      const before = await sessionRows();
      const cookie = (await teacher.agent.get('/targets')).request.cookies;
      for (const transports of [['websocket'], ['polling']] as Array<Array<'websocket' | 'polling'>>) {
        expect(await attempt({ Origin: baseUrl, Cookie: cookie }, transports)).toEqual({ connected: true });
        expect(await attempt({ Origin: baseUrl }, transports)).toEqual({ connected: true });
        expect(await attempt({}, transports)).toEqual({ connected: true });
      }
      expect(await sessionRows()).toHaveLength(before.length);
    });
  });
});
