import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt } from './utils/built-dist';
import { eventually, killHard } from './utils/fault-tools';
import { createUserWithCli, envFor, errorLines, PortalProcess, startWebOnFreePort, stop } from './utils/portal-process';
import { createTarget, FIXTURES, LoggedIn, loginAs, uploadOne } from './utils/test-app';

/**
 * The embedded default as `npm start` runs it (dist/src/main.js, no DATABASE_URL or REDIS_URL): the database and
 * the Redis-protocol server in a process of their own, the pipeline jobs in a worker process, several at once.
 * Runs use the "Chatty gate" pipeline, which finishes only when the test creates its gate file.
 */

const GATE_PIPELINES = path.join(FIXTURES, 'pipelines', 'shutdown', 'shutdown.config.json');
const PASSWORD = 'embedded-processes-1';
const USERNAME = 'embedded-teacher';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids the web process printed for its children. */
function childPids(web: PortalProcess): { database: number; redis: number; worker: number } {
  const database = Number(/embedded PGlite in a process of its own \(pid (\d+)\)/.exec(web.output)?.[1]);
  const redis = Number(/Queue: embedded [^\n]* in a process of its own \(pid (\d+)\)/.exec(web.output)?.[1]);
  const worker = Number(/Pipeline worker process started \(pid (\d+)\)/.exec(web.output)?.[1]);
  if (!database || !redis || !worker) throw new Error(`No child pids in the output:\n${web.tail()}`);
  return { database, redis, worker };
}

beforeAll(() => ensureBuilt(), 300_000);

