import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import request from 'supertest';
import { PIPELINES_QUEUE, PREVIEWS_QUEUE } from '../src/queue/queue.module';
import { LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/** Bull Board at /admin/queues (admins only, same-origin actions), X-Request-Id, and /readyz naming the failing part. */
describe('queue dashboard, request ids and readiness (e2e)', () => {
  let portal: TestPortal;
  let admin: LoggedIn;
  let teacher: LoggedIn;
  let student: LoggedIn;
  let origin: string;
  let previews: Queue;

  beforeAll(async () => {
    portal = await startTestPortal();
    // Listening on a fixed port: the same-origin check compares Origin with the Host the request was sent to.
    await portal.app.listen(0, '127.0.0.1');
    origin = (await portal.app.getUrl()).replace('[::1]', '127.0.0.1');
    admin = await portal.login('ms.lee', 'admin');
    teacher = await portal.login('mr.k', 'teacher');
    student = await portal.login('sam', 'student');
    previews = portal.app.get<Queue>(getQueueToken(PREVIEWS_QUEUE));
  });
  afterAll(() => portal.close());

  describe('/admin/queues', () => {
    it('sends an anonymous browser to the login page and back', async () => {
      const response = await request(portal.app.getHttpServer()).get('/admin/queues').set('Accept', 'text/html').expect(302);
      expect(response.headers.location).toBe('/login?next=%2Fadmin%2Fqueues');
      await portal.http.get('/admin/queues/api/queues').set('Accept', 'application/json').expect(401);
    });

    it('refuses teachers and students, page and API alike', async () => {
      for (const user of [teacher, student]) {
        const page = await user.agent.get('/admin/queues').set('Accept', 'text/html').expect(403);
        expect(page.text).toContain('Only admins may see the queues.');
        const api = await user.agent.get('/admin/queues/api/queues').set('Accept', 'application/json').expect(403);
        expect(api.body).toEqual({ statusCode: 403, message: 'Only admins may see the queues.' });
        await user.agent.put('/admin/queues/api/queues/previews/pause').set('Origin', origin).set('Sec-Fetch-Site', 'same-origin').expect(403);
        expect(await previews.isPaused()).toBe(false);
      }
    });

    it('shows admins the board, its scripts and styles served from here (no remote fonts), under our CSP', async () => {
      const page = await admin.agent.get('/admin/queues').set('Accept', 'text/html').expect(200);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.text).toContain('<base href="/admin/queues/"');
      expect(page.text).not.toContain('googleapis');
      const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      expect(assets.filter((asset) => asset.startsWith('static/js/'))).not.toHaveLength(0);
      expect(assets.filter((asset) => /^(https?:)?\/\//.test(asset))).toEqual([]);
      for (const asset of assets.filter((name) => /^static\/(js|css)\//.test(name))) {
        await admin.agent.get(`/admin/queues/${asset}`).expect(200);
      }
    });

    it('lists both queues through its API, with a job we add', async () => {
      const job = await previews.add('board-probe', { productId: 424242 }, { delay: 3_600_000, jobId: `board-probe-${Date.now()}` });
      const all = await admin.agent.get('/admin/queues/api/queues').set('Accept', 'application/json').expect(200);
      expect(all.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual([PIPELINES_QUEUE, PREVIEWS_QUEUE].sort());
      const delayed = await admin.agent
        .get('/admin/queues/api/queues')
        .query({ activeQueue: PREVIEWS_QUEUE, status: 'delayed', page: 1, jobsPerPage: 10 })
        .expect(200);
      const queue = delayed.body.queues.find((entry: { name: string }) => entry.name === PREVIEWS_QUEUE);
      expect(queue.counts.delayed).toBeGreaterThanOrEqual(1);
      const shown = queue.jobs.find((entry: { id: string }) => entry.id === String(job.id));
      expect(shown).toMatchObject({ name: 'board-probe', data: { productId: 424242 } });
    });

    it('takes an action only from a page of this site (no CSRF token needed, but a cross-site one is refused)', async () => {
      const job = await previews.add('board-clean', { n: 1 }, { delay: 3_600_000, jobId: `board-clean-${Date.now()}` });
      // No Origin or Sec-Fetch-Site: not a browser page; another site: refused. The job is still there after both.
      await admin.agent.put(`/admin/queues/api/queues/${PREVIEWS_QUEUE}/${job.id}/clean`).expect(403);
      const forged = await admin.agent
        .put(`/admin/queues/api/queues/${PREVIEWS_QUEUE}/${job.id}/clean`)
        .set('Origin', 'http://evil.example')
        .set('Sec-Fetch-Site', 'cross-site')
        .expect(403);
      expect(forged.body.message).toContain('did not come from a page of this site');
      expect(await previews.getJob(job.id)).not.toBeNull();
      // The board's own request, as a browser sends it from the page.
      await admin.agent
        .put(`/admin/queues/api/queues/${PREVIEWS_QUEUE}/${job.id}/clean`)
        .set('Origin', origin)
        .set('Sec-Fetch-Site', 'same-origin')
        .expect(204);
      expect(await previews.getJob(job.id)).toBeNull();
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a sane incoming id', async () => {
      const response = await portal.http.get('/healthz').set('X-Request-Id', 'lb-4f2a.9_Z').expect(200);
      expect(response.headers['x-request-id']).toBe('lb-4f2a.9_Z');
    });

    it('replaces a missing, overlong or odd one with a fresh UUID', async () => {
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      const none = await portal.http.get('/healthz').expect(200);
      expect(none.headers['x-request-id']).toMatch(uuid);
      const odd = await portal.http.get('/targets').set('X-Request-Id', 'two words"<x>').expect(302);
      expect(odd.headers['x-request-id']).toMatch(uuid);
      const long = await portal.http.get('/healthz').set('X-Request-Id', 'a'.repeat(129)).expect(200);
      expect(long.headers['x-request-id']).toMatch(uuid);
      expect(long.headers['x-request-id']).not.toBe(none.headers['x-request-id']);
    });
  });

  describe('/healthz and /readyz', () => {
    it('is up, and ready with PostgreSQL and Redis both answering', async () => {
      await portal.http.get('/healthz').expect(200, { status: 'ok' });
      const ready = await portal.http.get('/readyz').expect(200);
      expect(ready.body).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });
    });

    it('answers 503 naming Redis when the queue cannot reach it, and recovers', async () => {
      const client = portal.app.get<Queue>(getQueueToken(PIPELINES_QUEUE)).client;
      client.disconnect();
      try {
        const down = await portal.http.get('/readyz').timeout(10_000).expect(503);
        expect(down.body.status).toBe('unavailable');
        expect(down.body.database).toBe('ok');
        expect(down.body.redis).not.toBe('ok');
      } finally {
        await client.connect().catch(() => undefined);
      }
      const back = await portal.http.get('/readyz').expect(200);
      expect(back.body.redis).toBe('ok');
    });
  });
});
