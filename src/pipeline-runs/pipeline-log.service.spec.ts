import { LogLineEvent, PipelineEventsService } from './pipeline-events.service';
import { LOG_PAGE_LINES, LogLineStore, logPageRequest, MAX_BATCH_LINES, MAX_LOG_PAGE_LINES, MIN_STORE_INTERVAL_MS, RunLogWriter } from './pipeline-log.service';

/** A store that keeps what it is given, each call a "statement", answering after a turn of the event loop. */
/** A data error (SQLSTATE 22021, bad bytes): the statement itself is refused, so trying again cannot help. */
const refused = () => Object.assign(new Error('invalid byte sequence'), { code: '22021' });

function fakeStore(options: { failOnCall?: number; failCalls?: number[]; error?: () => Error; commitThenFailOnCall?: number } = {}) {
  const stored: LogLineEvent[] = [];
  const calls: number[][] = [];
  const store: LogLineStore = async (_runId, lines) => {
    calls.push(lines.map((line) => line.seq));
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (calls.length === options.failOnCall || options.failCalls?.includes(calls.length)) throw (options.error ?? refused)();
    if (stored.some((line) => line.seq === lines[0].seq)) throw Object.assign(new Error('duplicate key'), { code: '23505' });
    stored.push(...lines);
    // Committed, but the answer never arrived (the connection died just then).
    if (calls.length === options.commitThenFailOnCall) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  };
  return { store, stored, calls };
}

function fakeEvents(stored: LogLineEvent[]) {
  const pushed: number[][] = [];
  const notYetStored: number[] = [];
  const events = {
    logLines: (_runId: number, lines: LogLineEvent[]) => {
      pushed.push(lines.map((line) => line.seq));
      for (const line of lines) if (!stored.includes(line)) notYetStored.push(line.seq);
    },
  } as unknown as PipelineEventsService;
  return { events, pushed, notYetStored };
}

