import { ChildProcess } from 'node:child_process';
import { createTarget, LoggedIn, logOf, spawnFromSources, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

// Separate workers need a Redis they can share; the embedded server forces the web process to run jobs itself.
const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

function startWorker(portal: TestPortal): Promise<ChildProcess> {
  const child = spawnFromSources(portal, 'worker.ts', [], {
    PIPELINES_CONFIG: TEST_PIPELINES,
    PIPELINE_CONCURRENCY: '1',
    PIPELINE_LOCK_SECONDS: '2',
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Worker ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

const workerPidOf = (line: string) => Number(/worker [^:]+:(\d+)/.exec(line)?.[1] ?? 0);

(realServers ? describe : describe.skip)('separate worker processes (e2e, needs DATABASE_URL and REDIS_URL)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let targetId: number;
  let productId: number;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES, env: { IN_PROCESS_WORKER: 'false', PIPELINE_LOCK_SECONDS: '2' } });
    teacher = await portal.login('teacher-w', 'teacher');
    targetId = await createTarget(teacher, { name: 'Worker test', ra: '1', dec: '1' });
    productId = await uploadOne(teacher, targetId, Buffer.from('input'), 'input.txt', 'other');
    workers.push(...(await Promise.all([startWorker(portal), startWorker(portal)])));
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
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
    let firstPid = 0;
    for (let i = 0; i < 100 && !firstPid; i++) {
      firstPid = workerPidOf((await logOf(portal, id))[0] ?? '');
      if (!firstPid) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(workers.map((w) => w.pid)).toContain(firstPid);
    process.kill(firstPid, 'SIGKILL');
    // Bull's stalled-job check (every PIPELINE_LOCK_SECONDS) hands the job to the surviving worker.
    const deadline = Date.now() + 30_000;
    let takenOver = false;
    while (!takenOver && Date.now() < deadline) {
      const starts = (await logOf(portal, id)).filter((line) => line.startsWith('Running Slow sleeper'));
      takenOver = starts.some((line) => workerPidOf(line) !== firstPid);
      const [run] = await portal.dataSource.query('SELECT state FROM pipeline_processes WHERE id = $1', [id]);
      if (run.state === 'failed') takenOver = true; // also acceptable: failed, never "running" forever
      if (!takenOver) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(takenOver).toBe(true);
    await teacher.agent.post(`/pipeline/${id}/cancel`).type('form').send({ _csrf: teacher.csrf }).expect(303);
    expect(['cancelled', 'failed']).toContain((await waitForRun(portal, id, ['cancelled', 'failed'], 20_000)).state);
  }, 90_000);
});
