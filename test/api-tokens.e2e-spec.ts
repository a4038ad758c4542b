import { hashToken } from '../src/api-tokens/api-token.codec';
import { MAX_TOKENS_PER_USER } from '../src/api-tokens/api-tokens.service';
import { LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/** The token shown once on the page after it is made. */
function shownToken(html: string): string {
  const match = /id="new-token-value"[^>]*value="(aep_[A-Za-z0-9_-]{43})"/.exec(html);
  if (!match) throw new Error('No new token on the page');
  return match[1];
}

describe('personal API tokens on the profile page (e2e)', () => {
  let portal: TestPortal;
  let alice: LoggedIn;
  let bob: LoggedIn;

  const createToken = (user: LoggedIn, name: string) => user.agent.post('/profile/tokens').type('form').send({ name, _csrf: user.csrf });

  beforeAll(async () => {
    portal = await startTestPortal();
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
  });
  afterAll(() => portal.close());

  it('shows a new token once, stores only its hash, and the token works on the API until revoked', async () => {
    const created = await createToken(alice, 'Jupyter <notebook>').expect(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.text).toContain('Jupyter &lt;notebook&gt;');
    const token = shownToken(created.text);

    // Stored hashed: the table has the SHA-256 and a short prefix, never the token itself.
    const rows = await portal.dataSource.query(`SELECT t.id, t.name, t.token_hash, t.prefix FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'alice'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'Jupyter <notebook>', token_hash: hashToken(token), prefix: token.slice(0, 12) });
    const dump = JSON.stringify(await portal.dataSource.query('SELECT * FROM api_tokens'));
    expect(dump).not.toContain(token);

    // Listed afterwards by name and prefix, but the secret is not shown again.
    const profile = await alice.agent.get('/profile').expect(200);
    expect(profile.text).toContain(token.slice(0, 12));
    expect(profile.text).not.toContain(token);
    expect(profile.text).toMatch(/never/);

    // The token logs in as alice on the API, with no cookie and no CSRF token.
    const me = await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toMatchObject({ username: 'alice', role: 'student' });
    const target = await portal.http
      .post('/api/targets')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'Made by a script', ra: 10, dec: 20 })
      .expect(201);
    expect(target.body.owner).toBe('alice');
    const [used] = await portal.dataSource.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [rows[0].id]);
    expect(used.last_used_at).not.toBeNull();

    // Pages ignore the header: a token cannot reach the profile page (and make more tokens) without a session.
    const page = await portal.http.get('/profile').set('Authorization', `Bearer ${token}`).expect(302);
    expect(page.headers.location).toMatch(/^\/login/);

    // Revoked: the next API call with it is a 401, and the row is gone.
    const revoked = await alice.agent.post(`/profile/tokens/${rows[0].id}/revoke`).type('form').send({ _csrf: alice.csrf }).expect(303);
    expect(revoked.headers.location).toBe('/profile');
    expect((await alice.agent.get('/profile').expect(200)).text).toContain('Revoked the token');
    const refused = await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect(refused.body.message).toMatch(/invalid or has been revoked/);
    expect(await portal.dataSource.query('SELECT id FROM api_tokens WHERE id = $1', [rows[0].id])).toEqual([]);
  });

  it('keeps one user away from another user’s tokens', async () => {
    const token = shownToken((await createToken(bob, 'bob hook').expect(201)).text);
    const [row] = await portal.dataSource.query(`SELECT id FROM api_tokens WHERE name = 'bob hook'`);
    expect((await alice.agent.get('/profile').expect(200)).text).not.toContain('bob hook');
    await alice.agent.post(`/profile/tokens/${row.id}/revoke`).type('form').send({ _csrf: alice.csrf }).expect(404);
    // Bob's token still works.
    expect((await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200)).body.username).toBe('bob');
  });

  it('refuses forms without a CSRF token, empty names and too many tokens, with a clear message', async () => {
    const before = Number((await portal.dataSource.query('SELECT count(*) AS n FROM api_tokens'))[0].n);
    await alice.agent.post('/profile/tokens').type('form').send({ name: 'no csrf' }).expect(403);
    const empty = await createToken(alice, '   ').expect(400);
    expect(empty.text).toContain('Give the token a name');
    expect(Number((await portal.dataSource.query('SELECT count(*) AS n FROM api_tokens'))[0].n)).toBe(before);

    const existing = Number((await portal.dataSource.query(`SELECT count(*) AS n FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'alice'`))[0].n);
    for (let i = existing; i < MAX_TOKENS_PER_USER; i++) await createToken(alice, `token ${i}`).expect(201);
    const tooMany = await createToken(alice, 'one more').expect(400);
    expect(tooMany.text).toContain(`You have ${MAX_TOKENS_PER_USER} tokens already`);
  });

  it('needs a log-in for the profile page', async () => {
    const response = await portal.http.get('/profile').expect(302);
    expect(response.headers.location).toMatch(/^\/login/);
  });
});
