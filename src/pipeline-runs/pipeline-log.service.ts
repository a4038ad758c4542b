import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { integerParam, optionalIntegerParam, PG_INTEGER_MAX } from '../common/request-parsing';
import { canView } from '../sharing/sharing-policy';
import { Visibility } from '../sharing/visibility';
import { SessionUser } from '../users/user.entity';
import { LogLineEvent, PipelineEventsService } from './pipeline-events.service';
import { insertLinesParams, insertLinesSql } from './log-line-rows';
import { LogLevel } from './pipeline-log-line.entity';
import { isRowId } from './pipeline-runs.service';

/** Longest stored line; longer ones are clipped with an ellipsis. */
const MAX_LINE_CHARS = 10_000;
/** Bounds of one multi-row INSERT: a run logging faster than Postgres stores still writes statements of sane size. */
export const MAX_BATCH_LINES = 200;
const MAX_BATCH_CHARS = 1_000_000;
/**
 * A run's statements start at least this far apart. A line after a quiet spell goes out at once; a run logging
 * all the time has its lines stored and pushed every 25 ms in batches, so each watcher gets at most 40 frames a
 * second per run (a frame per line was what saturated the web process with 200 watchers).
 */
export const MIN_STORE_INTERVAL_MS = 25;

/** A log line as the JSON answers give it. */
export interface LogLineJson {
  seq: number;
  time: string;
  level: string;
  text: string;
}

/** Lines a page of a log holds unless asked for fewer: join-run's pages, the run page's tail, the JSON routes' default. */
export const LOG_PAGE_LINES = 2000;
/** The most lines one request to the JSON routes may ask for. */
export const MAX_LOG_PAGE_LINES = 5000;

/** Which page of a log: the lines after seq `after`, or the last ones before seq `before` (before the end when absent). */
export type LogPageRequest = { after: number; limit: number } | { before?: number; limit: number };

/** A page of a log, in seq order; `hasMore`: there are more lines in the direction paged (after the last, or before the first). */
/** The most matching lines one search answers with (the count covers them all). */
export const LOG_SEARCH_LIMIT = 1000;
/** The longest text the log search takes. */
export const LOG_SEARCH_MAX = 200;

export interface LogPage {
  lines: LogLineJson[];
  hasMore: boolean;
}

/**
 * `?after=` or `?before=` and `?limit=` of a log route: forward from the start when neither is given; a 400 naming
 * the parameter when one is not a whole number in range, or when both are given.
 */
export function logPageRequest(query: Record<string, unknown>): LogPageRequest {
  const limit = integerParam(query.limit, 'limit', { min: 1, max: MAX_LOG_PAGE_LINES }, LOG_PAGE_LINES);
  const after = optionalIntegerParam(query.after, 'after', { min: 0, max: PG_INTEGER_MAX });
  const before = optionalIntegerParam(query.before, 'before', { min: 1, max: PG_INTEGER_MAX });
  if (after !== undefined && before !== undefined) throw new BadRequestException('Give after (lines after a seq) or before (lines before a seq), not both');
  return before !== undefined ? { before, limit } : { after: after ?? 0, limit };
}

/**
 * The SELECT of a page's lines (one more than the limit, to tell whether there are more), for run `runSql`, with
 * its parameters numbered from `$firstParam`. Times are formatted as Date.toJSON does (what the Socket.IO events carry).
 * The bounds are bigint so an `after` past the last possible seq reads nothing rather than failing.
 */
function linesQuery(runSql: string, firstParam: number, request: LogPageRequest): { sql: string; params: number[] } {
  const forward = 'after' in request;
  const bound = forward ? request.after : request.before;
  const params: number[] = [];
  let condition = '';
  if (bound !== undefined) {
    params.push(bound);
    condition = ` AND seq ${forward ? '>' : '<'} $${firstParam}::bigint`;
  }
  params.push(request.limit + 1);
  const sql = `SELECT seq, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time, level, text
               FROM pipeline_log_lines WHERE run_id = ${runSql}${condition}
               ORDER BY seq ${forward ? 'ASC' : 'DESC'} LIMIT $${firstParam + params.length - 1}`;
  return { sql, params };
}

/** The page from the rows linesQuery read (limit + 1 of them at most, in either order): seq order, the extra one dropped. */
function pageOf(rows: LogLineJson[], request: LogPageRequest): LogPage {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  const hasMore = sorted.length > request.limit;
  if (!hasMore) return { lines: sorted, hasMore };
  // The extra row is the one furthest in the direction paged.
  return { lines: 'after' in request ? sorted.slice(0, request.limit) : sorted.slice(sorted.length - request.limit), hasMore };
}

