import { ChildProcess } from 'node:child_process';
import { AddressInfo } from 'node:net';
import { getQueueToken } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import { Queue } from 'bull';
import passport from 'passport';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { io as connect, Socket } from 'socket.io-client';
import { NotificationMailer } from '../src/notifications/notification-mailer';
import { NotificationsService } from '../src/notifications/notifications.service';
import { jobIdFor } from '../src/pipeline-runs/pipeline-runs.service';
import { PIPELINES_QUEUE } from '../src/queue/queue.module';
import { ensureBuilt } from './utils/built-dist';
import { eventually, killHard, untilReady } from './utils/fault-tools';
import { describeUnlessMissing } from './utils/required';
import { createTarget, LoggedIn, spawnBuilt, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

/**
 * Notifications (issue 13, item 4): a run's end is stored for the student who started it and nobody else, pushed
 * over Socket.IO to that student's open pages only (sockets carry the real session cookie, as the pages' do), and
 * emailed to a real SMTP server (smtp-server, here in the test) when the student has an address and wants it;
 * preferences switch each kind off in the portal and by email; notifications are marked read on the page and
 * through the API; an email that cannot be sent never fails the run. On servers, a run finished by a separate
 * worker process (dist/src/worker.js) reaches the page and the mailbox the same way.
 */

/** A mailbox: a real SMTP server on a free loopback port; each message as mailparser reads it. */
class Mailbox {
  readonly received: ParsedMail[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            this.received.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  /** Closes the server and the connections nodemailer's pool keeps open. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const connection of (server as unknown as { connections: Set<{ close(): void }> }).connections ?? []) connection.close();
    });
  }

  url(): string {
    return `smtp://127.0.0.1:${this.port}?ignoreTLS=true`;
  }

  to(address: string): ParsedMail[] {
    return this.received.filter((mail) => {
      const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
      return to.some((group) => group.value.some((entry) => entry.address?.toLowerCase() === address.toLowerCase()));
    });
  }
}

/** A page's socket, as live-socket.js opens it, with everything it heard. */
interface Page {
  socket: Socket;
  heard: Array<[string, any]>;
}

const PORTAL_URL = 'http://portal.test';

const cookieOf = async (who: LoggedIn) => (await who.agent.get('/targets').expect(200)).request.cookies as unknown as string;

async function openPage(url: string, who: LoggedIn, pages: Page[]): Promise<Page> {
  const socket = connect(url, { extraHeaders: { Cookie: await cookieOf(who) }, transports: ['websocket'], forceNew: true, reconnection: false });
  const page: Page = { socket, heard: [] };
  socket.onAny((event, payload) => page.heard.push([event, payload]));
  pages.push(page);
  await new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(true));
    socket.once('connect_error', reject);
  });
  return page;
}

const heardOf = (page: Page, event: string) => page.heard.filter(([name]) => name === event).map(([, payload]) => payload);

const form = (who: LoggedIn, url: string, fields: Record<string, string | string[]> = {}) =>
  who.agent.post(url).type('form').set('Accept', 'text/html').send({ ...fields, _csrf: who.csrf });

async function startRun(who: LoggedIn, targetId: number, pipeline: string, input: number): Promise<number> {
  const started = await form(who, `/targets/${targetId}/pipeline-runs`, { pipeline, productIds: [String(input)] }).expect(303);
  return Number(/\/pipeline\/(\d+)/.exec(started.headers.location)![1]);
}

/** The bell's count as a page shows it: null when hidden. */
function bellOf(html: string): number | null {
  const match = /<span class="bell-count" id="notification-count"( hidden)?>(\d*)<\/span>/.exec(html);
  if (!match) throw new Error('No bell on the page');
  return match[1] ? null : Number(match[2]);
}

const mailbox = new Mailbox();
beforeAll(() => mailbox.start());
afterAll(() => mailbox.stop());

