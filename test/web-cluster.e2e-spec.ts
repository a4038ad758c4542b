import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { io as connect, Socket } from 'socket.io-client';
import { ensureBuilt } from './utils/built-dist';
import { eventually, freePort, killHard } from './utils/fault-tools';
import { errorLines, PortalProcess } from './utils/portal-process';
import { describeUnlessMissing } from './utils/required';
import { createTarget, FIXTURES, LoggedIn, loginAs, startTestPortal, TestPortal, uploadOne } from './utils/test-app';
import { UsersService } from '../src/users/users.service';

/**
 * `WEB_PROCESSES=2 npm start` on servers (the built dist/src/main.js): node:cluster's primary and two web processes
 * sharing the port. Sockets land on both (round-robin), and a run's log lines reach every watcher whichever process
 * runs it, through the Redis adapter. Ctrl-C stops all three.
 */
const GATE_PIPELINES = path.join(FIXTURES, 'pipelines', 'shutdown', 'shutdown.config.json');
const servers = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

beforeAll(() => ensureBuilt(), 300_000);

describeUnlessMissing(servers ? '' : 'DATABASE_URL and REDIS_URL are not set', 'several web processes on one port (e2e, servers, built dist/)', () => {
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-gates-'));
  let portal: TestPortal;
  let web: PortalProcess;
  let user: LoggedIn;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // The test's own app empties the database and makes the account; it takes no job and serves nothing.
    portal = await startTestPortal({ pipelinesConfig: GATE_PIPELINES, env: { IN_PROCESS_WORKER: 'false' } });
    await portal.app.get(UsersService).create('cluster-teacher', 'cluster-password-1', 'teacher');
    const port = await freePort();
    web = new PortalProcess(
      'main',
      {
        ...process.env,
        WEB_PROCESSES: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: portal.dataDir,
        SEED_DEMO: 'false',
        SESSION_SECRET: 'cluster-test-secret',
        PIPELINES_CONFIG: GATE_PIPELINES,
        LOG_FORMAT: 'text',
      },
      `http://127.0.0.1:${port}`,
    );
    await web.waitFor(/Portal ready[^\n]*\(web process \d+\)[\s\S]*Portal ready[^\n]*\(web process \d+\)/, 120_000);
    user = await loginAs(web.url, 'cluster-teacher', 'cluster-password-1');
  }, 240_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await killHard(web.child);
    await portal?.close();
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  it('two web processes serve the port; every watcher gets the run’s lines whichever process holds its socket', async () => {
    const pids = [...web.output.matchAll(/Portal ready[^\n]*\(web process (\d+)\)/g)].map((match) => Number(match[1]));
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(web.child.pid);

    const targetId = await createTarget(user, { name: 'Cluster target', ra: '10', dec: '10' });
    const gate = path.join(gateDir, 'gate');
    const productId = await uploadOne(user, targetId, Buffer.from(gate), 'gate.txt', 'other');
    const response = await user.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ pipeline: 'Chatty gate', productIds: String(productId), _csrf: user.csrf })
      .expect(201);
    const runId: number = response.body.id;

    // Six connections: round-robin puts three on each process.
    const cookie = (await user.agent.get('/targets')).request.cookies;
    const received: string[][] = [];
    for (let i = 0; i < 6; i++) {
      const texts: string[] = [];
      received.push(texts);
      const socket = connect(web.url, { extraHeaders: { Cookie: cookie }, transports: ['websocket'], reconnection: false });
      sockets.push(socket);
      socket.on('log-lines', (lines: Array<{ text: string }>) => texts.push(...lines.map((line) => line.text)));
      await new Promise((resolve, reject) => {
        socket.on('connect_error', reject);
        socket.on('connect', () => socket.emit('join-run', { runId, after: 0 }, resolve));
      });
    }
    fs.writeFileSync(gate, 'open');
    await eventually('every watcher to see the run finish', () => received.every((texts) => texts.some((text) => text.startsWith('Finished'))), 60_000);
    for (const texts of received) expect(texts).toContain('gate open');

    // Long polling would send one session's requests to both processes: only WebSockets are served.
    const polling = connect(web.url, { extraHeaders: { Cookie: cookie }, transports: ['polling'], reconnection: false });
    sockets.push(polling);
    await expect(new Promise((resolve, reject) => (polling.on('connect', () => resolve('connected')), polling.on('connect_error', (error) => reject(error))))).rejects.toThrow();
  }, 180_000);

  it('Ctrl-C stops the primary and both web processes cleanly', async () => {
    const pids = [...web.output.matchAll(/Portal ready[^\n]*\(web process (\d+)\)/g)].map((match) => Number(match[1]));
    web.child.kill('SIGINT');
    const { code } = await web.exited;
    expect({ code, errors: errorLines(web.output) }).toEqual({ code: 0, errors: [] });
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 120_000);
});
