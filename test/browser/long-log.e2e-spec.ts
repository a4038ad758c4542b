import { BROWSER_PASSWORD, describeInBrowser, eventually, startBrowserPortal } from '../utils/browser';
import { LONG_LOG_PIPELINES, startManyLines, storedCount, storedLines } from '../utils/long-log';
import { createTarget, loginAs, uploadOne } from '../utils/test-app';

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
});