describe('notifications (e2e)', () => {
  let portal: TestPortal;
  let url: string;
  let queue: Queue;
  let ann: LoggedIn & { id: string };
  let bob: LoggedIn & { id: string };
  let admin: LoggedIn & { id: string };
  let sky: number;
  let input: number;
  const pages: Page[] = [];

  const userId = async (who: LoggedIn) => (await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [who.username]))[0].id as string;
  const rowsOf = (who: { id: string }) =>
    portal.dataSource.query(`SELECT id, kind, title, body, link, read_at FROM notifications WHERE user_id = $1 ORDER BY id`, [who.id]);
  /**
   * The run has ended and everything its end does is done: the worker's job completes only after the run's state is
   * stored and its requester notified (notify() awaited), and the emails handed to the mailer are sent or failed.
   */
  async function ended(runId: number, states = ['succeeded', 'failed', 'cancelled']) {
    const run = await waitForRun(portal, runId, states, 30_000);
    await eventually(`the job of run ${runId} to complete`, async () => (await queue.getJob(jobIdFor(runId))) === null, 30_000);
    await portal.app.get(NotificationMailer).settled();
    return run;
  }

  beforeAll(async () => {
    portal = await startTestPortal({
      pipelinesConfig: TEST_PIPELINES,
      env: { SMTP_URL: mailbox.url(), MAIL_FROM: 'Portal test <portal@test.example>', PORTAL_URL },
    });
    await portal.app.listen(0, '127.0.0.1');
    url = await portal.app.getUrl();
    queue = portal.app.get<Queue>(getQueueToken(PIPELINES_QUEUE));
    const loginWithId = async (name: string, role: 'student' | 'admin') => {
      const who = await portal.login(name, role);
      return { ...who, id: await userId(who) };
    };
    ann = await loginWithId('ann', 'student');
    bob = await loginWithId('bob', 'student');
    admin = await loginWithId('notify-admin', 'admin');
    sky = await createTarget(ann, { name: 'Notify sky', ra: '10', dec: '20' });
    input = await uploadOne(ann, sky, Buffer.from('some bytes\n'), 'notes.txt', 'other');
  }, 180_000);

  afterAll(async () => {
    for (const { socket } of pages) socket.disconnect();
    await portal?.close();
    // Nest's PassportSerializer registers on passport's process-wide singleton, which asks the first one registered:
    // forget the closed app's, or the next block's sessions would be read through a closed database.
    const registry = passport as unknown as { _serializers: unknown[]; _deserializers: unknown[] };
    registry._serializers.length = 0;
    registry._deserializers.length = 0;
  });

  it("stores a run's end for the student who started it only, and pushes it to that student's open pages only", async () => {
    const annFirst = await openPage(url, ann, pages);
    const annSecond = await openPage(url, ann, pages);
    const bobPage = await openPage(url, bob, pages);
    const adminPage = await openPage(url, admin, pages);

    const runId = await startRun(ann, sky, 'Byte count', input);
    await eventually("both of ann's pages to hear of the run's end", () => heardOf(annFirst, 'notification').length && heardOf(annSecond, 'notification').length);
    await ended(runId);

    const [event] = heardOf(annFirst, 'notification');
    expect(event).toEqual({
      notification: {
        id: expect.any(Number),
        kind: 'run-ended',
        title: 'Your run of Byte count on Notify sky succeeded',
        body: expect.stringMatching(/^Run byte_count_\d+_\d{8}T\d{6}Z(_\d+)?: Finished$/),
        link: `/pipeline/${runId}`,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        readAt: null,
      },
      unreadCount: 1,
    });
    expect(heardOf(annSecond, 'notification')).toEqual([event]);
    expect(heardOf(bobPage, 'notification')).toEqual([]);
    expect(heardOf(adminPage, 'notification')).toEqual([]);

    expect(await rowsOf(ann)).toEqual([
      { id: event.notification.id, kind: 'run-ended', title: event.notification.title, body: event.notification.body, link: `/pipeline/${runId}`, read_at: null },
    ]);
    expect(await rowsOf(bob)).toEqual([]);
    expect(await rowsOf(admin)).toEqual([]);

    // The bell on every page: ann's counts one, bob's none; the list shows it, unread, with its link.
    expect(bellOf((await ann.agent.get('/targets').expect(200)).text)).toBe(1);
    expect(bellOf((await bob.agent.get('/targets').expect(200)).text)).toBeNull();
    const list = (await ann.agent.get('/notifications').expect(200)).text;
    expect(list).toContain(`<li class="notification unread" data-id="${event.notification.id}" data-kind="run-ended">`);
    expect(list).toContain(`action="/notifications/${event.notification.id}/open"`);
    expect(list).toContain('Your run of Byte count on Notify sky succeeded');
    expect(list).toContain('id="mark-all-read"');
    expect((await bob.agent.get('/notifications').expect(200)).text).toContain('No notifications yet');
  }, 60_000);

  it('says when a run failed, with its message, and when it was cancelled', async () => {
    const annPage = await openPage(url, ann, pages);
    const crashed = await startRun(ann, sky, 'Crasher', input);
    expect((await ended(crashed)).state).toBe('failed');
    const slow = await startRun(ann, sky, 'Slow sleeper', input);
    await waitForRun(portal, slow, ['running']);
    await form(ann, `/pipeline/${slow}/cancel`).expect(303);
    expect((await ended(slow)).state).toBe('cancelled');

    await eventually('both ends to be heard', () => heardOf(annPage, 'notification').length >= 2);
    const [failed, cancelled] = heardOf(annPage, 'notification').map((event) => event.notification);
    expect(failed).toMatchObject({
      title: 'Your run of Crasher on Notify sky failed',
      body: expect.stringContaining('The pipeline stopped with an unexpected error (TypeError:'),
      link: `/pipeline/${crashed}`,
    });
    expect(cancelled).toMatchObject({ title: 'Your run of Slow sleeper on Notify sky was cancelled', link: `/pipeline/${slow}` });
    expect(heardOf(annPage, 'notification').map((event) => event.unreadCount)).toEqual([2, 3]);
    expect((await rowsOf(bob)).length).toBe(0);
  }, 90_000);

  it('stores and sends nothing of a kind its user switched off; the form is all or nothing', async () => {
    const annPage = await openPage(url, ann, pages);
    const before = (await rowsOf(ann)).length;
    // A field the form does not have: refused, nothing stored.
    const refused = await form(ann, '/profile/notifications', { 'portal:feedback': 'on', 'portal:nonsense': 'on' }).expect(400);
    expect(refused.text).toContain('The notifications form has no field');
    expect(await portal.dataSource.query('SELECT * FROM notification_preferences')).toEqual([]);

    // Everything on except "a run of mine ends" in the portal (and by email: ann has no address yet anyway).
    const kinds = ['assignment-new', 'hand-in', 'feedback', 'due-soon'];
    const ticked = Object.fromEntries(kinds.flatMap((kind) => [[`portal:${kind}`, 'on'], [`email:${kind}`, 'on']]));
    await form(ann, '/profile/notifications', ticked).expect(303);
    const profile = (await ann.agent.get('/profile').expect(200)).text;
    expect(profile).toMatch(/name="portal:run-ended" value="on" aria-label="[^"]+" >/);
    expect(profile).toMatch(/name="portal:feedback" value="on" aria-label="[^"]+" checked>/);

    const quiet = await startRun(ann, sky, 'Byte count', input);
    expect((await ended(quiet)).state).toBe('succeeded');
    expect((await rowsOf(ann)).length).toBe(before);
    expect(heardOf(annPage, 'notification')).toEqual([]);

    // Other kinds still arrive: told straight through the service, as assignments do.
    await portal.app.get(NotificationsService).notify([{ userId: ann.id, kind: 'feedback', title: 'Feedback on your light curve', body: 'Well done.\nLook at the third point.', link: '/assignments/1' }]);
    await eventually('the feedback to be heard', () => heardOf(annPage, 'notification').length === 1);
    expect(heardOf(annPage, 'notification')[0].notification).toMatchObject({ kind: 'feedback', body: 'Well done.\nLook at the third point.' });

    // Back on, for the tests that follow.
    await form(ann, '/profile/notifications', { ...ticked, 'portal:run-ended': 'on', 'email:run-ended': 'on' }).expect(303);
  }, 60_000);

  it('emails a run\'s end to a student with an address, with its link; not when email is off for the kind', async () => {
    // Addresses are checked, and unique in any case.
    const bad = await form(ann, '/profile/email', { email: 'ann@school' }).expect(400);
    expect(bad.text).toContain('is not an email address: write it as name@school.example');
    await form(ann, '/profile/email', { email: ' Ann.Lee@School.example ' }).expect(303);
    expect((await ann.agent.get('/profile').expect(200)).text).toContain('<dd id="email-address">Ann.Lee@School.example</dd>');
    const taken = await form(bob, '/profile/email', { email: 'ann.lee@school.EXAMPLE' }).expect(409);
    expect(taken.text).toContain('That email address is already used by another account');
    // An admin sets bob's on /admin/users.
    await form(admin, `/admin/users/${bob.id}/email`, { email: 'bob@school.example' }).expect(303);
    expect((await admin.agent.get(`/admin/users/${bob.id}`).expect(200)).text).toContain('<dd id="account-email">bob@school.example</dd>');

    const mailed = await startRun(ann, sky, 'Byte count', input);
    await ended(mailed);
    const [mail] = mailbox.to('Ann.Lee@School.example');
    expect(mail).toBeDefined();
    expect(mail.subject).toBe('Your run of Byte count on Notify sky succeeded');
    expect(mail.from?.value[0]).toMatchObject({ address: 'portal@test.example', name: 'Portal test' });
    expect(mail.text).toContain(`Open it in the portal: ${PORTAL_URL}/pipeline/${mailed}`);
    expect(mail.text).toContain(`${PORTAL_URL}/profile#notifications`);
    expect(mailbox.to('bob@school.example')).toEqual([]);

    // Email off for runs, the portal still on: stored and pushed, not mailed.
    const kinds = ['run-ended', 'assignment-new', 'hand-in', 'feedback', 'due-soon'];
    await form(ann, '/profile/notifications', Object.fromEntries(kinds.map((kind) => [`portal:${kind}`, 'on']))).expect(303);
    const before = (await rowsOf(ann)).length;
    const unmailed = await startRun(ann, sky, 'Byte count', input);
    await ended(unmailed);
    expect((await rowsOf(ann)).length).toBe(before + 1);
    expect(mailbox.to('Ann.Lee@School.example')).toHaveLength(1);
    await form(ann, '/profile/notifications', Object.fromEntries(kinds.flatMap((kind) => [[`portal:${kind}`, 'on'], [`email:${kind}`, 'on']]))).expect(303);
  }, 60_000);

  it('marks notifications read on the page: one by opening it, all at once; every open page hears of it', async () => {
    const annPage = await openPage(url, ann, pages);
    const rows = await rowsOf(ann);
    const unread = rows.filter((row: { read_at: Date | null }) => !row.read_at);
    expect(unread.length).toBeGreaterThan(2);
    const [first, second] = unread;

    // Someone else's: not found to open, passed over when marked.
    await form(bob, `/notifications/${first.id}/open`).expect(404);
    await form(bob, '/notifications/read', { ids: String(first.id) }).expect(303);
    expect((await rowsOf(ann)).find((row: { id: number }) => row.id === first.id).read_at).toBeNull();

    const opened = await form(ann, `/notifications/${first.id}/open`).expect(303);
    expect(opened.headers.location).toBe(first.link);
    await eventually('the page to hear one was read', () => heardOf(annPage, 'notifications-read').length === 1);
    expect(heardOf(annPage, 'notifications-read')[0]).toEqual({ ids: [first.id], unreadCount: unread.length - 1 });

    await form(ann, '/notifications/read', { ids: String(second.id) }).expect(303);
    expect((await ann.agent.get('/notifications').expect(200)).text).toContain('Marked 1 notification read.');
    expect(bellOf((await ann.agent.get('/targets').expect(200)).text)).toBe(unread.length - 2);
    // Only the unread ones, then all read at once.
    const onlyUnread = (await ann.agent.get('/notifications?unread=1').expect(200)).text;
    expect(onlyUnread.match(/<li class="notification unread"/g)).toHaveLength(unread.length - 2);
    expect(onlyUnread).not.toContain(`data-id="${first.id}"`);
    await form(ann, '/notifications/read', { all: 'on' }).expect(303);
    await eventually('the page to hear all were read', () => heardOf(annPage, 'notifications-read').some((event) => event.unreadCount === 0));
    expect((await rowsOf(ann)).every((row: { read_at: Date | null }) => row.read_at)).toBe(true);
    expect(bellOf((await ann.agent.get('/targets').expect(200)).text)).toBeNull();
    // A form asking for both, or for nothing, changes nothing.
    await form(ann, '/notifications/read', { all: 'on', ids: String(first.id) }).expect(400);
    await form(ann, '/notifications/read').expect(400);
    await form(ann, '/notifications/read', { ids: '1e308' }).expect(400);
  }, 60_000);

  it('has the API: the list, paged and unread only, and marking read by ids or all', async () => {
    const service = portal.app.get(NotificationsService);
    await service.notify(['First', 'Second', 'Third'].map((title) => ({ userId: bob.id, kind: 'assignment-new' as const, title, link: '/assignments' })));
    await service.notify([{ userId: bob.id, kind: 'due-soon', title: 'Due tomorrow', link: 'https://elsewhere.example/' }]);
    const api = (path: string) => bob.agent.get(path).set('Accept', 'application/json');
    const post = (body: unknown) => bob.agent.post('/api/notifications/read').set('X-CSRF-Token', bob.csrf).send(body as object);

    const all = (await api('/api/notifications').expect(200)).body;
    expect(all).toMatchObject({ total: 4, limit: 50, offset: 0 });
    expect(all.items.map((item: { title: string }) => item.title)).toEqual(['Due tomorrow', 'Third', 'Second', 'First']);
    expect(all.items[0]).toEqual({ id: expect.any(Number), kind: 'due-soon', title: 'Due tomorrow', body: null, link: null, createdAt: expect.any(String), readAt: null });
    const page = (await api('/api/notifications?limit=2&offset=1').expect(200)).body;
    expect(page.items.map((item: { title: string }) => item.title)).toEqual(['Third', 'Second']);

    expect((await post({ ids: [all.items[1].id, all.items[2].id] }).expect(200)).body).toEqual({ marked: 2, unreadCount: 2 });
    expect((await post({ ids: [all.items[1].id] }).expect(200)).body).toEqual({ marked: 0, unreadCount: 2 });
    const unread = (await api('/api/notifications?unread=true').expect(200)).body;
    expect([unread.total, unread.items.map((item: { title: string }) => item.title)]).toEqual([2, ['Due tomorrow', 'First']]);
    // Ann's ids are passed over.
    const [annRow] = await rowsOf(ann);
    await portal.dataSource.query('UPDATE notifications SET read_at = NULL WHERE id = $1', [annRow.id]);
    expect((await post({ ids: [annRow.id] }).expect(200)).body).toEqual({ marked: 0, unreadCount: 2 });
    expect((await rowsOf(ann))[0].read_at).toBeNull();

    for (const body of [{}, { ids: [1], all: true }, { ids: [0] }, { ids: '1' }, { all: 'yes' }, { all: false }, { ids: [1], extra: 1 }]) {
      const refused = await post(body).expect(400);
      expect(refused.body.message).toMatch(/\S/);
    }
    await api('/api/notifications?unread=maybe').expect(400);
    await api('/api/notifications?limit=0').expect(400);
    expect((await post({ all: true }).expect(200)).body).toEqual({ marked: 2, unreadCount: 0 });
    await bob.agent.post('/api/notifications/read').send({ all: true }).expect(403);
    await portal.http.get('/api/notifications').expect(401);
  }, 60_000);

  it('never fails a run for an email that cannot be sent: the notification is stored and pushed, the failure logged', async () => {
    const annPage = await openPage(url, ann, pages);
    const warnings: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, message: unknown) {
      warnings.push(String(message));
    });
    const port = mailbox.port;
    await mailbox.stop();
    try {
      const runId = await startRun(ann, sky, 'Byte count', input);
      expect((await ended(runId)).state).toBe('succeeded');
      await eventually('the run\'s end to be heard', () => heardOf(annPage, 'notification').length === 1);
      expect((await rowsOf(ann)).filter((row: { link: string }) => row.link === `/pipeline/${runId}`)).toHaveLength(1);
      expect(warnings.some((text) => text.startsWith(`The email of a notification to user ${ann.id} was not sent:`))).toBe(true);
    } finally {
      spy.mockRestore();
      await mailbox.start(port);
    }
  }, 60_000);

  it('the bell counts up to 99+ on the page and in what is pushed; /notifications says the exact number', async () => {
    const eve = await portal.login('many-unread', 'student');
    const eveId = await userId(eve);
    const evePage = await openPage(url, eve, pages);
    const notifications = portal.app.get(NotificationsService);
    await notifications.notify(Array.from({ length: 149 }, (_, i) => ({ userId: eveId, kind: 'run-ended' as const, title: `Run ${i} ended` })));
    const bell = (html: string) => /<a href="\/notifications" class="bell"[^>]*aria-label="([^"]*)"[\s\S]*?id="notification-count"( hidden)?>([^<]*)<\/span>/.exec(html)!;
    const own = await createTarget(eve, { name: 'Many unread sky', ra: '1', dec: '2' });
    for (const page of ['/targets', `/targets/${own}`]) {
      const [, label, hidden, text] = bell((await eve.agent.get(page).expect(200)).text);
      expect({ page, label, hidden, text }).toEqual({ page, label: 'Notifications: 99+ unread', hidden: undefined, text: '99+' });
    }
    // The pushed count stops at the bell's limit as well, one more or not.
    await notifications.notify([{ userId: eveId, kind: 'run-ended', title: 'One more' }]);
    await eventually('the page to hear of it', () => heardOf(evePage, 'notification').some((event) => event.notification.title === 'One more'));
    expect(heardOf(evePage, 'notification').find((event) => event.notification.title === 'One more').unreadCount).toBe(100);
    expect((await eve.agent.get('/notifications').expect(200)).text).toContain('<span id="unread-summary">150 unread</span>');
    await form(eve, '/notifications/read', { ids: String((await rowsOf({ id: eveId }))[0].id) }).expect(303);
    expect((await eve.agent.get('/notifications').expect(200)).text).toContain('<span id="unread-summary">149 unread</span>');
    expect(bell((await eve.agent.get('/targets').expect(200)).text)[3]).toBe('99+');
  }, 60_000);
});

