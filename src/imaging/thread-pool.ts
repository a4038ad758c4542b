/**
 * A small pool of worker threads for CPU-heavy work (decoding FITS, rendering previews, running the teaching
 * pipelines), so that the process's event loop stays free for requests, Bull's lock renewals and log streaming.
 *
 * A task names a module and an exported function: the thread requires the module (from the TypeScript sources
 * through ts-node's transpiler when this file itself runs from sources, as under Jest; else the compiled .js) and
 * calls `fn(...args, context)`. The context gives the task an AbortSignal and `emit(event)` to send events back
 * while it works. A task may return `transferable(value, list)` to hand over ArrayBuffers without a copy;
 * SharedArrayBuffers are shared by either side anyway. Errors come back as plain objects (name, message, stack and
 * own fields) for the caller to revive.
 *
 * Threads start on demand up to `maxThreads`, run one task at a time, are kept (unreferenced) for `idleMs` after
 * their last task, and are replaced when one dies. Aborting a task aborts its signal in the thread; one still
 * busy `abortGraceMs` later is terminated. Plain Node: no framework imports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface ThreadTask {
  /** Absolute path of the module exporting `fn`: pass the module's own `__filename`. */
  module: string;
  fn: string;
  args: unknown[];
  /** ArrayBuffers among the args to move to the thread rather than copy. */
  transfer?: ArrayBuffer[];
}

export interface TaskContext {
  signal: AbortSignal;
  emit(event: unknown): void;
}

export interface RunOptions {
  /** Aborts the task: its signal in the thread, then the thread itself after the grace period. */
  signal?: AbortSignal;
  /** Receives what the task emits, in order, before the result. */
  onEvent?: (event: unknown) => void;
  /** Turns the task's error back into an Error of the caller's kind (default: `reviveError`). */
  revive?: (error: SerializedError) => Error;
}

/** An error as it crossed the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable fields of the error with cloneable values (e.g. reason, file, hdu). */
  fields: Record<string, unknown>;
}

/** The task's thread was stopped (aborted past the grace period, or it died); `reason` says which. */
export class ThreadTaskStoppedError extends Error {
  constructor(
    message: string,
    readonly reason: unknown,
  ) {
    super(message);
    this.name = 'ThreadTaskStoppedError';
  }
}

/** The pool was closed (the process is stopping) before or while the task ran: nothing is wrong with the task. */
export class ThreadPoolClosedError extends Error {
  constructor(name: string) {
    super(`The ${name} threads were closed`);
    this.name = 'ThreadPoolClosedError';
  }
}

export interface ThreadPoolOptions {
  /** Names the threads in messages. */
  name: string;
  maxThreads: number;
  /** How long an idle thread is kept (default 10 s). */
  idleMs?: number;
  /** How long an aborted task may take to stop before its thread is terminated (default 5 s). */
  abortGraceMs?: number;
  /**
   * Modules to load in this (the main) thread before any worker thread starts: native addons such as sharp must
   * be loaded by the main thread first, so that their shared libraries stay loaded while threads come and go.
   */
  loadInMainThread?: string[];
}

const TRANSFER = Symbol.for('astro-edu-portal.thread-pool.transfer');

/** Returned by a task: `value` is the result, the buffers in `list` are moved rather than copied. */
export function transferable<T>(value: T, list: ArrayBuffer[]): T {
  return { [TRANSFER]: list, value } as unknown as T;
}

/** An Error rebuilt from its serialized form: same name, message and fields; the stack is the thread's. */
export function reviveError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  Object.assign(error, serialized.fields);
  return error;
}

