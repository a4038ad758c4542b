import { io as connect, Socket } from 'socket.io-client';
import { createPortalApp, PortalApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { createTarget, csrfFrom, LoggedIn, loginAs, spawnBuilt, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';
import { ensureBuilt } from './utils/built-dist';

/**
 * An open Socket.IO connection must not outlive the right to see what it joined. Cast: an admin; teacher T with a
 * co-teacher T2 of class C; students s1 (starts a slow run and shares it with C), s2 (removed from C), s3
 * (deactivated) and p (changes their password, logs out), all in C; r (in C, password reset by the teacher), a second
 * admin (made a teacher) and c (deactivated with the CLI). Each watcher's socket carries the real session
 * cookie of a logged-in browser and joins the run's room and the target page's room as the pages' scripts do.
 * The portal is two web processes on one database and Redis: sockets on the second are ended by changes made
 * through the first.
 */
type Cast = 'admin' | 'teacher' | 'coTeacher' | 's1' | 's2' | 's3' | 'p' | 'r' | 'admin2' | 'c';
const PASSWORD = 'test-password-123';

interface Watcher {
  socket: Socket;
  /** Every event this socket heard, in order. */
  heard: Array<[string, any]>;
  /** Why it was disconnected, each time. */
  disconnects: string[];
}

describe('live connections end with sessions and class membership (e2e)', () => {
  let portal: TestPortal;
  let second: PortalApp;
  let firstUrl: string;
  let secondUrl: string;
  const users = {} as Record<Cast, LoggedIn & { id: string }>;
  const watchers: Watcher[] = [];
  let classC: number;
  let sky: number;
  let run: number;

  const form = (who: LoggedIn, url: string, fields: Record<string, string | string[]> = {}) =>
    who.agent.post(url).type('form').set('Accept', 'text/html').send({ ...fields, _csrf: who.csrf });
  const cookieOf = async (who: LoggedIn) => (await who.agent.get('/targets').expect(200)).request.cookies as unknown as string;

  const eventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** A page's socket with `who`'s session cookie, on the first or the second web process. */
  async function watcher(who: LoggedIn, url = firstUrl): Promise<Watcher> {
    const socket = connect(url, { extraHeaders: { Cookie: await cookieOf(who) }, transports: ['websocket'], forceNew: true, reconnection: false });
    const watching: Watcher = { socket, heard: [], disconnects: [] };
    socket.onAny((event, payload) => watching.heard.push([event, payload]));
    socket.on('disconnect', (reason) => watching.disconnects.push(reason));
    watchers.push(watching);
    await new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(true));
      socket.once('connect_error', reject);
    });
    return watching;
  }
  const joinRun = (w: Watcher) => w.socket.timeout(5000).emitWithAck('join-run', { runId: run, after: 0 });
  const joinTarget = (w: Watcher) => w.socket.timeout(5000).emitWithAck('join-target', { targetId: sky });
  /** Log lines of the run heard since event number `from`. */
  const linesSince = (w: Watcher, from = 0) =>
    w.heard.slice(from).filter(([event, payload]) => event === 'log-lines' && payload.some((line: { runId: number }) => line.runId === run)).length;
  /** What a page would do after the server ended its connection: connect again (live-socket.js). */
  const reconnect = async (w: Watcher) => {
    w.socket.connect();
    await eventually('the socket to connect again', () => w.socket.connected);
  };
  const sessionsOf = async (who: Cast) =>
    (await portal.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE sess::jsonb #>> '{passport,user}' = $1`, [users[who].id]))[0].n;

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    firstUrl = await portal.app.getUrl();
    // A second web process (no pipeline worker) on the same database, Redis and files, as behind a load balancer.
    second = await createPortalApp(
      loadConfig({
        ...process.env,
        DATA_DIR: portal.dataDir,
        SEED_DEMO: 'false',
        SESSION_SECRET: 'test-secret',
        PIPELINES_CONFIG: TEST_PIPELINES,
        IN_PROCESS_WORKER: 'false',
        DATABASE_URL: portal.infrastructure.databaseUrl,
        REDIS_URL: portal.infrastructure.redisUrl,
      }),
      { logger: false },
    );
    await second.app.listen(0, '127.0.0.1');
    secondUrl = await second.app.getUrl();

    const roles: Record<Cast, 'admin' | 'teacher' | 'student'> = {
      admin: 'admin',
      teacher: 'teacher',
      coTeacher: 'teacher',
      s1: 'student',
      s2: 'student',
      s3: 'student',
      p: 'student',
      r: 'student',
      admin2: 'admin',
      c: 'student',
    };
    for (const who of Object.keys(roles) as Cast[]) {
      const loggedIn = await portal.login(`live-${who.toLowerCase()}`, roles[who]);
      const [row] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [loggedIn.username]);
      users[who] = { ...loggedIn, id: row.id };
    }
    // The class straight into its tables: this spec is about what happens to sockets, not the class pages.
    [{ id: classC }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Class C', 'LIVECONNC') RETURNING id`);
    const members: Array<[Cast, string]> = [['teacher', 'teacher'], ['coTeacher', 'teacher'], ['s1', 'student'], ['s2', 'student'], ['s3', 'student'], ['p', 'student'], ['r', 'student']];
    for (const [who, role] of members) {
      await portal.dataSource.query('INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, $3)', [classC, users[who].id, role]);
    }
    sky = await createTarget(users.teacher, { name: 'Live cluster', ra: '250.42', dec: '36.46', visibility: 'public' });
    const input = await uploadOne(users.s1, sky, Buffer.from('s1 notes\n'), 's1-notes.txt', 'other');
    const started = await form(users.s1, `/targets/${sky}/pipeline-runs`, { pipeline: 'Slow sleeper', productIds: [String(input)] }).expect(303);
    run = Number(/\/pipeline\/(\d+)/.exec(started.headers.location)![1]);
    await users.s1.agent.patch(`/api/processes/${run}`).set('X-CSRF-Token', users.s1.csrf).send({ visibility: 'class', classroomId: classC }).expect(200);
    await waitForRun(portal, run, ['running']);
  }, 300_000);

  afterAll(async () => {
    for (const { socket } of watchers) socket.disconnect();
    await second?.close();
    await portal?.close();
  });

  it("disconnects a deactivated user's sockets in every web process; they cannot join again; others keep hearing", async () => {
    const owner = await watcher(users.s1);
    const onFirst = await watcher(users.s3);
    const onSecond = await watcher(users.s3, secondUrl);
    for (const w of [owner, onFirst, onSecond]) expect((await joinRun(w)).ok).toBe(true);
    await eventually('everyone to hear log lines', () => [owner, onFirst, onSecond].every((w) => linesSince(w) > 0));

    const [{ id: s3 }] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', ['live-s3']);
    await form(users.admin, `/admin/users/${s3}/deactivate`).expect(303);
    await eventually("s3's sockets to be disconnected", () => onFirst.disconnects.length > 0 && onSecond.disconnects.length > 0);
    expect([onFirst.disconnects, onSecond.disconnects]).toEqual([['io server disconnect'], ['io server disconnect']]);
    expect(await sessionsOf('s3')).toBe(0);

    // The page connects again: the cookie's session is gone, so the join is refused and nothing more arrives.
    for (const w of [onFirst, onSecond]) {
      await reconnect(w);
      expect(await joinRun(w)).toEqual({ ok: false, error: 'Please log in' });
      expect(await joinTarget(w)).toEqual({ ok: false, error: 'Please log in' });
    }
    const heardThen = [onFirst.heard.length, onSecond.heard.length];
    const ownerThen = linesSince(owner);
    await eventually('the owner to keep hearing lines', () => linesSince(owner) > ownerThen + 2);
    expect([onFirst.heard.length, onSecond.heard.length]).toEqual(heardThen);
    // Another user's socket was never touched.
    expect(owner.disconnects).toEqual([]);
    expect(owner.socket.connected).toBe(true);
  });

  it("ends the other sessions' sockets when a user changes their password, keeps the one that changed it, and a logout ends its own", async () => {
    const otherLogin = await loginAs(portal.app.getHttpServer(), users.p.username, PASSWORD);
    const changer = await watcher(users.p);
    const changerOnSecond = await watcher(users.p, secondUrl);
    const other = await watcher(otherLogin);
    const bystander = await watcher(users.s1);
    for (const w of [changer, changerOnSecond, other, bystander]) expect((await joinRun(w)).ok).toBe(true);

    const passwordPage = await users.p.agent.get('/profile/password').expect(200);
    await users.p.agent
      .post('/profile/password')
      .type('form')
      .send({ _csrf: csrfFrom(passwordPage.text), currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42', confirmPassword: 'a brand new passphrase 42' })
      .expect(303);
    await eventually("the other session's socket to be disconnected", () => other.disconnects.length > 0);
    expect(other.disconnects).toEqual(['io server disconnect']);
    await reconnect(other);
    expect(await joinRun(other)).toEqual({ ok: false, error: 'Please log in' });

    // The session that changed it still hears the run, in both processes, and so does everyone else.
    const [changerThen, secondThen, bystanderThen] = [linesSince(changer), linesSince(changerOnSecond), linesSince(bystander)];
    await eventually('the changing session to keep hearing', () => linesSince(changer) > changerThen + 1 && linesSince(changerOnSecond) > secondThen + 1);
    await eventually('the bystander to keep hearing', () => linesSince(bystander) > bystanderThen + 1);
    expect([changer.disconnects, changerOnSecond.disconnects, bystander.disconnects]).toEqual([[], [], []]);
    expect(await sessionsOf('p')).toBe(1);

    // Logging out ends that session's sockets (in every process) and nobody else's.
    await form(users.p, '/logout').expect(303);
    await eventually('the logged-out sockets to be disconnected', () => changer.disconnects.length > 0 && changerOnSecond.disconnects.length > 0);
    expect([changer.disconnects, changerOnSecond.disconnects]).toEqual([['io server disconnect'], ['io server disconnect']]);
    await reconnect(changer);
    expect(await joinRun(changer)).toEqual({ ok: false, error: 'Please log in' });
    expect(bystander.disconnects).toEqual([]);
    expect(await sessionsOf('p')).toBe(0);
  });

  it("disconnects a student's and a co-teacher's sockets when they leave the class: the class's run is refused to them afterwards", async () => {
    const owner = await watcher(users.s1);
    const removed = await watcher(users.s2);
    const removedOnSecond = await watcher(users.s2, secondUrl);
    const teacher = await watcher(users.teacher);
    const coTeacher = await watcher(users.coTeacher);
    for (const w of [owner, removed, removedOnSecond, teacher, coTeacher]) {
      expect((await joinTarget(w)).ok).toBe(true);
      expect((await joinRun(w)).ok).toBe(true);
    }
    await eventually('s2 to hear the run', () => linesSince(removed) > 0 && linesSince(removedOnSecond) > 0);

    await form(users.teacher, `/classes/${classC}/students/${users.s2.id}/remove`).expect(303);
    await eventually("s2's sockets to be disconnected", () => removed.disconnects.length > 0 && removedOnSecond.disconnects.length > 0);
    expect([removed.disconnects, removedOnSecond.disconnects]).toEqual([['io server disconnect'], ['io server disconnect']]);
    expect(await portal.dataSource.query('SELECT 1 FROM classroom_members WHERE classroom_id = $1 AND user_id = $2', [classC, users.s2.id])).toEqual([]);
    // Their session stays: the pages connect again, and each join is checked as s2 is now.
    for (const w of [removed, removedOnSecond]) {
      await reconnect(w);
      const refused = await joinRun(w);
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatch(/not shared with you/);
      expect(await joinTarget(w)).toEqual({ ok: true });
    }
    // The teachers taught s2 only in C: their sockets re-check too, and they still see s1's run of their class.
    await eventually("the teachers' sockets to be disconnected", () => teacher.disconnects.length > 0 && coTeacher.disconnects.length > 0);
    for (const w of [teacher, coTeacher]) {
      await reconnect(w);
      expect((await joinTarget(w)).ok).toBe(true);
      expect((await joinRun(w)).ok).toBe(true);
    }

    // A co-teacher taken off the class no longer sees its students' class work either; the other teacher stays.
    await form(users.teacher, `/classes/${classC}/teachers/${users.coTeacher.id}/remove`).expect(303);
    await eventually("the co-teacher's socket to be disconnected again", () => coTeacher.disconnects.length > 1);
    await reconnect(coTeacher);
    expect((await joinRun(coTeacher)).ok).toBe(false);
    expect((await joinTarget(coTeacher)).ok).toBe(true);

    // The run ends: the target pages of those who may still see it hear so; s2 and the co-teacher hear nothing of it.
    const quiet = [removed, removedOnSecond, coTeacher].map((w) => w.heard.length);
    await form(users.s1, `/pipeline/${run}/cancel`).expect(303);
    await waitForRun(portal, run, ['cancelled']);
    const heardEnd = (w: Watcher) => w.heard.some(([event, state]) => event === 'run' && state.runId === run && state.state === 'cancelled');
    await eventually('the owner and the teacher to hear the run end', () => heardEnd(owner) && heardEnd(teacher));
    // A later run of their own on the same target as a marker: the portal publishes its events through Redis in
    // order and each socket delivers in order, so once the three hear their marker nothing about the ended run is on
    // its way to them.
    const startMarker = async (who: LoggedIn) => {
      const input = await uploadOne(who, sky, Buffer.from('marker\n'), 'marker.txt', 'other');
      const started = await form(who, `/targets/${sky}/pipeline-runs`, { pipeline: 'Byte count', productIds: [String(input)] }).expect(303);
      return Number(/\/pipeline\/(\d+)/.exec(started.headers.location)![1]);
    };
    const markers = new Map<Watcher, number>();
    const s2Marker = await startMarker(users.s2);
    markers.set(removed, s2Marker).set(removedOnSecond, s2Marker).set(coTeacher, await startMarker(users.coTeacher));
    const heardMarker = (w: Watcher) => w.heard.some(([event, state]) => event === 'run' && state.runId === markers.get(w));
    await eventually('the others to hear their later runs', () => [removed, removedOnSecond, coTeacher].every(heardMarker));
    const aboutRun = (w: Watcher, from: number) =>
      w.heard.slice(from).filter(([event, payload]) => (event === 'run' && payload.runId === run) || (event === 'log-lines' && payload.some((line: { runId: number }) => line.runId === run)));
    expect([removed, removedOnSecond, coTeacher].map((w, i) => aboutRun(w, quiet[i]))).toEqual([[], [], []]);
    expect([owner.disconnects, teacher.disconnects, coTeacher.disconnects]).toEqual([[], ['io server disconnect'], ['io server disconnect', 'io server disconnect']]);
  });

  it("ends the sockets of a student whose password a teacher resets, of an admin made a teacher, and of an account deactivated with the CLI", async () => {
    const reset = await watcher(users.r);
    const demoted = await watcher(users.admin2, secondUrl);
    const byCli = await watcher(users.c);
    const bystander = await watcher(users.s1);
    for (const w of [reset, byCli, bystander]) expect((await joinTarget(w)).ok).toBe(true);
    // An admin sees every run, s1's class run included.
    expect((await joinRun(demoted)).ok).toBe(true);

    const page = await form(users.teacher, `/classes/${classC}/students/${users.r.id}/reset-password`).expect(200);
    expect(page.text).toContain(users.r.username);
    await eventually("r's socket to be disconnected", () => reset.disconnects.length > 0);
    await reconnect(reset);
    expect(await joinTarget(reset)).toEqual({ ok: false, error: 'Please log in' });
    expect(await sessionsOf('r')).toBe(0);

    await form(users.admin, `/admin/users/${users.admin2.id}/role`, { role: 'teacher' }).expect(303);
    await eventually("the demoted admin's socket to be disconnected", () => demoted.disconnects.length > 0);
    // Still logged in, but now a teacher of no class: the class's run is no longer theirs to watch.
    await reconnect(demoted);
    expect((await joinRun(demoted)).ok).toBe(false);
    expect((await joinTarget(demoted)).ok).toBe(true);

    // Another process: the command line publishes through Redis like the web does.
    const cli = spawnBuilt(portal, 'cli', ['user:deactivate', '--username', users.c.username]);
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve) => cli.on('close', resolve));
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`Deactivated: "${users.c.username}"`) });
    await eventually("c's socket to be disconnected", () => byCli.disconnects.length > 0);
    await reconnect(byCli);
    expect(await joinTarget(byCli)).toEqual({ ok: false, error: 'Please log in' });

    expect([reset.disconnects, demoted.disconnects, byCli.disconnects, bystander.disconnects]).toEqual([
      ['io server disconnect'],
      ['io server disconnect'],
      ['io server disconnect'],
      [],
    ]);
  }, 60_000);
});
