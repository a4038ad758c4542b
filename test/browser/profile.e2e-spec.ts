import { describeInBrowser, startBrowserPortal } from '../utils/browser';

// A file of its own: passport keeps its session (de)serialisers process-wide (see teacher.e2e-spec.ts).
describeInBrowser('in a real browser: API tokens on the profile page', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;

  beforeAll(async () => {
    browser = await startBrowserPortal();
    await browser.createUser('nora', 'student');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('makes a token from the keyboard, sees it once, uses it from a script, and revokes it', async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'nora');
    await Promise.all([page.waitForURL(/\/profile$/), page.locator('a.profile-link').click()]);
    expect(await page.locator('#tokens-table').textContent()).toContain('You have no API tokens');

    // Keyboard only: focus the name field, type, Enter submits the form.
    await page.getByLabel('Name of a new token').focus();
    await page.keyboard.type('Colab notebook');
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/profile/tokens')), page.keyboard.press('Enter')]);
    const token = await page.locator('#new-token-value').inputValue();
    expect(token).toMatch(/^aep_[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('#tokens-table').textContent()).toContain('Colab notebook');
    await browser.screenshot(page, '12-profile-new-token');

    // A script (no cookies) uses the token on the API.
    const me = await fetch(`${browser.baseUrl}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect((await me.json()).username).toBe('nora');

    // Reloading the page does not show the secret again.
    await page.goto('/profile');
    expect(await page.locator('#new-token-value').count()).toBe(0);
    expect(await page.content()).not.toContain(token);

    // Revoking posts and comes back to /profile with a message (the flash appears only on the new page).
    // Wait for the page the redirect leads to (the navigation's GET /profile), not only for the POST: under load the
    // old page can still be the one shown when the POST's answer arrives.
    const [revoked, shown] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && /\/profile\/tokens\/\d+\/revoke$/.test(r.url())),
      page.waitForResponse((r) => r.request().method() === 'GET' && r.request().isNavigationRequest() && new URL(r.url()).pathname === '/profile'),
      page.getByRole('button', { name: 'Revoke the token Colab notebook' }).click(),
    ]);
    expect(revoked.status()).toBe(303);
    expect(shown.status()).toBe(200);
    await page.waitForLoadState();
    await page.locator('.flash').waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe('/profile');
    expect(await page.locator('.flash').textContent()).toContain('Revoked the token "Colab notebook"');
    expect((await fetch(`${browser.baseUrl}/api/me`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(browser.errors).toEqual([]);
  });
});
