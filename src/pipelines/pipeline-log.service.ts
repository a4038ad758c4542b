import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { LogLineEvent, PipelineEventsService } from './pipeline-events.service';
import { LogLevel, PipelineLogLine } from './pipeline-log-line.entity';

/** Writes one run's log lines in order: stored in Postgres first, then pushed to the run's room. */
export class RunLogWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly runId: number,
    private seq: number,
    private readonly lines: Repository<PipelineLogLine>,
    private readonly events: PipelineEventsService,
    private readonly listeners: Array<(line: LogLineEvent) => void> = [],
  ) {}

  write(level: LogLevel, text: string): void {
    const seq = ++this.seq;
    const time = new Date();
    const clipped = text.length > 10_000 ? `${text.slice(0, 10_000)}…` : text;
    this.chain = this.chain.then(async () => {
      await this.lines.insert({ processId: this.runId, seq, time, level, text: clipped });
      const event = { runId: this.runId, seq, time: time.toISOString(), level, text: clipped };
      this.events.logLine(event);
      for (const listener of this.listeners) listener(event);
    });
  }

  /** Resolves when every line written so far is stored. */
  flush(): Promise<void> {
    return this.chain;
  }
}

@Injectable()
export class PipelineLogService {
  /** In-process listeners (the CLI prints lines as they come). */
  private readonly listeners: Array<(line: LogLineEvent) => void> = [];

  constructor(
    @InjectRepository(PipelineLogLine) private readonly lines: Repository<PipelineLogLine>,
    private readonly events: PipelineEventsService,
  ) {}

  /** A writer continuing after the run's last stored line (a requeued run keeps its earlier log). */
  async writerFor(runId: number): Promise<RunLogWriter> {
    const [{ max }] = await this.lines.query('SELECT coalesce(max(seq), 0)::int AS max FROM pipeline_log_lines WHERE process_id = $1', [runId]);
    return new RunLogWriter(runId, max, this.lines, this.events, this.listeners);
  }

  onLine(listener: (line: LogLineEvent) => void): void {
    this.listeners.push(listener);
  }

  linesAfter(runId: number, afterSeq: number, limit = 5000): Promise<PipelineLogLine[]> {
    return this.lines.find({ where: { processId: runId, seq: MoreThan(afterSeq) }, order: { seq: 'ASC' }, take: limit });
  }
}
