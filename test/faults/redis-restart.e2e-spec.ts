import { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { io as connect, Socket } from 'socket.io-client';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal, uploadOne, waitForRun } from '../utils/test-app';
import { eventually, freePort, killHard, redisServerBinary, startRedisServer } from '../utils/fault-tools';
import { describeUnlessMissing } from '../utils/required';

// A Redis of the test's own (killed and restarted on the same port), with the portal's database on DATABASE_URL.
const binary = redisServerBinary();
const databaseUrl = process.env.DATABASE_URL;
const missing = !binary ? 'redis-server is not installed' : !databaseUrl ? 'needs DATABASE_URL' : '';

const FAULT_PIPELINES = path.join(FIXTURES, 'pipelines', 'faults', 'faults.config.json');

interface LiveLine {
  seq: number;
  text: string;
  receivedAt: number;
}

describeUnlessMissing(missing, 'Redis restarted mid-run (e2e, fault)', () => {
  let redisPort: number;
  let redis: ChildProcess;
  let portal: TestPortal;
  let teacher: LoggedIn;
  let baseUrl: string;
  let client: Socket | undefined;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedisServer(binary!, redisPort);
    portal = await startTestPortal({
      pipelinesConfig: FAULT_PIPELINES,
      env: { REDIS_URL: `redis://127.0.0.1:${redisPort}/0`, IN_PROCESS_WORKER: 'true', PIPELINE_LOCK_SECONDS: '5' },
    });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    teacher = await portal.login('teacher-redis', 'teacher');
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await portal?.close();
    if (redis) await killHard(redis);
  });

  it('keeps serving pages while Redis is down, reconnects, and live log lines resume in the run room', async () => {
    const targetId = await createTarget(teacher, { name: 'Redis fault', ra: '1', dec: '1' });
    const productId = await uploadOne(teacher, targetId, Buffer.from('input'), 'input.txt', 'other');
    const started = await teacher.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline: 'Long ticker', productIds: String(productId), _csrf: teacher.csrf })
      .expect(303);
    const runId = Number(/\/pipeline\/(\d+)/.exec(started.headers.location)![1]);
    await waitForRun(portal, runId, ['running'], 20_000);

    // A logged-in browser on the run page: join the room, then collect what arrives live.
    const cookie = (await teacher.agent.get('/targets')).request.cookies;
    const live: LiveLine[] = [];
    client = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'] });
    client.on('log-lines', (lines: Array<{ runId: number; seq: number; text: string }>) => {
      for (const line of lines) if (line.runId === runId) live.push({ seq: line.seq, text: line.text, receivedAt: Date.now() });
    });
    const joined: any = await new Promise((resolve) => client!.on('connect', () => client!.emit('join-run', { runId, after: 0 }, resolve)));
    expect(joined.ok).toBe(true);
    await eventually('a live line before the restart', () => live.some((line) => line.text.startsWith('tick')), 15_000);

    await killHard(redis);
    // Pages need Postgres only: the target list and the run page keep loading while Redis is gone.
    for (let i = 0; i < 3; i++) {
      const page = await teacher.agent.get('/targets').timeout(5_000);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Redis fault');
    }
    await teacher.agent.get(`/pipeline/${runId}`).timeout(5_000).expect(200);
    const health = await portal.http.get('/readyz').timeout(5_000);
    expect(health.status).toBe(503);
    expect(health.body.database).toBe('ok');
    expect(health.body.redis).not.toBe('ok');

    redis = await startRedisServer(binary!, redisPort);
    const restartedAt = Date.now();
    const [{ max: seqAtRestart }] = await portal.dataSource.query('SELECT max(seq)::int AS max FROM pipeline_log_lines WHERE run_id = $1', [runId]);

    // Lines written after the restart arrive in the room: the adapter resubscribed and the emitter reconnected.
    await eventually('live lines written after the restart', () => live.filter((line) => line.seq > seqAtRestart).length >= 3, 30_000);
    const after = live.filter((line) => line.seq > seqAtRestart);
    expect(after.every((line) => line.receivedAt >= restartedAt)).toBe(true);
    await eventually('Redis ready again', async () => (await portal.http.get('/readyz')).status === 200, 15_000, 250);

    // Nothing the browser missed is lost: stored lines have no gaps, and "after N" fills what the socket missed.
    const stored = await portal.dataSource.query('SELECT seq FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [runId]);
    expect(stored.map((row: { seq: number }) => row.seq)).toEqual(stored.map((_: unknown, i: number) => i + 1));
    const fetched = await teacher.agent.get(`/pipeline/${runId}/log?after=0`).set('Accept', 'application/json').expect(200);
    const fetchedSeqs = fetched.body.lines.map((line: { seq: number }) => line.seq);
    expect(fetchedSeqs.length).toBeGreaterThanOrEqual(stored.length);
    expect(fetchedSeqs).toEqual(fetchedSeqs.map((_: unknown, i: number) => i + 1));
    // Every line the socket delivered is a stored line with the same text (no phantom or altered lines).
    const byseq = new Map(fetched.body.lines.map((line: { seq: number; text: string }) => [line.seq, line.text]));
    expect(live.filter((line) => byseq.has(line.seq) && byseq.get(line.seq) !== line.text)).toEqual([]);

    // Cancel travels over the restarted Redis too (web → worker channel).
    await teacher.agent.post(`/pipeline/${runId}/cancel`).type('form').send({ _csrf: teacher.csrf }).expect(303);
    expect((await waitForRun(portal, runId, ['cancelled', 'failed', 'succeeded'], 20_000)).state).toBe('cancelled');
  }, 110_000);
});
