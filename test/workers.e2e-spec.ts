import { ChildProcess } from 'node:child_process';
import { RUN_MAX_ATTEMPTS } from '../src/pipeline-runs/pipeline-runs.service';
import { eventually, killHard, untilReady } from './utils/fault-tools';
import { describeUnlessMissing } from './utils/required';
import { createTarget, LoggedIn, logOf, spawnBuilt, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';
import { ensureBuilt } from './utils/built-dist';

// Separate workers need a Redis they can share; the embedded server forces the web process to run jobs itself.
const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

function startWorker(portal: TestPortal): Promise<ChildProcess> {
  const child = spawnBuilt(portal, 'worker', [], {
    PIPELINES_CONFIG: TEST_PIPELINES,
    PIPELINE_CONCURRENCY: '1',
    PIPELINE_LOCK_SECONDS: '2',
  });
  return untilReady(child, 'worker', 'Worker ready', 90_000);
}

const workerPidOf = (line: string) => Number(/worker [^:]+:(\d+)/.exec(line)?.[1] ?? 0);

describeUnlessMissing(realServers ? '' : 'needs DATABASE_URL and REDIS_URL', 'separate worker processes (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let targetId: number;
  let productId: number;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES, env: { IN_PROCESS_WORKER: 'false', PIPELINE_LOCK_SECONDS: '2' } });
    teacher = await portal.login('teacher-w', 'teacher');
    targetId = await createTarget(teacher, { name: 'Worker test', ra: '1', dec: '1' });
    productId = await uploadOne(teacher, targetId, Buffer.from('input'), 'input.txt', 'other');
    // Each worker is kept as soon as it is ready, so afterAll stops it even when the other one fails to start.
    await Promise.all([0, 1].map(async () => workers.push(await startWorker(portal))));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(workers.map(killHard));
    await portal?.close();
  });

  const start = async (pipeline: string) => {
    const response = await teacher.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline, productIds: String(productId), _csrf: teacher.csrf })
      .expect(303);
    return Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
  };

  it('two workers split the queue', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await start('Short sleeper'));
    const pids = new Set<number>();
    for (const id of ids) {
      expect((await waitForRun(portal, id, ['succeeded', 'failed'], 30_000)).state).toBe('succeeded');
      pids.add(workerPidOf((await logOf(portal, id))[0]));
    }
    expect([...pids].sort()).toEqual(workers.map((w) => w.pid).sort());
  }, 60_000);

  it('a worker killed mid-run (kill -9) does not leave the run running: another worker takes it over', async () => {
    const id = await start('Slow sleeper');
    await waitForRun(portal, id, ['running'], 30_000);
    const firstPid = await eventually('the run\'s start line', async () => workerPidOf((await logOf(portal, id))[0] ?? ''), 10_000);
    expect(workers.map((w) => w.pid)).toContain(firstPid);
    process.kill(firstPid, 'SIGKILL');
    // Bull's stalled-job check (every PIPELINE_LOCK_SECONDS) hands the job to the surviving worker, which says so.
    const log = await eventually(
      'another worker to take the run over',
      async () => {
        const lines = await logOf(portal, id);
        return lines.some((line) => line.startsWith('Running Slow sleeper') && workerPidOf(line) !== firstPid) ? lines : null;
      },
      30_000,
      250,
    );
    const [run] = await portal.dataSource.query('SELECT state, attempt FROM pipeline_runs WHERE id = $1', [id]);
    expect(run).toEqual({ state: 'running', attempt: 2 });
    expect(log).toContain(`Worker restarted: attempt 2 of ${RUN_MAX_ATTEMPTS}`);
    await teacher.agent.post(`/pipeline/${id}/cancel`).type('form').send({ _csrf: teacher.csrf }).expect(303);
    expect((await waitForRun(portal, id, ['cancelled', 'failed', 'succeeded', 'interrupted'], 20_000)).state).toBe('cancelled');
  }, 90_000);
});
