import { PipelineRunsService, RUN_MAX_ATTEMPTS } from '../src/pipeline-runs/pipeline-runs.service';
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

  it('queues runs left running without a job again (as at boot): the restart is attempt 2, and a run out of attempts fails', async () => {
    // As a process that died mid-run leaves them on the embedded default, whose Redis keeps no job.
    const [restarted, exhausted] = await portal.dataSource.query(
      `INSERT INTO pipeline_runs (pipeline_key, identifier, target_id, input_ids, state, status, attempt, started_at)
       VALUES ('Slow sleeper', 'slow_orphan_1', $1, ARRAY[$2::int], 'running', 'Working', 1, now()),
              ('Slow sleeper', 'slow_orphan_2', $1, ARRAY[$2::int], 'running', 'Working', ${RUN_MAX_ATTEMPTS}, now())
       RETURNING id`,
      [targetId, productId],
    );
    expect(await portal.app.get(PipelineRunsService).requeueOrphans()).toBe(2);

    // The in-process worker starts it again (and the 1 s time limit ends it): its log says which attempt it is.
    const again = await waitForRun(portal, restarted.id, ['failed', 'succeeded', 'cancelled', 'interrupted'], 20_000);
    expect({ state: again.state, attempt: again.attempt, failure: again.failure_message }).toEqual({
      state: 'failed',
      attempt: 2,
      failure: 'Stopped after the time limit of 1 s',
    });
    const log = await logOf(portal, restarted.id);
    expect(log[0]).toBe(`Worker restarted: attempt 2 of ${RUN_MAX_ATTEMPTS}`);
    expect(log[1]).toMatch(/^Running Slow sleeper/);

    // The other had used all its attempts: it is not started again, and says why.
    const gaveUp = await waitForRun(portal, exhausted.id, ['failed', 'succeeded', 'cancelled', 'interrupted'], 20_000);
    const message = `Stopped after ${RUN_MAX_ATTEMPTS} attempts: its worker stopped during each of them`;
    expect({ state: gaveUp.state, attempt: gaveUp.attempt, failure: gaveUp.failure_message }).toEqual({ state: 'failed', attempt: RUN_MAX_ATTEMPTS, failure: message });
    expect(await logOf(portal, exhausted.id)).toEqual([message]);
  });
});
