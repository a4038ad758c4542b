import { io as connect, Socket } from 'socket.io-client';
import { eventually } from './utils/browser';
import { Line, LONG_LOG_PIPELINES, PRINTED, printedLine, startManyLines, storedCount, storedLines } from './utils/long-log';
import { createTarget, LoggedIn, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

/** The whole log as read through pages: seq 1, 2, 3… with no gap or repeat, and exactly what is stored. */
function expectWhole(read: Line[], stored: Line[]): void {
  expect(read.length).toBe(stored.length);
  const seqs = read.map((line) => line.seq);
  expect(seqs.every((seq, i) => seq === i + 1)).toBe(true);
  expect(read).toEqual(stored);
}

function socketFor(baseUrl: string, user: LoggedIn): Promise<Socket> {
  return user.agent.get('/targets').then((response) => {
    const socket = connect(baseUrl, { extraHeaders: { Cookie: response.request.cookies, Origin: baseUrl }, transports: ['websocket'], forceNew: true });
    return new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  });
}

/** join-run from `after`, asking again from each answer's `lastSeq` while it says `hasMore`: the page's replay. */
async function replayOverSocket(socket: Socket, runId: number, after = 0): Promise<{ lines: Line[]; replies: any[] }> {
  const lines: Line[] = [];
  const replies: any[] = [];
  for (let calls = 0; calls < 1000; calls++) {
    const reply: any = await socket.timeout(20_000).emitWithAck('join-run', { runId, after });
    replies.push(reply);
    if (!reply.ok) throw new Error(`join-run refused: ${reply.error}`);
    // Each answer continues exactly where the previous one stopped.
    if (reply.lines.length) expect(reply.lines[0].seq).toBe(after + 1);
    lines.push(...reply.lines.map(({ seq, time, level, text }: Line) => ({ seq, time, level, text })));
    if (!reply.hasMore) return { lines, replies };
    expect(reply.lastSeq).toBe(lines[lines.length - 1].seq);
    after = reply.lastSeq;
  }
  throw new Error('join-run never said it was caught up');
}

describe('long run logs: 50,000 lines stored, paged by the API, the JSON route and the socket replay (e2e)', () => {
  let portal: TestPortal;
  let baseUrl: string;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let targetId: number;
  let inputId: number;
  let runId: number;
  let stored: Line[];

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: LONG_LOG_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = (await portal.app.getUrl()).replace('[::1]', '127.0.0.1');
    alice = await portal.login('alice-long', 'student');
    bob = await portal.login('bob-long', 'student');
    targetId = await createTarget(alice, { name: 'Long log target', ra: '10', dec: '20' });
    inputId = await uploadOne(alice, targetId, Buffer.from('notes'), 'notes.txt', 'other');
    runId = await startManyLines(alice, targetId, inputId);
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 180_000);
    expect(run.state).toBe('succeeded');
    stored = await storedLines(portal, runId);
  }, 240_000);
  afterAll(() => portal?.close());

  it('stores every printed line once, numbered 1…N in order, between the "Running" and "Finished" lines', () => {
    // "Running …" (and the command line, as debug), the 50,000 printed lines, "Finished: …".
    expect(stored.every((line, i) => line.seq === i + 1)).toBe(true);
    expect(stored[0].text).toMatch(/^Running Many lines/);
    expect(stored[stored.length - 1].text).toMatch(/^Finished: /);
    const printed = stored.filter((line) => /^line \d+ of /.test(line.text));
    expect(printed).toHaveLength(PRINTED);
    expect(printed.every((line, i) => line.text === printedLine(i + 1) && line.level === 'info')).toBe(true);
    expect(printed[PRINTED - 1].seq - printed[0].seq).toBe(PRINTED - 1);
    expect(stored.length - PRINTED).toBeLessThanOrEqual(3);
  });

  it('GET /api/processes/:id/log pages through the whole log with limit and after, saying hasMore until the end', async () => {
    const read: Line[] = [];
    let after = 0;
    let pages = 0;
    for (;;) {
      const page = await alice.agent.get(`/api/processes/${runId}/log?after=${after}&limit=5000`).expect(200);
      pages++;
      expect(page.body.state).toBe('succeeded');
      expect(page.body.lines.length).toBeLessThanOrEqual(5000);
      read.push(...page.body.lines);
      expect(page.body.lastSeq).toBe(read.length ? read[read.length - 1].seq : after);
      if (!page.body.hasMore) break;
      expect(page.body.lines).toHaveLength(5000);
      after = page.body.lastSeq;
      if (pages > 100) throw new Error('the API never said the log ended');
    }
    expect(pages).toBe(Math.ceil(stored.length / 5000));
    expectWhole(read, stored);

    // Without a limit: the default page, and more to come.
    const first = await alice.agent.get(`/api/processes/${runId}/log`).expect(200);
    expect(first.body.hasMore).toBe(true);
    expect(first.body.lines).toEqual(stored.slice(0, first.body.lines.length));
    expect(first.body.lastSeq).toBe(first.body.lines.length);
    // Past the end: nothing, and nothing more.
    const end = await alice.agent.get(`/api/processes/${runId}/log?after=${stored.length}`).expect(200);
    expect(end.body).toEqual({ state: 'succeeded', lines: [], lastSeq: stored.length, hasMore: false });
  });

  it('refuses a bad limit or after with a 400 that names it, and keeps the log from other students', async () => {
    for (const query of ['limit=0', 'limit=5001', 'limit=abc', 'limit=1.5']) {
      const refused = await alice.agent.get(`/api/processes/${runId}/log?${query}`).expect(400);
      expect(refused.body.errors).toHaveProperty('limit');
    }
    const past = await alice.agent.get(`/api/processes/${runId}/log?after=2147483648`).expect(400);
    expect(past.body.errors).toHaveProperty('after');
    await bob.agent.get(`/api/processes/${runId}/log?limit=10`).expect(403);
    await bob.agent.get(`/pipeline/${runId}/log?before=10`).set('Accept', 'application/json').expect(403);
    await bob.agent.get(`/pipeline/${runId}/log.txt`).expect(403);
    for (const query of ['limit=0', 'limit=5001', 'after=-1', 'before=0', 'after=1&before=5', 'after=2147483648']) {
      const refused = await alice.agent.get(`/pipeline/${runId}/log?${query}`).set('Accept', 'application/json').expect(400);
      expect(refused.body.message).toMatch(/after|before|limit/);
    }
  });

  it('GET /pipeline/:id/log pages forward with after and backward with before, and log.txt has every line', async () => {
    const forward: Line[] = [];
    let after = 0;
    for (let pages = 0; ; pages++) {
      const page = await alice.agent.get(`/pipeline/${runId}/log?after=${after}&limit=5000`).set('Accept', 'application/json').expect(200);
      forward.push(...page.body.lines);
      if (!page.body.hasMore) break;
      after = forward[forward.length - 1].seq;
      if (pages > 100) throw new Error('the log route never said the log ended');
    }
    expectWhole(forward, stored);

    // Backward from the end, as the page's "Show earlier lines" does.
    const backward: Line[] = [];
    let before = stored.length + 1;
    for (let pages = 0; ; pages++) {
      const page = await alice.agent.get(`/pipeline/${runId}/log?before=${before}&limit=4999`).set('Accept', 'application/json').expect(200);
      backward.unshift(...page.body.lines);
      if (!page.body.hasMore) break;
      before = backward[0].seq;
      if (pages > 100) throw new Error('the log route never said the log began');
    }
    expectWhole(backward, stored);

    const text = await alice.agent.get(`/pipeline/${runId}/log.txt`).expect(200);
    expect(text.headers['content-type']).toMatch(/^text\/plain; charset=utf-8/);
    expect(text.headers['content-disposition']).toMatch(/attachment; filename=".*_log\.txt"/);
    const rows = (text.text as string).split('\n');
    expect(rows.pop()).toBe('');
    expect(rows).toHaveLength(stored.length);
    expect(rows.every((row, i) => row === `${stored[i].time} ${stored[i].level.padEnd(7)} ${stored[i].text}`)).toBe(true);
  });

  it('GET /pipeline/:id/log/search finds lines anywhere in the log, case ignored, the first 1,000 with the count of all', async () => {
    const one = await alice.agent.get(`/pipeline/${runId}/log/search?q=${encodeURIComponent('LINE 12345 OF')}`).set('Accept', 'application/json').expect(200);
    const at = stored.findIndex((line) => line.text === printedLine(12345));
    expect(one.body).toEqual({ total: 1, lines: [{ seq: stored[at].seq, text: printedLine(12345) }] });
    const many = await alice.agent.get(`/pipeline/${runId}/log/search?q=${encodeURIComponent(` of ${PRINTED}`)}`).set('Accept', 'application/json').expect(200);
    expect(many.body.total).toBe(PRINTED);
    expect(many.body.lines).toHaveLength(1000);
    expect(many.body.lines[999]).toEqual({ seq: stored[at - 12345 + 1000].seq, text: printedLine(1000) });
    // As typed: % and _ are not wildcards.
    expect((await alice.agent.get(`/pipeline/${runId}/log/search?q=${encodeURIComponent('line 1_ of')}`).set('Accept', 'application/json').expect(200)).body).toEqual({ total: 0, lines: [] });
    expect((await alice.agent.get(`/pipeline/${runId}/log/search?q=`).set('Accept', 'application/json').expect(400)).body.message).toBe('Type something to search for (?q=)');
    expect((await alice.agent.get(`/pipeline/${runId}/log/search?q=${'x'.repeat(201)}`).set('Accept', 'application/json').expect(400)).body.message).toBe('Search for at most 200 characters');
    await bob.agent.get(`/pipeline/${runId}/log/search?q=line`).set('Accept', 'application/json').expect(403);
    await alice.agent.get(`/pipeline/999999/log/search?q=line`).set('Accept', 'application/json').expect(404);
  });

  it('the run page shows the end of the log, "Finished" included, and offers the earlier lines', async () => {
    const page = await alice.agent.get(`/pipeline/${runId}`).set('Accept', 'text/html').expect(200);
    const shown = [...page.text.matchAll(/<span class="log-line level-(\w+)" id="L(\d+)" data-seq="(\d+)" data-time="(\d\d:\d\d:\d\d)">([^<]*)\n<\/span>/g)].map((m) => {
      expect(m[2]).toBe(m[3]); // the permalink's anchor is the line's seq
      return Number(m[3]);
    });
    expect(shown.length).toBeGreaterThan(0);
    expect(shown[shown.length - 1]).toBe(stored.length);
    expect(shown.every((seq, i) => seq === shown[0] + i)).toBe(true);
    expect(page.text).toContain(stored[stored.length - 1].text);
    expect(page.text).toContain(`data-first-seq="${shown[0]}"`);
    expect(page.text).toContain(`data-last-seq="${stored.length}"`);
    expect(page.text).toMatch(/id="log-earlier"[^>]*>/);
    expect(page.text).toContain(`/pipeline/${runId}/log.txt`);
  });

  it('join-run replays the whole finished log in pages, to the "Finished" line, without gaps or repeats', async () => {
    const socket = await socketFor(baseUrl, alice);
    try {
      const { lines, replies } = await replayOverSocket(socket, runId);
      expect(replies.length).toBeGreaterThan(1);
      expect(replies[0]).toMatchObject({ ok: true, state: 'succeeded', hasMore: true });
      expect(replies[replies.length - 1]).toMatchObject({ ok: true, state: 'succeeded', hasMore: false, lastSeq: stored.length });
      expectWhole(lines, stored);
      expect(lines[lines.length - 1].text).toMatch(/^Finished: /);
      // A socket that has everything is told so at once.
      expect(await socket.timeout(5000).emitWithAck('join-run', { runId, after: stored.length })).toMatchObject({ ok: true, lines: [], hasMore: false, lastSeq: stored.length });
    } finally {
      socket.disconnect();
    }
  });

  it('a socket joining while lines keep arriving gets every line once: replayed pages plus live batches', async () => {
    const live = await startManyLines(alice, targetId, inputId, true);
    // Join once a few pages are stored, while the rest is still being printed.
    await eventually(
      () => storedCount(portal, live),
      (n: number) => n >= 5000,
      'the first 5,000 lines of the slow run',
      60_000,
    );
    const socket = await socketFor(baseUrl, alice);
    const pushed: Line[] = [];
    const finished = new Promise<void>((resolve) =>
      socket.on('log-lines', (batch: Array<Line & { runId: number }>) => {
        for (const { runId: id, seq, time, level, text } of batch) if (id === live) pushed.push({ seq, time, level, text });
        if (batch.some((line) => line.text.startsWith('Finished: '))) resolve();
      }),
    );
    try {
      const { lines: replayed, replies } = await replayOverSocket(socket, live);
      expect(replies[0].state).toBe('running');
      expect(replies[0].hasMore).toBe(true);
      await finished;
      const all = await storedLines(portal, live);
      expect(all).toHaveLength(stored.length);
      // The replay is the stored log from line 1, in order; the live batches carry what was stored after them.
      expect(replayed).toEqual(all.slice(0, replayed.length));
      for (const line of pushed) expect(line).toEqual(all[line.seq - 1]);
      const seen = new Set([...replayed, ...pushed].map((line) => line.seq));
      expect(seen.size).toBe(all.length);
      expect(Math.min(...seen)).toBe(1);
      expect(Math.max(...seen)).toBe(all.length);
    } finally {
      socket.disconnect();
    }
    await waitForRun(portal, live, ['succeeded']);
  }, 120_000);
});
