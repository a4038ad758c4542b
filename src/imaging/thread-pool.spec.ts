import { isMainThread } from 'node:worker_threads';
import * as path from 'node:path';
import { ThreadPool, ThreadPoolClosedError, ThreadTaskStoppedError } from './thread-pool';

const TASKS = path.join(__dirname, 'testing', 'pool-tasks.ts');
const task = (fn: string, ...args: unknown[]) => ({ module: TASKS, fn, args });

// Under Jest each new thread compiles the TypeScript task module through ts-node: seconds each on a loaded machine.
jest.setTimeout(180_000);

let pool: ThreadPool;
beforeAll(() => {
  pool = new ThreadPool({ name: 'spec', maxThreads: 2, idleMs: 60_000, abortGraceMs: 300 });
});
afterAll(() => pool.close());

describe('ThreadPool', () => {
  it('runs tasks in worker threads, at most maxThreads at once, the rest waiting', async () => {
    expect(isMainThread).toBe(true);
    const results = await Promise.all([1, 2, 3, 4].map((n) => pool.run<{ label: string; isMainThread: boolean; threadId: number }>(task('where', `t${n}`))));
    expect(results.map((r) => r.label)).toEqual(['t1', 't2', 't3', 't4']);
    expect(results.every((r) => !r.isMainThread && r.threadId > 0)).toBe(true);
    expect(new Set(results.map((r) => r.threadId)).size).toBeLessThanOrEqual(2);
    expect(pool.stats).toEqual({ threads: 2, busy: 0, queued: 0 });
  });

  it('hands the events a task emits to onEvent, in order, before the result', async () => {
    const events: unknown[] = [];
    const result = await pool.run(task('chatty', 3), { onEvent: (event) => events.push(event) });
    expect(result).toBe(3);
    expect(events).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
  });

  it("revives a task's error with its name, message and plain fields", async () => {
    const error = await pool.run(task('fail')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'FitsError', message: 'the frame is bad', reason: 'bad', hdu: 2 });
    expect((error as { nested?: unknown }).nested).toBeUndefined();
    const custom = await pool.run(task('fail'), { revive: (e) => new RangeError(`revived ${e.fields.reason}`) }).catch((e: unknown) => e);
    expect(custom).toBeInstanceOf(RangeError);
    expect((custom as Error).message).toBe('revived bad');
  });

  it('moves transferred results and shares SharedArrayBuffers', async () => {
    const out = await pool.run<Uint8Array>(task('bytes', 1024));
    expect(out.length).toBe(1024);
    expect(out[1023]).toBe(7);
    const shared = new Float32Array(new SharedArrayBuffer(16)).fill(1.5);
    expect(await pool.run(task('doubleShared', shared))).toBe(4);
    expect(Array.from(shared)).toEqual([3, 3, 3, 3]);
  });

  it("aborts a task through its signal, and terminates a thread that ignores it after the grace period", async () => {
    const polite = new AbortController();
    const waiting = pool.run<string>(task('untilAborted'), { signal: polite.signal });
    setImmediate(() => polite.abort('cancelled'));
    expect(await waiting).toBe('cancelled');

    const rude = new AbortController();
    const spinning = pool.run(task('spin', 60_000), { signal: rude.signal });
    setTimeout(() => rude.abort('timeout'), 100);
    const error = await spinning.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadTaskStoppedError);
    expect((error as ThreadTaskStoppedError).reason).toBe('timeout');
    // The pool carries on with a fresh thread.
    expect((await pool.run<{ label: string }>(task('where', 'after'))).label).toBe('after');
  });

  it('rejects the task of a thread that dies, and replaces the thread', async () => {
    const error = await pool.run(task('exit')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadTaskStoppedError);
    expect((error as Error).message).toMatch(/thread (exited|failed)/);
    expect((await pool.run<{ label: string }>(task('where', 'again'))).label).toBe('again');
  });

  it('refuses tasks after close', async () => {
    const closing = new ThreadPool({ name: 'closing', maxThreads: 1 });
    expect(await closing.run(task('chatty', 1))).toBe(1);
    await closing.close();
    await expect(closing.run(task('chatty', 1))).rejects.toThrow(new ThreadPoolClosedError('closing'));
    // A task running when the pool closes is told so too.
    const again = new ThreadPool({ name: 'again', maxThreads: 1 });
    const events: unknown[] = [];
    const running = again.run(task('chattyThenWait'), { onEvent: (event) => events.push(event) });
    while (!events.length) await new Promise((resolve) => setTimeout(resolve, 10));
    const outcome = expect(running).rejects.toBeInstanceOf(ThreadPoolClosedError);
    await again.close();
    await outcome;
  });
});
