import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

/** What a child of the portal tells its parent over the IPC channel. */
export type ChildMessage = { type: 'ready'; databaseUrl?: string; redisUrl?: string } | { type: 'failed'; message: string };

/** A process the web process started and must stop: the embedded services, or the pipeline worker. */
export interface PortalChild {
  /** Names it in messages, e.g. "pipeline worker process". */
  readonly name: string;
  readonly pid: number;
  readonly ready: Extract<ChildMessage, { type: 'ready' }>;
  /** Asks it to stop and waits for its exit; kills it after `killAfterMs`. */
  stop(): Promise<void>;
  /** Passes a second stop signal on (the worker then interrupts its runs at once). */
  hurry(): void;
  /** Called once if it exits before `stop()` was called. */
  onUnexpectedExit(listener: (description: string) => void): void;
}

export interface ForkOptions {
  name: string;
  /** A built entry under dist/src, e.g. `worker` for dist/src/worker.js. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** How it is asked to stop: an IPC `stop` message, or SIGTERM. */
  stopWith: 'message' | 'signal';
  killAfterMs: number;
  readyTimeoutMs?: number;
}

/** dist/src/<entry>.js beside this file's compiled copy. Forking needs the built portal, which `npm start` runs. */
export function builtEntryPath(entry: string): string {
  if (!__dirname.includes(`${path.sep}dist${path.sep}`)) {
    throw new Error(`The ${entry} process runs from the built portal: run \`npm run build\` and start dist/src/main.js`);
  }
  return path.join(__dirname, '..', `${entry}.js`);
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `was killed by ${signal}` : `exited with code ${code}`);

/**
 * Forks a child in a process group of its own, so a Ctrl-C at the terminal reaches only the web process, which
 * stops its children in order (the worker first, the database and Redis last). The child stops by itself when the
 * IPC channel closes, so none is left behind if the web process dies.
 */
export async function forkPortalChild(options: ForkOptions): Promise<PortalChild> {
  const child: ChildProcess = fork(builtEntryPath(options.entry), [], {
    detached: true,
    env: { ...options.env, PORTAL_CHILD: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopping = false;
  let exitListener: ((description: string) => void) | undefined;
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(describeExit(code, signal))));

  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The ${options.name} did not start within ${(options.readyTimeoutMs ?? 120_000) / 1000} s`));
    }, options.readyTimeoutMs ?? 120_000);
    child.on('message', (message: ChildMessage) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(message.message));
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`The ${options.name} ${how} while starting`));
    });
  });

  void exited.then((how) => {
    if (!stopping) exitListener?.(`The ${options.name} (pid ${child.pid}) ${how}`);
  });

  return {
    name: options.name,
    pid: child.pid!,
    ready,
    onUnexpectedExit: (listener) => (exitListener = listener),
    hurry: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
    stop: async () => {
      if (stopping) return void (await exited);
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (options.stopWith === 'message' && child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child's side: tell the parent it is ready (or why it failed), and stop when asked or when the parent is gone.
 * Does nothing in a process started without an IPC channel (a worker started by hand).
 */
export const parentChannel = {
  present: (): boolean => typeof process.send === 'function' && process.env.PORTAL_CHILD === '1',
  send(message: ChildMessage): Promise<void> {
    if (!parentChannel.present() || !process.connected) return Promise.resolve();
    return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
  },
  /**
   * `stop` runs on the parent's `stop` message; `parentGone` when the channel closes because the parent died. Then
   * nothing is worth waiting for (the database went with it), so the process also exits after `exitAfterMs`.
   */
  onStop(stop: () => void, parentGone: () => void = stop, exitAfterMs = 10_000): void {
    if (!parentChannel.present()) return;
    process.on('message', (message: { type?: string }) => {
      if (message?.type === 'stop') stop();
    });
    process.on('disconnect', () => {
      setTimeout(() => process.exit(1), exitAfterMs).unref();
      parentGone();
    });
  },
};