describe('RunLogWriter', () => {
  it('stores 500 quickly written lines once each, in order, in a few bounded statements, and pushes each once after it is stored', async () => {
    const { store, stored, calls } = fakeStore();
    const { events, pushed, notYetStored } = fakeEvents(stored);
    const writer = new RunLogWriter(7, 0, store, events);
    for (let i = 1; i <= 500; i++) writer.write('info', `line ${i}`);
    await writer.flush();

    expect(stored.map((line) => line.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(stored.map((line) => line.text)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i + 1}`));
    expect(stored.every((line) => line.runId === 7 && line.level === 'info')).toBe(true);
    // Written in one go: full batches of MAX_BATCH_LINES, then the rest.
    expect(calls.map((seqs) => seqs.length)).toEqual([200, 200, 100]);
    expect(Math.max(...calls.map((seqs) => seqs.length))).toBeLessThanOrEqual(MAX_BATCH_LINES);
    expect(pushed).toEqual(calls);
    expect(notYetStored).toEqual([]);
  });

  it('collects the lines written while a statement is in flight into the next one, and flush waits for lines written meanwhile', async () => {
    const { store, stored, calls } = fakeStore();
    const { events } = fakeEvents(stored);
    const writer = new RunLogWriter(1, 0, store, events);
    writer.write('info', 'first');
    // Let the first statement go out, then write three more while it is in flight.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([[1]]);
    writer.write('info', 'second');
    writer.write('warning', 'third');
    const flushed = writer.flush();
    writer.write('error', 'fourth');
    await flushed;
    expect(calls).toEqual([[1], [2, 3, 4]]);
    expect(stored.map((line) => [line.seq, line.level, line.text])).toEqual([
      [1, 'info', 'first'],
      [2, 'info', 'second'],
      [3, 'warning', 'third'],
      [4, 'error', 'fourth'],
    ]);
  });

  it('continues after the last stored seq and clips very long lines', async () => {
    const { store, stored } = fakeStore();
    const writer = new RunLogWriter(1, 41, store, fakeEvents(stored).events);
    writer.write('info', 'x'.repeat(20_000));
    writer.write('info', 'next');
    await writer.flush();
    expect(stored.map((line) => line.seq)).toEqual([42, 43]);
    expect(stored[0].text).toBe(`${'x'.repeat(10_000)}…`);
  });

  it('while the database is unreachable, tries the batch again and keeps the lines in order: none lost, none twice', async () => {
    const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), {});
    const { store, stored, calls } = fakeStore({ failCalls: [2, 3], error: lost, commitThenFailOnCall: 5 });
    const { events, pushed } = fakeEvents(stored);
    const writer = new RunLogWriter(1, 0, store, events);
    writer.write('info', 'one');
    await new Promise((resolve) => setImmediate(resolve));
    writer.write('info', 'two');
    await writer.flush();
    writer.write('info', 'three');
    await writer.flush();
    // Call 2 and 3 failed (connection lost) and call 4 stored 'two'; call 5 stored 'three' but its answer was lost,
    // and call 6, refused as a duplicate, shows it was stored.
    expect(calls).toEqual([[1], [2], [2], [2], [3], [3]]);
    expect(stored.map((line) => line.seq)).toEqual([1, 2, 3]);
    expect(pushed).toEqual([[1], [2], [3]]);
  });

  it('after a statement is refused stores nothing more (no gap in seq), pushes nothing unstored, and flush reports the error', async () => {
    const { store, stored, calls } = fakeStore({ failOnCall: 2 });
    const { events, pushed } = fakeEvents(stored);
    const writer = new RunLogWriter(1, 0, store, events);
    writer.write('info', 'one');
    await new Promise((resolve) => setImmediate(resolve));
    writer.write('info', 'two');
    await expect(writer.flush()).rejects.toThrow('invalid byte sequence');
    writer.write('info', 'three');
    await expect(writer.flush()).rejects.toThrow('invalid byte sequence');
    expect(calls).toEqual([[1], [2]]);
    expect(stored.map((line) => line.seq)).toEqual([1]);
    expect(pushed).toEqual([[1]]);
  });

  it("finish hands back the last lines unstored (for the statement recording the run's end), stores the rest first, and ignores later lines", async () => {
    const { store, stored, calls } = fakeStore();
    const { events, pushed } = fakeEvents(stored);
    const writer = new RunLogWriter(3, 10, store, events);
    writer.write('info', 'running');
    writer.write('info', 'finished');
    const rest = await writer.finish();
    // Written in the same turn as finish: nothing stored by the writer, all handed back, nothing pushed yet.
    expect(rest.map((line) => [line.seq, line.text])).toEqual([
      [11, 'running'],
      [12, 'finished'],
    ]);
    expect(calls).toEqual([]);
    expect(pushed).toEqual([]);
    writer.write('info', 'too late');
    await writer.flush();
    expect(calls).toEqual([]);
    writer.announce(rest);
    expect(pushed).toEqual([[11, 12]]);

    // More than one batch's worth: full batches stored (and pushed) by the writer, the last one handed back.
    const big = fakeStore();
    const bigEvents = fakeEvents(big.stored);
    const busy = new RunLogWriter(4, 0, big.store, bigEvents.events);
    for (let i = 1; i <= MAX_BATCH_LINES + 50; i++) busy.write('info', `line ${i}`);
    const last = await busy.finish();
    expect(big.calls.map((seqs) => seqs.length)).toEqual([MAX_BATCH_LINES]);
    expect(bigEvents.pushed).toEqual(big.calls);
    expect(last.map((line) => line.seq)).toEqual(Array.from({ length: 50 }, (_, i) => MAX_BATCH_LINES + i + 1));
  });

  it('finish rejects as flush does when a line could not be stored', async () => {
    const { store, stored } = fakeStore({ failOnCall: 1 });
    const writer = new RunLogWriter(1, 0, store, fakeEvents(stored).events);
    writer.write('info', 'one');
    await new Promise((resolve) => setImmediate(resolve));
    writer.write('info', 'two');
    await expect(writer.finish()).rejects.toThrow('invalid byte sequence');
  });

  describe('spacing of statements (fake clock)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('sends a line after a quiet spell at once, and a steady stream in one statement per interval; flush does not wait', async () => {
      const calls: Array<{ at: number; seqs: number[] }> = [];
      const store: LogLineStore = async (_runId, lines) => void calls.push({ at: Date.now(), seqs: lines.map((line) => line.seq) });
      const writer = new RunLogWriter(1, 0, store, fakeEvents([]).events);
      writer.write('info', 'alone');
      await jest.advanceTimersByTimeAsync(1);
      expect(calls.map((call) => call.seqs)).toEqual([[1]]);
      // A line every 5 ms: they wait for the interval and go together.
      for (let i = 0; i < 8; i++) {
        writer.write('info', `stream ${i}`);
        await jest.advanceTimersByTimeAsync(5);
      }
      expect(calls.map((call) => call.seqs)).toEqual([[1], [2, 3, 4, 5, 6]]);
      expect(calls[1].at - calls[0].at).toBe(MIN_STORE_INTERVAL_MS);
      // The run ends: what is left goes now, not at the next interval.
      const flushedAt = Date.now();
      await Promise.all([writer.flush(), jest.advanceTimersByTimeAsync(1)]);
      expect(calls.map((call) => call.seqs)).toEqual([[1], [2, 3, 4, 5, 6], [7, 8, 9]]);
      expect(calls[2].at - flushedAt).toBeLessThan(MIN_STORE_INTERVAL_MS);
      // After a quiet spell a line goes at once again.
      await jest.advanceTimersByTimeAsync(1000);
      writer.write('info', 'later');
      await jest.advanceTimersByTimeAsync(1);
      expect(calls.map((call) => call.seqs)).toEqual([[1], [2, 3, 4, 5, 6], [7, 8, 9], [10]]);
    });
  });
});

describe('logPageRequest (?after= / ?before= / ?limit= of the log routes)', () => {
  it('reads forward from the start by default, a page of LOG_PAGE_LINES', () => {
    expect(logPageRequest({})).toEqual({ after: 0, limit: LOG_PAGE_LINES });
    expect(logPageRequest({ after: '120', limit: '10' })).toEqual({ after: 120, limit: 10 });
    expect(logPageRequest({ before: '5001', limit: String(MAX_LOG_PAGE_LINES) })).toEqual({ before: 5001, limit: MAX_LOG_PAGE_LINES });
  });

  it.each([
    [{ limit: '0' }, /limit/],
    [{ limit: String(MAX_LOG_PAGE_LINES + 1) }, /limit/],
    [{ after: '-1' }, /after/],
    [{ after: '1e3' }, /after/],
    [{ after: '2147483648' }, /after/],
    [{ before: '0' }, /before/],
    [{ after: '1', before: '9' }, /not both/],
  ])('refuses %j with a message naming the parameter', (query, message) => {
    expect(() => logPageRequest(query)).toThrow(message);
  });
});
