import { io as connect, Socket } from 'socket.io-client';
import { PipelineLogService } from '../src/pipeline-runs/pipeline-log.service';
import { PipelineRunsService } from '../src/pipeline-runs/pipeline-runs.service';
import { UsersService } from '../src/users/users.service';
import { createTarget, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne } from './utils/test-app';

interface PushedLine {
  runId: number;
  seq: number;
  time: string;
  level: string;
  text: string;
}

describe('run log writer on the real database (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let runId: number;
  let baseUrl: string;

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    teacher = await portal.login('teacher-log', 'teacher');
    const targetId = await createTarget(teacher, { name: 'Log target', ra: '10', dec: '20' });
    const productId = await uploadOne(teacher, targetId, Buffer.from('notes'), 'notes.txt', 'other');
    const [{ id }] = await portal.dataSource.query(`SELECT id FROM users WHERE username = 'teacher-log'`);
    const user = (await portal.app.get(UsersService).findSessionUser(id))!;
    // Recorded but not queued: nothing writes to this run's log but the test.
    const run = await portal.app.get(PipelineRunsService).start(user, { pipelineName: 'Byte count', targetId, inputIds: [productId], flags: {} }, { enqueue: false });
    runId = run.id;
  });
  afterAll(() => portal.close());

  it('stores 500 lines logged at once with seq 1..500 in order, in far fewer INSERTs than lines; the room and ?after=N get the same lines', async () => {
    const cookie = (await teacher.agent.get('/targets')).request.cookies;
    const client: Socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'] });
    const pushed: PushedLine[] = [];
    client.on('log-lines', (lines: PushedLine[]) => pushed.push(...lines));
    const joined: any = await new Promise((resolve) => client.on('connect', () => client.emit('join-run', { runId, after: 0 }, resolve)));
    expect(joined).toMatchObject({ ok: true, lines: [] });

    // Count the statements the writer sends to Postgres, as they go out of the app's DataSource.
    const inserts: number[] = [];
    const original = portal.dataSource.query.bind(portal.dataSource);
    const query = jest.spyOn(portal.dataSource, 'query').mockImplementation((sql: string, parameters?: any[], queryRunner?: any) => {
      if (/^\s*INSERT INTO pipeline_log_lines/i.test(sql)) inserts.push((parameters![1] as number[]).length);
      return original(sql, parameters, queryRunner);
    });
    try {
      const writer = portal.app.get(PipelineLogService).writerAfter(runId, 0);
      for (let i = 1; i <= 500; i++) writer.write(i % 100 === 0 ? 'warning' : 'info', `line ${i} "quoted" \\ {braces}, commas`);
      await writer.flush();
    } finally {
      query.mockRestore();
    }

    const rows: Array<{ seq: number; level: string; text: string }> = await portal.dataSource.query(
      'SELECT seq, level, text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY id',
      [runId],
    );
    const expected = Array.from({ length: 500 }, (_, i) => ({
      seq: i + 1,
      level: (i + 1) % 100 === 0 ? 'warning' : 'info',
      text: `line ${i + 1} "quoted" \\ {braces}, commas`,
    }));
    // Stored once each, in insertion order = seq order.
    expect(rows).toEqual(expected);
    expect(inserts.reduce((a, b) => a + b, 0)).toBe(500);
    expect(inserts.length).toBeGreaterThanOrEqual(3); // at most 200 lines a statement
    expect(inserts.length).toBeLessThan(50);

    // Every line reaches the room once, in order, with what was stored; the fallback endpoint agrees.
    const deadline = Date.now() + 10_000;
    while (pushed.length < 500 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    client.disconnect();
    expect(pushed.map(({ seq, level, text }) => ({ seq, level, text }))).toEqual(expected);
    expect(pushed.every((line) => line.runId === runId)).toBe(true);
    const after = await teacher.agent.get(`/pipeline/${runId}/log?after=250`).set('Accept', 'application/json').expect(200);
    expect(after.body.lines).toEqual(pushed.slice(250).map(({ seq, time, level, text }) => ({ seq, time, level, text })));
  });
});
