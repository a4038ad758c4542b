import { ChildProcess, spawn } from 'node:child_process';
import { builtEntry, ROOT } from './built-dist';
import { freePort } from './fault-tools';

/**
 * A portal process as `npm start` (dist/src/main.js) or `npm run start:worker` (dist/src/worker.js) runs it, with
 * its output kept for the assertions.
 */
export class PortalProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';
  private readonly waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];

  constructor(entry: 'main' | 'worker', env: NodeJS.ProcessEnv, readonly url = '') {
    this.child = spawn(process.execPath, [builtEntry(entry)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer) => {
      this.output += chunk;
      for (const waiter of [...this.waiters]) {
        if (waiter.pattern.test(this.output)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves once the output matches `pattern`; rejects if the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (pattern.test(this.output)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No ${pattern} in the process's output after ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      this.waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`The process exited (${code ?? signal}) before printing ${pattern}:\n${this.tail()}`));
      });
    });
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}

/** What a spec's web process differs in: its data directory, session secret, pipelines and database. */
export interface WebEnvOptions {
  dataDir: string;
  sessionSecret: string;
  pipelinesConfig: string;
  /** The embedded default: DATABASE_URL and REDIS_URL are dropped, whatever the test process has. */
  embedded: boolean;
  /** Variables set last, over everything else. */
  env?: NodeJS.ProcessEnv;
}

/** The environment of a web process on `port` (for startWebOnFreePort): the test's own, the options' and `env` last. */
export function envFor(port: number, options: WebEnvOptions): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: options.dataDir,
    SEED_DEMO: 'false',
    SESSION_SECRET: options.sessionSecret,
    PIPELINES_CONFIG: options.pipelinesConfig,
    LOG_FORMAT: 'text',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  if (options.embedded) {
    delete base.DATABASE_URL;
    delete base.REDIS_URL;
  }
  return base;
}

/**
 * `dist/src/main.js` on a free loopback port, once it says `ready`. A port is free when chosen but taken only when the
 * portal listens, after its embedded services have bound ports of their own; when something took it meanwhile
 * (EADDRINUSE) the start is tried again on another port, three times at most. `track` sees every process started.
 */
export async function startWebOnFreePort(
  envFor: (port: number) => NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs: number,
  track: (web: PortalProcess) => void = () => undefined,
): Promise<PortalProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const web = new PortalProcess('main', envFor(port), `http://127.0.0.1:${port}`);
    track(web);
    try {
      await web.waitFor(ready, timeoutMs);
      return web;
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(web.output)) throw error;
      await web.exited;
    }
  }
}

/** SIGTERM, then the exit: status 0, nothing logged at error level, no connection used after it closed. */
export async function stop(web: PortalProcess): Promise<void> {
  web.child.kill('SIGTERM');
  await expectCleanExit(web);
}

export async function expectCleanExit(web: PortalProcess): Promise<void> {
  const { code, signal } = await web.exited;
  expect({ code, signal, errors: errorLines(web.output) }).toEqual({ code: 0, signal: null, errors: [] });
  expect(web.output).not.toMatch(/Connection is closed/);
}

/** Lines the portal logged at error or fatal level, and whatever Node printed of an uncaught error. */
export function errorLines(output: string): string[] {
  return output.split('\n').filter((line) => /^\S+ (ERROR|FATAL)\b|^\w*Error\b|Unhandled|unhandled/.test(line));
}

/** The account the tests log in with, made by the CLI before any web process opens the embedded database. */
export async function createUserWithCli(dataDir: string, username: string, password: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(
    process.execPath,
    [builtEntry('cli'), 'user:create', '--username', username, '--password', password, '--role', 'teacher'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`user:create failed (${code}): ${output}`);
}