// A separate worker needs a Redis it shares with the web process: the embedded one lives inside the web process.
const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describeUnlessMissing(realServers ? '' : 'needs DATABASE_URL and REDIS_URL', 'notifications of runs finished by a separate worker process (e2e)', () => {
  let portal: TestPortal;
  let worker: ChildProcess | undefined;
  const pages: Page[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    const env = { SMTP_URL: mailbox.url(), MAIL_FROM: 'Portal test <portal@test.example>', PORTAL_URL, PIPELINES_CONFIG: TEST_PIPELINES };
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES, env: { ...env, IN_PROCESS_WORKER: 'false' } });
    await portal.app.listen(0, '127.0.0.1');
    worker = await untilReady(spawnBuilt(portal, 'worker', [], { ...env, PIPELINE_CONCURRENCY: '1' }), 'worker', 'Worker ready', 90_000);
  }, 300_000);

  afterAll(async () => {
    for (const { socket } of pages) socket.disconnect();
    if (worker) await killHard(worker);
    await portal?.close();
  });

  it("the worker stores the notification, pushes it to the student's page through the web process, and emails it", async () => {
    const cy = await portal.login('cy', 'student');
    const dee = await portal.login('dee', 'student');
    await form(cy, '/profile/email', { email: 'cy@school.example' }).expect(303);
    const target = await createTarget(cy, { name: 'Worker sky', ra: '30', dec: '40' });
    const file = await uploadOne(cy, target, Buffer.from('worker bytes\n'), 'worker.txt', 'other');
    const url = await portal.app.getUrl();
    const cyPage = await openPage(url, cy, pages);
    const deePage = await openPage(url, dee, pages);

    const runId = await startRun(cy, target, 'Byte count', file);
    await eventually("cy's page to hear of the run's end", () => heardOf(cyPage, 'notification').length, 60_000);
    const [{ notification }] = heardOf(cyPage, 'notification');
    expect(notification).toMatchObject({ kind: 'run-ended', title: 'Your run of Byte count on Worker sky succeeded', link: `/pipeline/${runId}` });
    const [run] = await portal.dataSource.query(`SELECT state, provenance->>'workerPid' AS pid FROM pipeline_runs WHERE id = $1`, [runId]);
    expect(run).toEqual({ state: 'succeeded', pid: String(worker!.pid) });

    const mail = await eventually('the worker\'s email to arrive', () => mailbox.to('cy@school.example')[0], 30_000);
    expect(mail.subject).toBe('Your run of Byte count on Worker sky succeeded');
    expect(mail.text).toContain(`${PORTAL_URL}/pipeline/${runId}`);
    expect(heardOf(deePage, 'notification')).toEqual([]);
    const stored = await portal.dataSource.query('SELECT u.username, n.kind FROM notifications n JOIN users u ON u.id = n.user_id');
    expect(stored).toEqual([{ username: 'cy', kind: 'run-ended' }]);
  }, 120_000);
});
