/**
 * Pipelines used only by the benchmarks, registered through bench/bench-pipelines.config.json (which points at
 * the compiled copy in dist/bench/lib). Every line they log carries its send time (`t=<wall-clock ms>`), so a
 * client on the same machine can compute the line's latency.
 */
import * as fs from 'node:fs';
import { PipelineOutput, PipelineProcess } from '../../src/pipeline-sdk/pipeline-process';
import { sleep, wallMs } from './stats';

/** Lines a log-stream run writes per second (the 100 lines/s per run). */
export const LINES_PER_SECOND = 100;
/** A stream stops by itself after this long, should the bench die before cancelling it. */
const MAX_STREAM_MS = 15 * 60 * 1000;

export const stampedLine = (label: string) => `${label} t=${wallMs().toFixed(3)}`;

/** Reads the send time back out of a stamped line; NaN when the line has none. */
export function sendTimeOf(text: string): number {
  const match = / t=(\d+(?:\.\d+)?)$/.exec(text);
  return match ? Number(match[1]) : NaN;
}

/**
 * When the bench sets BENCH_STREAM_CONTROL to a JSON file `{"goAt": ms, "stopAt": ms}` (wall clock), a stream
 * waits for goAt, logs until stopAt and ends by itself, so the bench knows how many lines each phase asks for.
 */
export const STREAM_CONTROL_ENV = 'BENCH_STREAM_CONTROL';

let control: { value: { goAt: number; stopAt: number } | null; readAt: number } = { value: null, readAt: 0 };

/** The control file's times, read at most every 50 ms; null when the bench set none (log until cancelled). */
function readControl(): { goAt: number; stopAt: number } | null {
  const file = process.env[STREAM_CONTROL_ENV];
  if (!file) return null;
  if (Date.now() - control.readAt < 50) return control.value;
  let value = { goAt: Infinity, stopAt: Infinity };
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // Not written yet: wait.
  }
  control = { value, readAt: Date.now() };
  return value;
}

/** Logs LINES_PER_SECOND stamped lines a second: between the control file's goAt and stopAt, or until cancelled. */
export class LogStreamPipeline extends PipelineProcess {
  static shortName = 'bench_stream';
  static description = 'Benchmark: logs 100 time-stamped lines a second';
  static version = '1';

  async doPipeline(): Promise<PipelineOutput[]> {
    const begun = Date.now();
    let started = 0;
    let written = 0;
    this.log('waiting for the bench');
    while (!this.signal.aborted && Date.now() - begun < MAX_STREAM_MS) {
      const times = readControl();
      const now = Date.now();
      if (times && now >= times.stopAt) break;
      if (!times || now >= times.goAt) {
        started ||= now;
        // Catch up to the schedule rather than one line per timer tick, so timer jitter does not lower the rate.
        const due = Math.floor(((now - started) / 1000) * LINES_PER_SECOND);
        while (written < due) this.log(stampedLine(`line ${++written}`));
      }
      await sleep(10);
    }
    return [];
  }
}

/** Writes one stamped line and stores nothing: the cheapest run the full path allows. */
export class NoopPipeline extends PipelineProcess {
  static shortName = 'bench_noop';
  static description = 'Benchmark: one time-stamped log line, no outputs';
  static version = '1';

  async doPipeline(): Promise<PipelineOutput[]> {
    this.log(stampedLine('first'));
    return [];
  }
}
