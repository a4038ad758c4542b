import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BROWSER_PASSWORD, describeInBrowser, eventually, startBrowserPortal, textMatches } from '../utils/browser';
import { freePort, killHard } from '../utils/fault-tools';
import { createTarget, FIXTURES, loginAs, uploadOne } from '../utils/test-app';

const ROOT = path.join(__dirname, '..', '..');
const SECRET = 'browser-remote-secret-42';

/**
 * Issue 16's story in headless Chromium: with the example processing service running beside the portal, a student
 * runs the default config's remote pipeline on M13's frames and watches its log and progress arrive on the run's
 * page as for any other run, then finds the returned CSV in the output group.
 */
describeInBrowser('in a real browser: a remote run on the example service', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  let service: ChildProcess;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-remote-browser-'));

  beforeAll(async () => {
    const servicePort = await freePort();
    service = spawn(process.execPath, [path.join(ROOT, 'pipelines', 'remote-example', 'server.js')], {
      env: { ...process.env, REMOTE_EXAMPLE_SECRET: SECRET, PORT: String(servicePort) },
      stdio: 'ignore',
    });
    // The default config's entry, pointed at this service's port.
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'pipelines.config.json'), 'utf8'));
    const entry = config.pipelines['Frame checksums (remote example)'];
    entry.url = `http://127.0.0.1:${servicePort}`;
    const file = path.join(configDir, 'pipelines.config.json');
    fs.writeFileSync(file, JSON.stringify({ pipelines: { 'Frame checksums (remote example)': entry } }));
    const portalPort = await freePort();
    process.env.REMOTE_EXAMPLE_SECRET = SECRET;
    browser = await startBrowserPortal({ pipelinesConfig: file, env: { PORTAL_URL: `http://127.0.0.1:${portalPort}` }, port: portalPort });
    await browser.createUser('rita-remote', 'student');
  });
  afterAll(async () => {
    await browser?.close();
    if (service) await killHard(service);
    delete process.env.REMOTE_EXAMPLE_SECRET;
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('runs on the service and shows its log, progress and output live', async () => {
    const rita = await loginAs(browser.portal.app.getHttpServer(), 'rita-remote', BROWSER_PASSWORD);
    const targetId = await createTarget(rita, { name: 'M13', ra: '250.4235', dec: '36.4613' });
    const frames = fs.readdirSync(path.join(FIXTURES, 'm13-blue-2013-05-05')).sort();
    for (const frame of frames) await uploadOne(rita, targetId, path.join(FIXTURES, 'm13-blue-2013-05-05', frame), frame, 'fits_image');
    const page = await browser.context.newPage();
    await browser.logIn(page, 'rita-remote');
    await page.goto(`/targets/${targetId}`);
    const boxes = page.locator('#products-table input[name=productIds]');
    for (let i = 0; i < frames.length; i++) await boxes.nth(i).check();
    await page.getByRole('radio', { name: 'Frame checksums (remote example)' }).check();
    await page.locator('input[name="param:remote_checksums:pauseMs"]').fill('400');
    await Promise.all([page.waitForURL(/\/pipeline\/\d+$/), page.locator('#run-pipeline').click()]);
    await page.evaluate(() => ((window as any).__sameDocument = true));
    // The service's lines and progress arrive while it works.
    await textMatches(page, '#run-log', /Handed to the service at http:\/\/127\.0\.0\.1:\d+/, 20_000);
    await textMatches(page, '#run-status', /Frame M13_blue_000\d\.fits\.gz \d\/5/, 20_000);
    await eventually(() => page.locator('#run-progress-bar').evaluate((bar: HTMLProgressElement) => bar.position), (position) => position > 0, 'a determinate bar');
    await browser.screenshot(page, '44-remote-running');
    await eventually(() => page.locator('#run-state').textContent(), (state) => state === 'succeeded', 'the run succeeded', 30_000);
    const log = await page.locator('#run-log').textContent();
    for (const frame of frames) expect(log).toMatch(new RegExp(`Frame \\d/5: ${frame.replace(/\./g, '\\.')}, \\d+ bytes, sha256 checked`));
    expect(log).toContain('Received frame_checksums.csv (DataProduct, other)');
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await page.locator('#run-outputs a').click();
    await page.waitForURL(/\/groups\/\d+$/);
    await textMatches(page, 'main', /frame_checksums\.csv/);
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
