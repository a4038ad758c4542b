import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, MoreThan, Repository } from 'typeorm';
import { canView } from '../sharing/sharing-policy';
import { Visibility } from '../sharing/visibility';
import { SessionUser } from '../users/user.entity';
import { LogLineEvent, PipelineEventsService } from './pipeline-events.service';
import { LogLevel, PipelineLogLine } from './pipeline-log-line.entity';
import { isRowId, PG_INTEGER_MAX } from './pipeline-runs.service';

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

  constructor(
    private readonly runId: number,
    private seq: number,
    private readonly store: LogLineStore,
    private readonly events: PipelineEventsService,
    private readonly listeners: Array<(line: LogLineEvent) => void> = [],
  ) {}

  write(level: LogLevel, text: string): void {
    // After a failed INSERT nothing later is stored: a gap in seq would hide the lost lines from a reconnecting page.
    if (this.failure) return;
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

  private async drain(): Promise<void> {
    // Let the rest of this turn of the event loop log too: lines written together go in one statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length) {
        const wait = this.lastStoreAt + MIN_STORE_INTERVAL_MS - performance.now();
        if (wait > 0 && !this.flushing) await this.pause(wait);
        this.lastStoreAt = performance.now();
        const batch = this.takeBatch();
        await this.store(this.runId, batch);
        this.events.logLines(this.runId, batch);
        for (const line of batch) for (const listener of this.listeners) listener(line);
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.pending = [];
    } finally {
      this.draining = undefined;
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
    @InjectRepository(PipelineLogLine) private readonly lines: Repository<PipelineLogLine>,
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
    await this.dataSource.query(
      `INSERT INTO pipeline_log_lines (process_id, seq, time, level, text)
       SELECT $1::int, * FROM unnest($2::int[], $3::timestamptz[], $4::varchar[], $5::text[])`,
      [runId, lines.map((l) => l.seq), lines.map((l) => l.time), lines.map((l) => l.level), lines.map((l) => l.text)],
    );
  };

  onLine(listener: (line: LogLineEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * `GET /pipeline/:id/log?after=N`, polled every second by pages without Socket.IO: the run's state and its lines
   * after `afterSeq` if `user` may see the run (404/403 as PipelineRunsService.findVisible), in one query, the
   * times formatted as Date.toJSON does (what the Socket.IO events carry).
   */
  async visibleLinesAfter(runId: number, user: SessionUser, afterSeq: number, limit = 5000): Promise<{ state: string; lines: LogLineJson[] }> {
    const rows: Array<{ state: string; visibility: Visibility; ownerId: string | null; classroomId: number | null; lines: LogLineJson[] }> = isRowId(runId)
      ? await this.dataSource.query(
          `SELECT r.state, r.visibility, r.requested_by_id AS "ownerId", r.classroom_id AS "classroomId",
                  (SELECT coalesce(json_agg(json_build_object('seq', l.seq, 'time', to_char(l.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                                              'level', l.level, 'text', l.text) ORDER BY l.seq), '[]')
                   FROM (SELECT seq, time, level, text FROM pipeline_log_lines WHERE process_id = r.id AND seq > $2 ORDER BY seq LIMIT $3) l) AS lines
           FROM pipeline_processes r WHERE r.id = $1`,
          [runId, Math.min(Math.max(0, afterSeq), PG_INTEGER_MAX), limit],
        )
      : [];
    if (!rows.length) throw new NotFoundException(`There is no pipeline run with id ${runId}`);
    const [{ state, lines, ...run }] = rows;
    if (!canView(user, run)) throw new ForbiddenException('This run is not shared with you: only the student who started it, their teachers and those it is shared with may see it');
    return { state, lines };
  }

  linesAfter(runId: number, afterSeq: number, limit = 5000): Promise<PipelineLogLine[]> {
    return this.lines.find({ where: { processId: runId, seq: MoreThan(afterSeq) }, order: { seq: 'ASC' }, take: limit });
  }
}