/** How long a run's log waits for an unreachable database before its lines count as lost. */
const STORE_RETRY_MS = 120_000;
const UNIQUE_VIOLATION = '23505';
const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};
/**
 * The database, not the statement, failed: a socket error (no SQLSTATE), or a connection, resource or shutdown
 * class (08, 53, 57, 58) or a serialization failure / deadlock (40). Worth trying the same statement again.
 */
const connectionTrouble = (error: unknown): boolean => {
  const state = sqlState(error);
  return state === undefined || /^(08|40|53|57|58)/.test(state);
};

/** Stores one batch of a run's lines (in seq order) in one statement; resolves once they are stored. */
export type LogLineStore = (runId: number, lines: LogLineEvent[]) => Promise<void>;

/**
 * Writes one run's log lines in order: stored in Postgres first, then pushed to the run's room (one `log-lines`
 * event per batch), so what a page shows is always stored and `GET /pipeline/:id/log?after=N` agrees with it. One INSERT per run is in flight at a
 * time, and they start at least MIN_STORE_INTERVAL_MS apart; the lines logged meanwhile wait and go together in
 * the next one (multi-row, bounded), so a run logging 100 lines/s costs 40 statements a second, not 100.
 */
export class RunLogWriter {
  private pending: LogLineEvent[] = [];
  private draining?: Promise<void>;
  private failure?: Error;
  private lastStoreAt = -Infinity;
  /** Ends the wait between two statements early (flush: the run is ending, store the rest now). */
  private wake?: () => void;
  private flushing = 0;
  /** Set by close(): the run was handed to another worker, so this one writes nothing more. */
  private closed = false;
  /** Set by finish(): the last batch is left for the statement that records the run's end. */
  private finishing = false;

  constructor(
    private readonly runId: number,
    private seq: number,
    private readonly store: LogLineStore,
    private readonly events: PipelineEventsService,
    private readonly listeners: Array<(line: LogLineEvent) => void> = [],
  ) {}

  write(level: LogLevel, text: string): void {
    // After a batch failed for good nothing later is stored: a gap in seq would hide the lost lines from a reconnecting page.
    if (this.failure || this.closed) return;
    const clipped = text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text;
    this.pending.push({ runId: this.runId, seq: ++this.seq, time: new Date().toISOString(), level, text: clipped });
    this.draining ??= this.drain();
  }

  /** Resolves when every line written so far is stored (and pushed); rejects if one could not be stored. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.wake?.();
      while (this.draining) await this.draining;
    } finally {
      this.flushing--;
    }
    if (this.failure) throw this.failure;
  }

  /** Stores what was written so far (as flush), then ignores later lines: the run is no longer this writer's. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
    }
  }

  /**
   * The run is ending: stores (and pushes) what was written except what fits in one last batch, and hands that batch
   * back, for the caller to store in the statement that records the run's end (one commit instead of two) and then
   * to pass to announce(). Later lines are ignored. Rejects, as flush, if a line could not be stored.
   */
  async finish(): Promise<LogLineEvent[]> {
    this.finishing = true;
    try {
      await this.flush();
      const rest = this.pending;
      this.pending = [];
      return rest;
    } finally {
      this.closed = true;
    }
  }

  /** Pushes lines stored by someone else (finish()'s last batch, stored with the run's end). */
  announce(lines: LogLineEvent[]): void {
    if (!lines.length) return;
    this.events.logLines(this.runId, lines);
    for (const line of lines) for (const listener of this.listeners) listener(line);
  }

  /** What is pending fits in one batch (finish() leaves it for the end's statement). */
  private lastBatchOnly(): boolean {
    if (this.pending.length > MAX_BATCH_LINES) return false;
    let chars = 0;
    for (const line of this.pending) chars += line.text.length;
    return chars <= MAX_BATCH_CHARS || this.pending.length === 1;
  }

