import { PipelineRunsService } from '../src/pipelines/pipeline-runs.service';
import { createTarget, LoggedIn, logOf, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

describe('pipeline time limit and runs orphaned by a restart (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let targetId: number;
  let productId: number;

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES, env: { PIPELINE_TIMEOUT_SECONDS: '1' } });
    teacher = await portal.login('teacher-limits', 'teacher');
    targetId = await createTarget(teacher, { name: 'Limits', ra: '1', dec: '1' });
    productId = await uploadOne(teacher, targetId, Buffer.from('input'), 'input.txt', 'other');
  });
  afterAll(() => portal.close());

  it('stops a run that exceeds PIPELINE_TIMEOUT_SECONDS and marks it failed', async () => {
    const response = await teacher.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline: 'Slow sleeper', productIds: String(productId), _csrf: teacher.csrf })
      .expect(303);
    const id = Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
    const done = await waitForRun(portal, id, ['failed', 'succeeded', 'cancelled'], 20_000);
    expect(done.state).toBe('failed');
    expect(done.failure_message).toBe('Stopped after the time limit of 1 s');
    expect((await logOf(portal, id)).pop()).toBe('Stopped after the time limit of 1 s');
  });

  it('marks runs left queued or running without a job as interrupted (as at boot)', async () => {
    const [orphan] = await portal.dataSource.query(
      `INSERT INTO pipeline_processes (pipeline_key, identifier, target_id, input_ids, state, status)
       VALUES ('Slow sleeper', 'slow_orphan_1', $1, ARRAY[$2::int], 'running', 'Working') RETURNING id`,
      [targetId, productId],
    );
    expect(await portal.app.get(PipelineRunsService).interruptOrphans()).toBe(1);
    const [row] = await portal.dataSource.query('SELECT state, status FROM pipeline_processes WHERE id = $1', [orphan.id]);
    expect(row.state).toBe('interrupted');
    expect(row.status).toContain('restarted');
  });
});
