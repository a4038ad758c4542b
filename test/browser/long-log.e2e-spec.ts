import { BROWSER_PASSWORD, describeInBrowser, eventually, startBrowserPortal } from '../utils/browser';
import { LONG_LOG_PIPELINES, startManyLines, storedCount, storedLines } from '../utils/long-log';
import { createTarget, loginAs, uploadOne, waitForRun } from '../utils/test-app';

/**
 * The run page with a 50,000-line log in headless Chromium: it catches up while lines keep coming, ends at the
 * "Finished" line with each line once, keeps the page bounded and puts earlier lines back on request.
 * (test/long-logs.e2e-spec.ts checks the same log through the API, the JSON route and join-run.)
 */
describeInBrowser('in a real browser: a long log on the run page', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: LONG_LOG_PIPELINES });
    await browser.createUser('carol-long', 'student');
  });
  afterAll(() => browser?.close());

  it('catches up with a run that keeps logging, to the "Finished" line, each line once, with a bounded page', async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'carol-long');
    const carol = await loginAs(browser.portal.app.getHttpServer(), 'carol-long', BROWSER_PASSWORD);
    const targetId = await createTarget(carol, { name: 'Long log in a browser', ra: '10', dec: '20' });
    const inputId = await uploadOne(carol, targetId, Buffer.from('notes'), 'notes.txt', 'other');
    const runId = await startManyLines(carol, targetId, inputId, true);
    await eventually(
      () => storedCount(browser.portal, runId),
      (n: number) => n >= 3000,
      'the first 3,000 lines',
      60_000,
    );
    // The page's socket starts only once the run is far ahead of the lines the page arrived with: it must catch up
    // page by page (join-run, hasMore) while lines keep coming.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/socket.io/socket.io.js', async (route) => {
      await held;
      await route.continue();
    });
    const joins: string[] = [];
    page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => String(payload).includes('"join-run"') && joins.push(String(payload))));
    await page.goto(`/pipeline/${runId}`, { waitUntil: 'commit' });
    await page.locator('#run-log .log-line').first().waitFor({ state: 'attached' });
    await eventually(() => storedCount(browser.portal, runId), (n: number) => n >= 25_000, 'the first 25,000 lines', 60_000);
    release();
    await page.locator('#run-log .log-line', { hasText: /^Finished: / }).waitFor({ timeout: 90_000 });
    expect(joins.length).toBeGreaterThan(5);
    const state = await page.evaluate(() => {
      const spans = Array.from(document.querySelectorAll('#run-log .log-line'));
      return {
        seqs: spans.map((span) => Number(span.getAttribute('data-seq'))),
        last: spans[spans.length - 1].textContent,
        earlier: document.getElementById('log-earlier')?.hidden,
        earlierText: document.getElementById('log-earlier')?.textContent ?? '',
      };
    });
    const log = await storedLines(browser.portal, runId);
    const total = log.length;
    expect(state.seqs[state.seqs.length - 1]).toBe(total);
    expect(state.seqs.every((seq, i) => seq === state.seqs[0] + i)).toBe(true);
    expect(state.last).toMatch(/^Finished: /);
    // Bounded: the page keeps the most recent lines and offers the earlier ones.
    expect(state.seqs.length).toBeLessThanOrEqual(10_000);
    expect(state.earlier).toBe(false);
    expect(state.earlierText).toContain(`${(state.seqs[0] - 1).toLocaleString('en-US')} earlier lines`);
    await eventually(() => page.locator('#run-state').textContent(), (text) => text === 'succeeded', 'the state "succeeded"');

    // "Show earlier lines" puts the page before the first shown one above it, and stops following.
    const firstBefore = state.seqs[0];
    await page.getByRole('button', { name: /Show earlier lines/ }).click();
    await eventually(
      () => page.evaluate(() => Number(document.querySelector('#run-log .log-line')?.getAttribute('data-seq'))),
      (first: number) => first < firstBefore,
      'earlier lines above the log',
    );
    const after = await page.evaluate(() => Array.from(document.querySelectorAll('#run-log .log-line')).map((span) => Number(span.getAttribute('data-seq'))));
    expect(after.every((seq, i) => seq === after[0] + i)).toBe(true);
    expect(after[after.length - 1]).toBe(total);
    expect(await page.locator('#follow-log').isChecked()).toBe(false);
    const texts = await page.evaluate(() => Array.from(document.querySelectorAll('#run-log .log-line')).slice(0, 3).map((span) => span.textContent));
    expect(texts).toEqual([0, 1, 2].map((i) => `${log[after[0] + i - 1].text}\n`));
    await browser.screenshot(page, 'long-log');
    expect(browser.errors).toEqual([]);
  }, 180_000);

  it('reads a 100,000-line log as in CI systems: permalinks, a window around a line far back, search, timestamps, ANSI colours', async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'carol-long');
    const carol = await loginAs(browser.portal.app.getHttpServer(), 'carol-long', BROWSER_PASSWORD);
    const targetId = await createTarget(carol, { name: 'Very long log', ra: '10', dec: '20' });
    const inputId = await uploadOne(carol, targetId, Buffer.from('notes'), 'notes.txt', 'other');
    const started = await carol.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ pipeline: 'Very many lines', productIds: String(inputId), _csrf: carol.csrf })
      .expect(201);
    const runId: number = started.body.id;
    expect((await waitForRun(browser.portal, runId, ['succeeded', 'failed'], 120_000)).state).toBe('succeeded');
    const lineCount = () => page.evaluate(() => document.querySelectorAll('#run-log .log-line').length);
    // The seq of the line the program printed as `line <n> of 100000` (the log starts with the runner's own lines).
    const [{ seq: first }] = await browser.portal.dataSource.query(`SELECT seq FROM pipeline_log_lines WHERE run_id = $1 AND text = 'line 1 of 100000'`, [runId]);
    const seqOf = (n: number) => first - 1 + n;
    // Line 120 of 100,000: far back, so a window opens around it.
    const seq = seqOf(120);
    await page.goto(`/pipeline/${runId}#L${seq}`);
    await page.locator(`#L${seq}.log-target`).waitFor();
    expect(await page.locator(`#L${seq}`).textContent()).toBe('line 120 of 100000\n');
    expect(await lineCount()).toBeLessThanOrEqual(2000);
    expect(await page.locator('#log-later').isVisible()).toBe(true);
    expect(await page.locator('#follow-log').isChecked()).toBe(false);
    // ANSI colours as classes; the text has no escape codes left.
    const coloured = page.locator(`#L${seqOf(1000)} span.ansi-bold.ansi-fg-32`);
    expect(await coloured.textContent()).toBe('line 1000 of 100000');
    expect(await page.locator(`#L${seqOf(1000)}`).textContent()).toBe('line 1000 of 100000\n');
    expect(await page.evaluate(() => document.getElementById('run-log')!.textContent!.includes('\u001b'))).toBe(false);

    // Timestamps: beside the numbers when ticked, remembered for the next page.
    await page.locator('#log-times').check();
    expect(await page.locator('#run-log.show-times').count()).toBe(1);
    expect(await page.locator(`#L${seq}`).getAttribute('data-time')).toMatch(/^\d\d:\d\d:\d\d$/);

    // Search: matches among the lines shown are marked; those elsewhere are counted by the server and one click away.
    await page.locator('#log-search').fill('line 99990 of');
    await eventually(() => page.locator('#log-search-elsewhere').textContent(), (text) => text === `1 in lines not shown here; first: line ${seqOf(99990)}`, 'the match elsewhere');
    expect(await page.locator('#log-search-count').textContent()).toBe('no match shown');
    await page.locator('#log-search-first-elsewhere').click();
    await page.locator(`#L${seqOf(99990)}.log-target`).waitFor();
    expect(await page.locator(`#L${seqOf(99990)} mark.log-match`).textContent()).toBe('line 99990 of');
    // That window reaches the end: the page is live again, and stays bounded.
    expect(await page.locator('#log-later').isVisible()).toBe(false);
    await page.locator('#run-log .log-line', { hasText: /^Finished: / }).waitFor();
    expect(await lineCount()).toBeLessThanOrEqual(2100);
    await page.locator('#log-search').fill('of 100000');
    await eventually(() => page.locator('#log-search-count').textContent(), (text) => /^1 of \d+ shown$/.test(text ?? ''), 'the count of the matches shown');
    const marks = await page.locator('#run-log mark.log-match').count();
    expect(marks).toBe(Number(/of (\d+) shown/.exec((await page.locator('#log-search-count').textContent())!)![1]));
    await page.locator('#log-search-next').click();
    expect(await page.locator('#log-search-count').textContent()).toBe(`2 of ${marks} shown`);

    // A click on a line's number makes the address its permalink. (Once the count of the matches elsewhere is in:
    // its line above the log moves the log down when it appears.)
    await page.locator('#log-search-elsewhere').waitFor();
    const numbered = page.locator(`#L${seqOf(99995)}`);
    await numbered.scrollIntoViewIfNeeded();
    await numbered.click({ position: { x: 5, y: 5 } });
    expect(new URL(page.url()).hash).toBe(`#L${seqOf(99995)}`);
    expect(await page.locator(`#L${seqOf(99995)}.log-target`).count()).toBe(1);
    // The timestamps choice was kept.
    await page.goto(`/pipeline/${runId}`);
    expect(await page.locator('#log-times').isChecked()).toBe(true);
    expect(await lineCount()).toBeLessThanOrEqual(10_000);
    await browser.screenshot(page, 'long-log-window');
    expect(browser.errors).toEqual([]);
  }, 240_000);
});
