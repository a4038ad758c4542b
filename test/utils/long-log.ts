import * as path from 'node:path';
import { FIXTURES, LoggedIn, TestPortal } from './test-app';

/** The "Many lines" command pipeline (test/fixtures/pipelines/many-lines.js): 50,000 numbered lines, or slowly. */
export const LONG_LOG_PIPELINES = path.join(FIXTURES, 'pipelines', 'long-log.config.json');
export const PRINTED = 50_000;
export const printedLine = (i: number) => `line ${i} of ${PRINTED}`;

/** A log line as the JSON routes and join-run give it. */
export interface Line {
  seq: number;
  time: string;
  level: string;
  text: string;
}

/** Starts "Many lines" through the target page's form (with --slow: 100 ms after every 1,000 lines); returns its id. */
export async function startManyLines(user: LoggedIn, targetId: number, inputId: number, slow = false): Promise<number> {
  const response = await user.agent
    .post(`/targets/${targetId}/pipeline-runs`)
    .set('Accept', 'application/json')
    .type('form')
    .send({ pipeline: 'Many lines', productIds: String(inputId), _csrf: user.csrf, ...(slow ? { 'flag:slow': 'on' } : {}) })
    .expect(201);
  return response.body.id;
}

/** The run's stored lines in seq order, times as the JSON answers format them. */
export function storedLines(portal: TestPortal, runId: number): Promise<Line[]> {
  return portal.dataSource.query(
    `SELECT seq, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time, level, text
     FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
}

/** How many lines of the run are stored. */
export async function storedCount(portal: TestPortal, runId: number): Promise<number> {
  const [{ n }] = await portal.dataSource.query('SELECT count(*)::int AS n FROM pipeline_log_lines WHERE run_id = $1', [runId]);
  return n;
}
