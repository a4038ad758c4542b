/** Tasks for the thread pool's spec, run inside its threads. Test code only. */
import { isMainThread, threadId } from 'node:worker_threads';
import { TaskContext, transferable } from '../thread-pool';

export function where(label: string): { label: string; isMainThread: boolean; threadId: number } {
  return { label, isMainThread, threadId };
}

export async function chatty(count: number, context: TaskContext): Promise<number> {
  for (let i = 1; i <= count; i++) context.emit({ step: i });
  return count;
}

export function fail(): never {
  const error = new Error('the frame is bad') as Error & { reason: string; hdu: number; nested: object };
  error.name = 'FitsError';
  error.reason = 'bad';
  error.hdu = 2;
  error.nested = { dropped: true };
  throw error;
}

/** Resolves once aborted, with the reason it was given. */
export function untilAborted(context: TaskContext): Promise<string> {
  return new Promise((resolve) => context.signal.addEventListener('abort', () => resolve(String(context.signal.reason)), { once: true }));
}

/** Says it has started, then waits until aborted. */
export function chattyThenWait(context: TaskContext): Promise<string> {
  context.emit('started');
  return untilAborted(context);
}

/** Busy for `ms` without looking at its signal. */
export function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

export function bytes(length: number): Uint8Array {
  const out = new Uint8Array(length).fill(7);
  return transferable(out, [out.buffer]);
}

/** Doubles the values of a shared array in place. */
export function doubleShared(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) values[i] *= 2;
  return values.length;
}

export function exit(): void {
  process.exit(3);
}
