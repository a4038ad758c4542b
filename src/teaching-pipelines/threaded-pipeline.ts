/**
 * The teaching pipelines that decode frames (timelapse, aperture photometry, inspect) run in a worker thread: the
 * decoding, statistics, photometry and rendering of 4096² frames would otherwise hold the event loop of the
 * process running the job (the web process on the embedded default), and with it every request and Bull's locks.
 *
 * The class keeps its place in the registry and its interface: `doPipeline` on the main thread sends the run
 * (inputs, target, options, limits, flags, tmpdir) to a pipeline thread, which builds the same builtin there and
 * calls its `work`; log lines and statuses come back as they happen, the result or the AsyncError / CancelledError
 * at the end. Cancelling the run aborts the thread's signal; a thread still busy 5 s later is terminated.
 */
import { isMainThread } from 'node:worker_threads';
import { SerializedError, TaskContext, ThreadPool, ThreadTaskStoppedError, reviveError } from '../imaging/thread-pool';
import { AsyncError, CancelledError, FrameLimits, LogLevel, PipelineClass, PipelineFlagValues, PipelineInput, PipelineOutput, PipelineProcess, PipelineTargetInfo } from '../pipeline-sdk/pipeline-process';
import type { PipelineParamValues } from '../pipeline-sdk/pipeline-params';

/** What a run needs in the thread: everything in its context but the callbacks. */
interface ThreadRun {
  shortName: string;
  inputs: PipelineInput[];
  target: PipelineTargetInfo;
  options: Record<string, unknown>;
  limits?: FrameLimits;
  tmpdir: string;
  flags: PipelineFlagValues;
  params: PipelineParamValues;
}

type RunEvent = { kind: 'log'; level: LogLevel; text: string } | { kind: 'status'; text: string };

let pool: ThreadPool | undefined;

/** One pool per process, made at the first threaded run; threads idle for 10 s go away. */
function pipelineThreads(): ThreadPool {
  pool ??= new ThreadPool({ name: 'pipeline', maxThreads: 8, idleMs: 10_000, loadInMainThread: ['sharp'] });
  return pool;
}

/** The builtins by their short names (loaded when first needed: the builtins themselves import this file). */
function builtinClasses(): PipelineClass[] {
  return Object.values((require('./index') as typeof import('./index')).BUILTIN_PIPELINES);
}

export abstract class ThreadedPipeline extends PipelineProcess {
  /** The pipeline's own work, in whichever thread it runs. */
  abstract work(tmpdir: string, flags: PipelineFlagValues, params: PipelineParamValues): Promise<PipelineOutput[]>;

  async doPipeline(tmpdir: string, flags: PipelineFlagValues, given?: PipelineParamValues): Promise<PipelineOutput[]> {
    const params = this.withDefaults(given);
    const cls = this.constructor as PipelineClass;
    // In a thread already, or a class the thread could not build by name (a subclass): work right here.
    if (!isMainThread || !builtinClasses().includes(cls)) return this.work(tmpdir, flags, params);
    const run: ThreadRun = {
      shortName: cls.shortName,
      inputs: this.inputs,
      target: this.target,
      options: this.options,
      limits: this.context.limits,
      tmpdir,
      flags,
      params,
    };
    try {
      return await pipelineThreads().run<PipelineOutput[]>(
        { module: __filename, fn: 'runInThread', args: [run] },
        {
          signal: this.signal,
          onEvent: (event) => {
            const e = event as RunEvent;
            if (e.kind === 'log') this.context.log(e.level, e.text);
            else this.updateStatus(e.text);
          },
          revive: revivePipelineError,
        },
      );
    } catch (error) {
      if (error instanceof ThreadTaskStoppedError && this.signal.aborted) throw new CancelledError();
      throw error;
    }
  }
}

/** AsyncError and CancelledError as this side's classes; others keep the thread's stack for the run's log. */
function revivePipelineError(error: SerializedError): Error {
  if (error.name === 'AsyncError') return new AsyncError(error.message);
  if (error.name === 'CancelledError') return new CancelledError(error.message);
  return reviveError(error);
}

/** The thread's side: the same builtin, with a context that sends its log and statuses back. */
export async function runInThread(run: ThreadRun, task: TaskContext): Promise<PipelineOutput[]> {
  const cls = builtinClasses().find((c) => c.shortName === run.shortName);
  if (!cls) throw new Error(`No builtin pipeline ${run.shortName}`);
  const pipeline = new cls({
    inputs: run.inputs,
    target: run.target,
    options: run.options,
    limits: run.limits,
    signal: task.signal,
    log: (level, text) => task.emit({ kind: 'log', level, text } satisfies RunEvent),
    setStatus: (text) => task.emit({ kind: 'status', text } satisfies RunEvent),
  });
  if (!(pipeline instanceof ThreadedPipeline)) throw new Error(`${run.shortName} is not a threaded pipeline`);
  return pipeline.work(run.tmpdir, run.flags, run.params);
}

/** Threads of this process's pipeline pool (for tests and the bench: proof that runs left the main thread). */
export function pipelineThreadStats(): { threads: number; busy: number; queued: number } {
  return pool?.stats ?? { threads: 0, busy: 0, queued: 0 };
}