describe('the embedded default in processes of its own (e2e, built dist/)', () => {
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-gates-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-embedded-'));
  const processes: PortalProcess[] = [];
  let gates = 0;

  beforeAll(() => createUserWithCli(dataDir, USERNAME, PASSWORD), 120_000);
  afterAll(async () => {
    await Promise.all(processes.map((web) => killHard(web.child)));
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  async function startWeb(env: NodeJS.ProcessEnv = {}): Promise<{ web: PortalProcess; user: LoggedIn }> {
    const options = { dataDir, sessionSecret: 'embedded-processes-secret', pipelinesConfig: GATE_PIPELINES, embedded: true, env };
    const web = await startWebOnFreePort((port) => envFor(port, options), /Portal ready/, 90_000, (started) => processes.push(started));
    return { web, user: await loginAs(web.url, USERNAME, PASSWORD) };
  }

  /** Starts a gated run; returns its id and its gate file. */
  async function startGatedRun(user: LoggedIn, targetId: number): Promise<{ id: number; gate: string }> {
    const gate = path.join(gateDir, `gate-${++gates}`);
    const productId = await uploadOne(user, targetId, Buffer.from(gate), `gate-${gates}.txt`, 'other');
    const response = await user.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ pipeline: 'Chatty gate', productIds: String(productId), _csrf: user.csrf })
      .expect(201);
    return { id: response.body.id, gate };
  }

  const runState = async (user: LoggedIn, id: number) => (await user.agent.get(`/pipeline/${id}/log?after=2147483647`).expect(200)).body.state as string;
  const runLog = async (user: LoggedIn, id: number): Promise<string[]> => {
    const texts: string[] = [];
    for (let after = 0; ; ) {
      const { lines } = (await user.agent.get(`/pipeline/${id}/log?after=${after}`).expect(200)).body;
      if (!lines.length) return texts;
      texts.push(...lines.map((line: { text: string }) => line.text));
      after = lines.at(-1).seq;
    }
  };

  it('runs two jobs at once in its worker process, and both finish; Ctrl-C stops every process', async () => {
    const { web, user } = await startWeb({ PIPELINE_CONCURRENCY: '2' });
    const { database, redis, worker } = childPids(web);
    expect(web.output).toContain('Pipeline worker process started');
    expect(web.output).toContain('2 job(s) at a time');
    const targetId = await createTarget(user, { name: 'Two at once', ra: '10', dec: '10' });
    const runs = [await startGatedRun(user, targetId), await startGatedRun(user, targetId)];
    // Both are running at the same moment: neither can finish before the test opens its gate.
    await eventually('both runs running', async () => (await Promise.all(runs.map((run) => runState(user, run.id)))).every((state) => state === 'running'), 60_000);
    for (const run of runs) fs.writeFileSync(run.gate, 'open');
    await eventually('both runs succeeded', async () => (await Promise.all(runs.map((run) => runState(user, run.id)))).every((state) => state === 'succeeded'), 60_000);
    // The work happened in the worker process: its pid is on the run's "Running …" line.
    for (const run of runs) expect((await runLog(user, run.id)).find((text) => text.startsWith('Running Chatty gate'))).toMatch(new RegExp(`:${worker}$`));

    // Ctrl-C at a terminal reaches the web process's group; the children (groups of their own) are stopped by it.
    web.child.kill('SIGINT');
    const { code } = await web.exited;
    expect({ code, errors: errorLines(web.output) }).toEqual({ code: 0, errors: [] });
    expect([isAlive(database), isAlive(redis), isAlive(worker)]).toEqual([false, false, false]);
  }, 240_000);

  it('queued and running runs survive a kill -9 of the whole portal and run once each at the next start', async () => {
    const { web, user } = await startWeb({ PIPELINE_CONCURRENCY: '1' });
    const { database, redis, worker } = childPids(web);
    const targetId = await createTarget(user, { name: 'Survives restarts', ra: '11', dec: '11' });
    const running = await startGatedRun(user, targetId);
    await eventually('the first run running', async () => (await runState(user, running.id)) === 'running', 60_000);
    const queued = [await startGatedRun(user, targetId), await startGatedRun(user, targetId)];
    for (const run of queued) expect(await runState(user, run.id)).toBe('queued');

    // The web process dies without a word; its children notice the closed channel and stop: no orphans.
    web.child.kill('SIGKILL');
    await web.exited;
    await eventually('the children gone', () => !isAlive(database) && !isAlive(redis) && !isAlive(worker), 30_000);

    for (const run of [running, ...queued]) fs.writeFileSync(run.gate, 'open');
    const next = await startWeb({ PIPELINE_CONCURRENCY: '2' });
    expect(next.web.output).toMatch(/Queued 3 run\(s\) again/);
    await eventually(
      'all three succeeded',
      async () => (await Promise.all([running, ...queued].map((run) => runState(next.user, run.id)))).every((state) => state === 'succeeded'),
      90_000,
      250,
    );
    for (const run of [running, ...queued]) {
      const texts = await runLog(next.user, run.id);
      // Each finished once; the one that was running was started again, and its page says so.
      expect(texts.filter((text) => text.startsWith('Finished'))).toHaveLength(1);
      expect(texts.filter((text) => text.startsWith('Running Chatty gate'))).toHaveLength(run === running ? 2 : 1);
    }
    const page = await next.user.agent.get(`/pipeline/${running.id}`).expect(200);
    expect(page.text).toContain('attempt 2 of');
    await stop(next.web);
  }, 300_000);

  it.each([
    ['pipeline worker process', 'worker'],
    ['embedded database process', 'database'],
    ['embedded Redis-protocol server process', 'redis'],
  ] as const)('a killed %s stops the whole portal with a message naming it', async (name, which) => {
    const { web } = await startWeb();
    const pids = childPids(web);
    process.kill(pids[which], 'SIGKILL');
    const { code } = await web.exited;
    expect(code).toBe(1);
    expect(web.output).toContain(`The ${name} (pid ${pids[which]}) was killed by SIGKILL: stopping the portal`);
    await eventually('no process left', () => !isAlive(pids.database) && !isAlive(pids.redis) && !isAlive(pids.worker), 30_000);
  }, 180_000);

  it('EMBEDDED_REDIS=redis-server runs the queue on redis-server from PATH', async () => {
    const { web, user } = await startWeb({ EMBEDDED_REDIS: 'redis-server' });
    expect(web.output).toContain('Queue: embedded redis-server from PATH');
    const targetId = await createTarget(user, { name: 'On redis-server', ra: '12', dec: '12' });
    const run = await startGatedRun(user, targetId);
    fs.writeFileSync(run.gate, 'open');
    await eventually('the run succeeded', async () => (await runState(user, run.id)) === 'succeeded', 60_000).catch((error) => {
      throw new Error(`${error.message}\n${web.tail(60)}`);
    });
    await stop(web);
  }, 180_000);
});
