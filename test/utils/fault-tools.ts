import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A free loopback TCP port (bound once, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A loopback TCP proxy that can be cut and restored, standing in for a network fault between the app and a
 * server. Cut: every open connection is destroyed and new ones are closed at once, as a server going away does.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  private cut = false;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.cut) return void client.destroy();
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Drops every connection and refuses new ones until restore(). */
  cutAll(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The redis-server binary, or null when it is not installed. */
export function redisServerBinary(): string | null {
  try {
    return execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** A throwaway redis-server on `port` that keeps nothing on disk; resolves once it accepts connections. */
export function startRedisServer(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return untilReady(child, 'redis-server', 'Ready to accept connections', 10_000);
}

/**
 * Resolves with `child` once its output contains `readyText`. On every failure path (timeout, early exit, spawn
 * error) the child is SIGKILLed before the promise rejects: a half-started worker left behind would take later
 * files' jobs from the shared queue.
 */
export function untilReady(child: ChildProcess, name: string, readyText: string, timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // SIGKILL is delivered at once; no waiting for 'exit', which a child that never spawned does not send.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`${name} ${why}: ${output}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (!settled && output.includes(readyText)) {
        settled = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => fail(`could not be started (${error.message})`));
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? code})`));
  });
}

/** SIGKILLs a child and waits until it is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The initdb binary, or null when PostgreSQL's server tools are not installed. */
export function initdbBinary(): string | null {
  try {
    const found = execFileSync('which', ['initdb'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on PATH: Debian's packages keep the server's programs per version
  }
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const candidate = versions.map((version) => `/usr/lib/postgresql/${version}/bin/initdb`).find((file) => fs.existsSync(file));
  return candidate ?? null;
}

/** A PostgreSQL server of a test's own, on a data directory it can crash and start again. */
export interface ScratchPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** SIGKILLs the postmaster and every backend of it at once (a crash: nothing shuts down, nothing is flushed on the way out). */
  kill9(): Promise<void>;
  /** Starts the server again on the same data directory and port; resolves once crash recovery is done and it accepts connections. */
  restart(): Promise<void>;
  /** Stops it (fast shutdown) and deletes its data directory. */
  stop(): Promise<void>;
}

// initdb and postgres refuse to run as root: as root, they run as the system's `postgres` account (or `nobody`).
function pgRunAs(): string[] {
  if (process.getuid?.() !== 0) return [];
  const user = ['postgres', 'nobody'].find((name) => {
    try {
      execFileSync('id', ['-u', name], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!user) throw new Error('Running as root with neither a postgres nor a nobody account to run PostgreSQL as');
  // setpriv execs (no fork, unlike runuser), so the spawned child is the postmaster itself.
  return ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--'];
}

/** The pids of the direct children of `pid` (a postmaster's backends and auxiliary processes), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command name, which is in parentheses and may hold spaces.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/**
 * initdb on a fresh directory (trust auth, user postgres), then `postgres` on a free loopback port with fsync on;
 * `settings` adds server settings (`-c name=value`), e.g. to check that a test notices `synchronous_commit=off`.
 */
export async function startScratchPostgres(settings: Record<string, string> = {}): Promise<ScratchPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scratch-pg-'));
  const dataDir = path.join(root, 'data');
  const runAs = pgRunAs();
  if (runAs.length) execFileSync('chown', [runAs[1].slice('--reuid='.length), root]);
  const command = (argv: string[]) => [...runAs, ...argv];
  // initdb and postgres from the same installation (PATH, or Debian's /usr/lib/postgresql/<version>/bin).
  const bin = path.dirname(initdbBinary() ?? 'initdb');
  const [initBin, ...initArgs] = command([path.join(bin, 'initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
  execFileSync(initBin, initArgs, { cwd: root, stdio: 'pipe' });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const [server, ...args] = command([path.join(bin, 'postgres'), '-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])]);
    child = await untilReady(spawn(server, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }), 'postgres', 'database system is ready to accept connections', 60_000);
  };
  const gone = (pid: number) => !fs.existsSync(`/proc/${pid}`);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    kill9: async () => {
      const postmaster = child!;
      const backends = childrenOf(postmaster.pid!);
      // The postmaster first, so it forks nothing more; then its children, all without a chance to clean up.
      const exited = killHard(postmaster);
      for (const pid of backends) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exited;
      await eventually('the killed backends to be gone', () => backends.every(gone), 10_000, 20);
    },
    restart: async () => {
      // A backend forked just before the kill may still hold the old shared memory for a moment: then try again.
      await eventually('PostgreSQL to start again', async () => (await start(), true), 30_000, 200);
    },
    stop: async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => {
          child!.once('exit', resolve);
          child!.kill('SIGINT');
        });
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
