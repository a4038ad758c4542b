import { LogLineEvent } from './pipeline-events.service';

/**
 * The one INSERT of a batch of a run's log lines, its columns as arrays so the statement text is the same whatever
 * the batch size: the run's id is parameter `$first`, the columns the four after it. Pure; shared by the log
 * writer's batches and the statement that records a run's end with its last lines.
 */
export function insertLinesSql(first: number): string {
  return `INSERT INTO pipeline_log_lines (run_id, seq, time, level, text)
          SELECT $${first}::int, * FROM unnest($${first + 1}::int[], $${first + 2}::timestamptz[], $${first + 3}::varchar[], $${first + 4}::text[])`;
}

/** The parameters of insertLinesSql, in order. */
export function insertLinesParams(runId: number, lines: LogLineEvent[]): unknown[] {
  return [runId, lines.map((l) => l.seq), lines.map((l) => l.time), lines.map((l) => l.level), lines.map((l) => l.text)];
}
