import request from 'supertest';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { UsersService } from '../src/users/users.service';
import { csrfFrom, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

const PASSWORD = 'test-password-123';

/**
 * Abuse limits with small settings: failed logins per username and per address, wrong join codes per user and per
 * address (/classes/join, /signup), and the API's request limit. The app trusts X-Forwarded-For from loopback (a
 * proxy in front), which is how these requests come from different addresses.
 */
describe('throttling (e2e)', () => {
  let portal: TestPortal;
  let server: unknown;

  const retryAfter = (response: request.Response) => Number(response.headers['retry-after']);
  const sessionsOf = async (username: string) =>
    (
      await portal.dataSource.query(
        `SELECT count(*)::int AS n FROM sessions s JOIN users u ON s.sess::jsonb #>> '{passport,user}' = u.id::text WHERE u.username = $1`,
        [username],
      )
    )[0].n;
  const makeUser = (username: string, role: 'teacher' | 'student' = 'student') => portal.app.get(UsersService).create(username, PASSWORD, role);

  /** One login attempt from `address`, on a fresh agent. */
  async function attempt(username: string, password: string, address: string) {
    const agent = request.agent(server as never);
    const page = await agent.get('/login').set('X-Forwarded-For', address).expect(200);
    const response = await agent
      .post('/login')
      .set('X-Forwarded-For', address)
      .type('form')
      .send({ username, password, _csrf: csrfFrom(page.text), next: '/targets' });
    return Object.assign(response, { agent });
  }

  beforeAll(async () => {
    portal = await startTestPortal({
      env: {
        THROTTLE_LOGIN_PER_USERNAME: '3',
        THROTTLE_LOGIN_PER_ADDRESS: '6',
        THROTTLE_LOGIN_WINDOW_SECONDS: '120',
        THROTTLE_JOIN_CODE_PER_USER: '3',
        THROTTLE_JOIN_CODE_PER_ADDRESS: '5',
        THROTTLE_JOIN_CODE_WINDOW_SECONDS: '120',
        THROTTLE_API_LIMIT: '5',
        THROTTLE_API_WINDOW_SECONDS: '120',
      },
    });
    server = portal.app.getHttpServer();
  });
  afterAll(() => portal.close());

  describe('failed logins', () => {
    it('refuses a username after its failures, even with the right password (429, Retry-After, the wait on the page)', async () => {
      await makeUser('carl');
      for (let i = 0; i < 3; i++) {
        const wrong = await attempt('carl', `guess-${i}-wrong`, '203.0.113.10');
        expect(wrong.status).toBe(401);
        expect(wrong.text).toContain('Wrong username or password.');
      }
      // The right password now: refused without being checked, so a guesser cannot tell a right guess.
      const refused = await attempt('carl', PASSWORD, '203.0.113.10');
      expect(refused.status).toBe(429);
      expect(retryAfter(refused)).toBeGreaterThanOrEqual(100);
      expect(retryAfter(refused)).toBeLessThanOrEqual(120);
      expect(refused.text).toContain('Too many failed logins for this username. Try again in 2 minutes.');
      expect(refused.text).toContain('value="carl"');
      expect(await sessionsOf('carl')).toBe(0);
      await refused.agent.get('/targets').set('Accept', 'text/html').expect(302);

      // The username in another case, from another address: the same username.
      expect((await attempt('CARL', PASSWORD, '198.51.100.20')).status).toBe(429);
      // Another user from the first address still logs in: that address has 3 failures of its 6.
      await makeUser('dora');
      expect((await attempt('dora', PASSWORD, '203.0.113.10')).status).toBe(303);
    });

    it('refuses an address after its failures across usernames; the same user elsewhere logs in', async () => {
      await makeUser('erin');
      for (let i = 1; i <= 6; i++) expect((await attempt(`nobody${i}`, 'whatever-pass', '203.0.113.20')).status).toBe(401);
      const refused = await attempt('erin', PASSWORD, '203.0.113.20');
      expect(refused.status).toBe(429);
      expect(refused.text).toContain('Too many failed logins from your network.');
      expect(retryAfter(refused)).toBeGreaterThan(0);
      expect(await sessionsOf('erin')).toBe(0);
      expect((await attempt('erin', PASSWORD, '198.51.100.21')).status).toBe(303);
    });

    it('never counts successful logins: a class behind one router logs in freely', async () => {
      await makeUser('fred');
      for (let i = 0; i < 8; i++) expect((await attempt('fred', PASSWORD, '203.0.113.30')).status).toBe(303);
      expect(await sessionsOf('fred')).toBe(8);
    });

    it('counts a wrong current password on /profile as a failed login of that user', async () => {
      await makeUser('gail');
      const gail = await attempt('gail', PASSWORD, '203.0.113.35');
      const page = await gail.agent.get('/profile').set('X-Forwarded-For', '203.0.113.35').expect(200);
      const change = (current: string) =>
        gail.agent
          .post('/profile/password')
          .set('X-Forwarded-For', '203.0.113.35')
          .type('form')
          .send({ currentPassword: current, newPassword: 'gail new words', confirmPassword: 'gail new words', _csrf: csrfFrom(page.text) });
      for (let i = 0; i < 3; i++) await change(`wrong-${i}-guess`).expect(400);
      const refused = await change(PASSWORD).expect(429);
      expect(refused.text).toContain('Too many failed logins for this username');
      expect(retryAfter(refused)).toBeGreaterThan(0);
      expect((await attempt('gail', 'gail new words', '198.51.100.35')).status).toBe(429);
    });
  });

  describe('join codes', () => {
    let code: string;
    let classId: number;
    const members = async () =>
      (await portal.dataSource.query(
        `SELECT u.username FROM classroom_members m JOIN users u ON u.id = m.user_id WHERE m.classroom_id = $1 AND m.role = 'student' ORDER BY 1`,
        [classId],
      )).map((row: { username: string }) => row.username);

    /** A logged-in student whose requests come from `address`. */
    async function student(username: string, address: string): Promise<LoggedIn & { join(code: string): request.Test }> {
      await makeUser(username);
      const { agent } = await attempt(username, PASSWORD, address);
      const page = await agent.get('/classes/join').set('X-Forwarded-For', address).expect(200);
      const csrf = csrfFrom(page.text);
      return { agent, csrf, username, join: (value: string) => agent.post('/classes/join').set('X-Forwarded-For', address).type('form').send({ code: value, _csrf: csrf }) };
    }

    beforeAll(async () => {
      const teacher = await makeUser('ms.t', 'teacher');
      const classroom = await portal.app.get(ClassroomsService).create({ teacherId: teacher.id, name: 'Throttled class' });
      code = classroom.joinCode!;
      classId = classroom.id;
    });

    it('refuses a student after wrong codes, even the right one, and a whole address after more', async () => {
      const hana = await student('hana', '203.0.113.40');
      for (let i = 0; i < 3; i++) await hana.join('ZZZZ-ZZZZ').expect(400);
      const refused = await hana.join(code).expect(429);
      expect(refused.text).toContain('Too many wrong join codes. Try again in 2 minutes.');
      expect(retryAfter(refused)).toBeGreaterThan(0);
      expect(await members()).toEqual([]);

      // A classmate on the same network still joins (3 wrong codes of the address's 5), until two more wrong ones.
      const ian = await student('ian', '203.0.113.40');
      await ian.join(code).expect(303);
      await ian.join('YYYY-YYYY').expect(400);
      await ian.join('XXXX-XXXX').expect(400);
      const jo = await student('jo', '203.0.113.40');
      expect((await jo.join(code).expect(429)).text).toContain('Too many wrong join codes from your network');
      expect(await members()).toEqual(['ian']);
      // Elsewhere, the right code works.
      const kai = await student('kai', '198.51.100.40');
      await kai.join(code).expect(303);
      expect(await members()).toEqual(['ian', 'kai']);
    });

    it('counts wrong codes sent to the API as guesses too', async () => {
      const lou = await student('lou', '203.0.113.45');
      const join = (value: string) => lou.agent.post('/api/classes/join').set('X-Forwarded-For', '203.0.113.45').set('X-CSRF-Token', lou.csrf).send({ code: value });
      for (let i = 0; i < 3; i++) await join('QQQQ-QQQQ').expect(400);
      const refused = await join(code).expect(429);
      expect(refused.body).toEqual({ statusCode: 429, message: 'Too many wrong join codes. Try again in 2 minutes.' });
      expect(retryAfter(refused)).toBeGreaterThan(0);
      expect(await members()).not.toContain('lou');
    });

    it('refuses sign-ups from an address after wrong codes, on the page and the form, making nothing', async () => {
      const agent = request.agent(server as never);
      const address = '203.0.113.50';
      await agent.get('/signup').set('X-Forwarded-For', address).expect(200);
      // The code page shows no form to post, so no token; the browser's form token is the login page's.
      const csrf = csrfFrom((await agent.get('/login').set('X-Forwarded-For', address)).text);
      const signUp = (value: string) =>
        agent
          .post('/signup')
          .set('X-Forwarded-For', address)
          .type('form')
          .send({ code: value, username: 'newbie', displayName: 'New Bie', password: 'newbie words', confirmPassword: 'newbie words', _csrf: csrf });
      for (let i = 0; i < 4; i++) await signUp(`WWWW-WWW${i + 2}`).expect(400);
      // The page checks a code too: a wrong one there counts (the 5th), the right one is then refused.
      await agent.get('/signup?code=VVVV-VVVV').set('X-Forwarded-For', address).expect(400);
      const refusedPage = await agent.get(`/signup?code=${code}`).set('X-Forwarded-For', address).set('Accept', 'text/html').expect(429);
      expect(refusedPage.text).toContain('Too many wrong join codes from your network');
      expect(retryAfter(refusedPage)).toBeGreaterThan(0);
      await signUp(code).expect(429);
      expect(await portal.dataSource.query(`SELECT id FROM users WHERE username = 'newbie'`)).toEqual([]);
    });
  });

  describe('the API', () => {
    it('limits each user across the API, by session and token alike, with 429 and Retry-After; pages are not limited', async () => {
      await makeUser('lee');
      const lee = await attempt('lee', PASSWORD, '203.0.113.60');
      const page = await lee.agent.get('/profile').expect(200);
      const made = await lee.agent.post('/profile/tokens').type('form').send({ name: 'script', _csrf: csrfFrom(page.text) }).expect(201);
      const token = /id="new-token-value"[^>]*value="([^"]+)"/.exec(made.text)![1];

      for (let i = 0; i < 3; i++) {
        const ok = await lee.agent.get('/api/me').expect(200);
        expect(Number(ok.headers['x-ratelimit-remaining'])).toBe(4 - i);
      }
      for (let i = 0; i < 2; i++) await portal.http.get('/api/targets').set('Authorization', `Bearer ${token}`).expect(200);
      const refused = await lee.agent.get('/api/targets').expect(429);
      expect(refused.body).toEqual({ statusCode: 429, message: expect.stringMatching(/^Too many API requests: at most 5 every 2 minutes\. Try again in \d+ (seconds|minutes?)\.$/) });
      expect(retryAfter(refused)).toBeGreaterThan(0);
      await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(429);
      await lee.agent.get('/targets').expect(200);

      // Another user has a budget of their own.
      await makeUser('max');
      const max = await attempt('max', PASSWORD, '203.0.113.60');
      await max.agent.get('/api/me').expect(200);
    });

    it('limits callers who are not logged in by address', async () => {
      for (let i = 0; i < 5; i++) await portal.http.get('/api/targets').set('X-Forwarded-For', '203.0.113.70').expect(401);
      const refused = await portal.http.get('/api/targets').set('X-Forwarded-For', '203.0.113.70').expect(429);
      expect(retryAfter(refused)).toBeGreaterThan(0);
      await portal.http.get('/api/targets').set('X-Forwarded-For', '198.51.100.70').expect(401);
    });
  });
});
