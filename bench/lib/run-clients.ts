import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { ClassroomJob, ClassroomResult, LoadJob, LoadResult, WatchJob, WatchResult } from './clients';

export interface ClientsHandle<R> {
  /** Resolves when a watch job's clients are connected and polling, or a classroom's students are on the target page (at once for a load job). */
  ready: Promise<void>;
  /** Tells a ready watch job to start its warm-up and measurement (a classroom: to press Run). */
  go(): void;
  result: Promise<R>;
}

/** Runs one clients job (bench/lib/clients.ts, compiled) in a child process. */
export function startClients(job: WatchJob): ClientsHandle<WatchResult>;
export function startClients(job: LoadJob): ClientsHandle<LoadResult>;
export function startClients(job: ClassroomJob): ClientsHandle<ClassroomResult>;
export function startClients(job: WatchJob | LoadJob | ClassroomJob): ClientsHandle<WatchResult | LoadResult | ClassroomResult> {
  const child = fork(path.join(__dirname, 'clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  if (job.kind === 'load') markReady();
  const result = new Promise<WatchResult | LoadResult | ClassroomResult>((resolve, reject) => {
    let reply: { ok: boolean; result?: WatchResult | LoadResult | ClassroomResult; error?: string } | undefined;
    child.on('message', (message: { ready?: boolean; ok?: boolean }) => {
      if (message.ready) markReady();
      else reply = message as typeof reply;
    });
    child.on('exit', (code) => {
      if (reply?.ok) resolve(reply.result!);
      else reject(new Error(reply?.error ?? `the clients process exited with ${code}`));
    });
  });
  // A failed child never becomes ready: let `ready` fail with it.
  const readyOrFailed = Promise.race([ready, result.then(() => undefined)]);
  child.send(job);
  return { ready: readyOrFailed, go: () => child.send('go'), result };
}

/** A load job from start to result. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return startClients(job).result;
}