// Plain JavaScript run with `eval: true`, so that it works the same from ts-jest, ts-node and compiled code.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.tsProject && !require.extensions['.ts']) {
  require('ts-node').register({ transpileOnly: true, project: workerData.tsProject });
}
const TRANSFER = Symbol.for('astro-edu-portal.thread-pool.transfer');
const controllers = new Map();
function serialize(error) {
  const fields = {};
  if (error && typeof error === 'object') {
    for (const key of Object.keys(error)) {
      const value = error[key];
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
    }
  }
  return {
    name: (error && error.name) || 'Error',
    message: (error && error.message) || String(error),
    stack: error && error.stack,
    fields,
  };
}
parentPort.on('message', async (message) => {
  if (message.type === 'abort') {
    const controller = controllers.get(message.id);
    if (controller) controller.abort(message.reason);
    return;
  }
  const { id, module, fn, args } = message;
  const controller = new AbortController();
  controllers.set(id, controller);
  try {
    const exported = require(module)[fn];
    if (typeof exported !== 'function') throw new Error(module + ' exports no function ' + fn);
    const context = { signal: controller.signal, emit: (event) => parentPort.postMessage({ type: 'event', id, event }) };
    let value = await exported(...args, context);
    let transfer = [];
    if (value && typeof value === 'object' && value[TRANSFER]) {
      transfer = value[TRANSFER];
      value = value.value;
    }
    parentPort.postMessage({ type: 'done', id, value }, transfer);
  } catch (error) {
    parentPort.postMessage({ type: 'failed', id, error: serialize(error) });
  } finally {
    controllers.delete(id);
  }
});
`;

type ThreadMessage =
  | { type: 'event'; id: number; event: unknown }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: SerializedError };

interface Job {
  id: number;
  task: ThreadTask;
  options: RunOptions;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  job?: Job;
  idleTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
}

/** The tsconfig to transpile with when this file runs from the TypeScript sources; undefined when compiled. */
function sourceProject(): string | undefined {
  if (!__filename.endsWith('.ts')) return undefined;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export class ThreadPool {
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly idleMs: number;
  private readonly abortGraceMs: number;
  private readonly tsProject = sourceProject();

  constructor(private readonly options: ThreadPoolOptions) {
    if (!Number.isInteger(options.maxThreads) || options.maxThreads < 1) throw new RangeError(`maxThreads must be a positive integer, got ${options.maxThreads}`);
    this.idleMs = options.idleMs ?? 10_000;
    this.abortGraceMs = options.abortGraceMs ?? 5_000;
    for (const name of options.loadInMainThread ?? []) require(name);
  }

  /** Threads alive, busy ones, tasks waiting for a thread. */
  get stats(): { threads: number; busy: number; queued: number } {
    return { threads: this.threads.size, busy: [...this.threads].filter((t) => t.job).length, queued: this.queue.length };
  }

  /** Runs a task on a free thread (waiting for one if all are busy); resolves with what it returned. */
  run<T>(task: ThreadTask, options: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ThreadPoolClosedError(this.options.name));
    if (options.signal?.aborted) return Promise.reject(new ThreadTaskStoppedError('The task was aborted before it started', options.signal.reason));
    return new Promise<T>((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, options, resolve: resolve as (value: unknown) => void, reject };
      options.signal?.addEventListener('abort', () => this.abort(job), { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Terminates every thread; queued and running tasks are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new ThreadPoolClosedError(this.options.name));
    await Promise.all([...this.threads].map((thread) => this.stop(thread, new ThreadPoolClosedError(this.options.name))));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let thread = [...this.threads].find((t) => !t.job);
      if (!thread) {
        if (this.threads.size >= this.options.maxThreads) return;
        thread = this.spawn();
      }
      this.start(thread, this.queue.shift() as Job);
    }
  }

  private spawn(): Thread {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { tsProject: this.tsProject } });
    const thread: Thread = { worker };
    this.threads.add(thread);
    worker.on('message', (message: ThreadMessage) => this.onMessage(thread, message));
    worker.on('error', (error) => this.onDeath(thread, error));
    worker.on('exit', (code) => this.onDeath(thread, new Error(`A ${this.options.name} thread exited (code ${code})`)));
    return thread;
  }

  private start(thread: Thread, job: Job): void {
    clearTimeout(thread.idleTimer);
    thread.job = job;
    // Referenced while busy (a CLI awaiting the result must not exit), unreferenced while idle.
    thread.worker.ref();
    const { module, fn, args, transfer } = job.task;
    thread.worker.postMessage({ type: 'run', id: job.id, module, fn, args }, transfer ?? []);
  }

  private onMessage(thread: Thread, message: ThreadMessage): void {
    const job = thread.job;
    if (!job || message.id !== job.id) return;
    if (message.type === 'event') {
      try {
        job.options.onEvent?.(message.event);
      } catch {
        // a listener's own failure is not the task's
      }
      return;
    }
    this.finish(thread);
    if (message.type === 'done') job.resolve(message.value);
    else job.reject((job.options.revive ?? reviveError)(message.error));
  }

  /** The thread is free again: the next task, or idle until it is let go. */
  private finish(thread: Thread): void {
    clearTimeout(thread.graceTimer);
    thread.job = undefined;
    thread.worker.unref();
    this.dispatch();
    if (!thread.job && this.threads.has(thread)) {
      thread.idleTimer = setTimeout(() => void this.stop(thread), this.idleMs);
      thread.idleTimer.unref();
    }
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.reject(new ThreadTaskStoppedError('The task was aborted before it started', job.options.signal?.reason));
      return;
    }
    const thread = [...this.threads].find((t) => t.job === job);
    if (!thread) return;
    const reason = job.options.signal?.reason;
    thread.worker.postMessage({ type: 'abort', id: job.id, reason: typeof reason === 'string' ? reason : String(reason) });
    thread.graceTimer = setTimeout(() => {
      if (thread.job === job) void this.stop(thread, new ThreadTaskStoppedError(`The task did not stop within ${this.abortGraceMs} ms of being aborted; its thread was terminated`, reason));
    }, this.abortGraceMs);
    thread.graceTimer.unref();
  }

  /** Terminates a thread, rejecting its task (if any) with `error`. */
  private async stop(thread: Thread, error?: Error): Promise<void> {
    if (!this.threads.delete(thread)) return;
    clearTimeout(thread.idleTimer);
    clearTimeout(thread.graceTimer);
    const job = thread.job;
    thread.job = undefined;
    thread.worker.removeAllListeners('exit');
    thread.worker.removeAllListeners('error');
    thread.worker.on('error', () => undefined);
    if (job) job.reject(error ?? new Error(`A ${this.options.name} thread was stopped`));
    await thread.worker.terminate();
    this.dispatch();
  }

  private onDeath(thread: Thread, error: Error): void {
    if (!this.threads.has(thread)) return;
    void this.stop(thread, new ThreadTaskStoppedError(`A ${this.options.name} thread failed: ${error.message}`, error));
  }
}
