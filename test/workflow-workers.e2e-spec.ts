import { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ensureBuilt } from './utils/built-dist';
import { killHard, untilReady } from './utils/fault-tools';
import { describeUnlessMissing } from './utils/required';
import { createTarget, FIXTURES, LoggedIn, spawnBuilt, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

const WORKFLOW_PIPELINES = path.join(FIXTURES, 'pipelines', 'workflows.config.json');

// Separate workers need a Redis they can share; the embedded server forces the web process to run jobs itself.
const realServers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describeUnlessMissing(realServers ? '' : 'needs DATABASE_URL and REDIS_URL', 'steps of two workflow runs on two workers (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal({ pipelinesConfig: WORKFLOW_PIPELINES, env: { IN_PROCESS_WORKER: 'false' } });
    teacher = await portal.login('teacher-w', 'teacher');
    await Promise.all(
      [0, 1].map(async () => workers.push(await untilReady(spawnBuilt(portal, 'worker', [], { PIPELINES_CONFIG: WORKFLOW_PIPELINES, PIPELINE_CONCURRENCY: '1' }), 'worker', 'Worker ready', 90_000))),
    );
  }, 300_000);
  afterAll(async () => {
    await Promise.all(workers.map(killHard));
    await portal?.close();
  });

  it('interleaves the steps of two runs across both workers', async () => {
    const targetId = await createTarget(teacher, { name: 'Naps', ra: '1', dec: '1' });
    const productId = await uploadOne(teacher, targetId, Buffer.from('input'), 'input.txt', 'other');
    const post = (body: object) => teacher.agent.post('/api/processes').set('X-CSRF-Token', teacher.csrf).send(body).expect(201);
    const runs = [(await post({ targetId, pipeline: 'Two naps', inputIds: [productId] })).body.id, (await post({ targetId, pipeline: 'Two naps', inputIds: [productId] })).body.id];
    for (const id of runs) expect((await waitForRun(portal, id, ['succeeded', 'failed'], 60_000)).state).toBe('succeeded');
    const steps: Array<{ run_id: number; provenance: { workerPid: number; startedAt: string; finishedAt: string } }> = await portal.dataSource.query(
      'SELECT run_id, provenance FROM pipeline_run_steps WHERE run_id = ANY($1::int[]) ORDER BY run_id, position',
      [runs],
    );
    expect(steps).toHaveLength(4);
    // Both workers took steps, and the two runs' steps ran at the same time rather than one run after the other.
    expect(new Set(steps.map((step) => step.provenance.workerPid)).size).toBe(2);
    const windows = steps.map((step) => ({ run: step.run_id, from: Date.parse(step.provenance.startedAt), to: Date.parse(step.provenance.finishedAt) }));
    const overlapping = windows.some((a) => windows.some((b) => a.run !== b.run && a.from < b.to && b.from < a.to));
    expect(overlapping).toBe(true);
  });
});