  private async drain(): Promise<void> {
    // Let the rest of this turn of the event loop log too: lines written together go in one statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length && !(this.finishing && this.lastBatchOnly())) {
        const wait = this.lastStoreAt + MIN_STORE_INTERVAL_MS - performance.now();
        if (wait > 0 && !this.flushing) await this.pause(wait);
        this.lastStoreAt = performance.now();
        const batch = this.takeBatch();
        await this.storeBatch(batch);
        this.announce(batch);
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.pending = [];
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * Stores one batch, trying again while the database is unreachable (a restart, a failover): the lines wait in
   * order meanwhile, so none is lost and none is stored out of order. Up to STORE_RETRY_MS from the first failure;
   * an error of the data itself is not tried again.
   */
  private async storeBatch(batch: LogLineEvent[]): Promise<void> {
    let failingSince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store(this.runId, batch);
        return;
      } catch (error) {
        // A retry refused as a duplicate: the earlier attempt was committed and only its answer was lost.
        if (attempt > 0 && sqlState(error) === UNIQUE_VIOLATION) return;
        failingSince ??= performance.now();
        if (!connectionTrouble(error) || performance.now() - failingSince > STORE_RETRY_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private takeBatch(): LogLineEvent[] {
    let count = 0;
    let chars = 0;
    while (count < this.pending.length && count < MAX_BATCH_LINES && (count === 0 || chars + this.pending[count].text.length <= MAX_BATCH_CHARS)) {
      chars += this.pending[count].text.length;
      count++;
    }
    return this.pending.splice(0, count);
  }
}

@Injectable()
export class PipelineLogService {
  /** In-process listeners (the CLI prints lines as they come). */
  private readonly listeners: Array<(line: LogLineEvent) => void> = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: PipelineEventsService,
  ) {}

  /**
   * A writer continuing after the run's last stored line, `lastSeq` (a requeued run keeps its earlier log; the
   * worker reads it when it claims the run).
   */
  writerAfter(runId: number, lastSeq: number): RunLogWriter {
    return new RunLogWriter(runId, lastSeq, this.storeLines, this.events, this.listeners);
  }

  /** One INSERT for the whole batch, its columns as arrays: the statement text is the same whatever the batch size. */
  private readonly storeLines: LogLineStore = async (runId, lines) => {
    await this.dataSource.query(insertLinesSql(1), insertLinesParams(runId, lines));
  };

  onLine(listener: (line: LogLineEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * A page of a run's log in seq order: the lines after `after`, or the last ones before `before` (or before the end),
   * at most `limit`, and whether there are more in that direction. Seqs are stored without gaps (one writer per run,
   * one INSERT at a time), so paging by seq never skips or repeats a line while more keep arriving.
   */
  async page(runId: number, request: LogPageRequest): Promise<LogPage> {
    const { sql, params } = linesQuery('$1', 2, request);
    const rows: LogLineJson[] = await this.dataSource.query(sql, [runId, ...params]);
    return pageOf(rows, request);
  }

  /**
   * `GET /pipeline/:id/log`: the run's state and a page of its lines if `user` may see the run (404/403 as
   * PipelineRunsService.findVisible), in one statement, so the state and the lines are of the same moment: a
   * finished state comes with every line (the runner stores the log before it records the end).
   */
  async visiblePage(runId: number, user: SessionUser, request: LogPageRequest): Promise<{ state: string } & LogPage> {
    const { sql, params } = linesQuery('r.id', 2, request);
    const rows: Array<{ state: string; visibility: Visibility; ownerId: string | null; classroomId: number | null; lines: LogLineJson[] }> = isRowId(runId)
      ? await this.dataSource.query(
          `SELECT r.state, r.visibility, r.requested_by_id AS "ownerId", r.classroom_id AS "classroomId",
                  (SELECT coalesce(json_agg(l ORDER BY l.seq), '[]') FROM (${sql}) l) AS lines
           FROM pipeline_runs r WHERE r.id = $1`,
          [runId, ...params],
        )
      : [];
    if (!rows.length) throw new NotFoundException(`There is no pipeline run with id ${runId}`);
    const [{ state, lines, ...run }] = rows;
    if (!canView(user, run)) throw new ForbiddenException('This run is not shared with you: only the student who started it, their teachers and those it is shared with may see it');
    return { state, ...pageOf(lines, request) };
  }

  /**
   * The lines of a run's log holding `query` (case ignored, as typed: no pattern syntax), in seq order: at most
   * `limit` of them, and how many there are in all. For the run page's search over lines it is not showing.
   */
  async search(runId: number, query: string, limit = LOG_SEARCH_LIMIT): Promise<{ total: number; lines: Array<{ seq: number; text: string }> }> {
    const [row]: Array<{ total: number; lines: Array<{ seq: number; text: string }> }> = await this.dataSource.query(
      `SELECT count(*)::int AS total,
              coalesce((json_agg(json_build_object('seq', m.seq, 'text', m.text) ORDER BY m.seq) FILTER (WHERE m.n <= $3)), '[]') AS lines
         FROM (SELECT seq, text, row_number() OVER (ORDER BY seq) AS n FROM pipeline_log_lines
                WHERE run_id = $1 AND strpos(lower(text), lower($2)) > 0) m`,
      [runId, query, limit],
    );
    return row;
  }

  /** The whole log as text, a line per line ("time level text"), read a page at a time: for the download. */
  async *text(runId: number): AsyncGenerator<string> {
    let after = 0;
    for (;;) {
      const { lines, hasMore } = await this.page(runId, { after, limit: MAX_LOG_PAGE_LINES });
      if (lines.length) yield lines.map((line) => `${line.time} ${line.level.padEnd(7)} ${line.text}\n`).join('');
      if (!hasMore) return;
      after = lines[lines.length - 1].seq;
    }
  }
}
