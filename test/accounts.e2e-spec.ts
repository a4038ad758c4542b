import request from 'supertest';
import { UsersService } from '../src/users/users.service';
import { csrfFrom, LoggedIn, loginAs, startTestPortal, TestPortal } from './utils/test-app';

/** Accounts: /admin/users, /api/users, deactivation, password resets, the forced change, /profile. */
describe('accounts (e2e)', () => {
  let portal: TestPortal;
  let admin: LoggedIn;
  let server: unknown;

  const userRow = async (username: string) =>
    (await portal.dataSource.query(`SELECT id, role, active, display_name, must_change_password, deactivated_at, password_hash FROM users WHERE username = $1`, [username]))[0];
  const sessionCount = async (userId: string) =>
    (await portal.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE sess::jsonb #>> '{passport,user}' = $1`, [userId]))[0].n;
  const userCount = async () => (await portal.dataSource.query('SELECT count(*)::int AS n FROM users'))[0].n;
  const shownPassword = (html: string) => /id="password-value"[^>]*value="([^"]+)"/.exec(html)?.[1];

  /** A login attempt on a fresh agent: its status, page and agent. */
  async function tryLogin(username: string, password: string) {
    const agent = request.agent(server as never);
    const page = await agent.get('/login').expect(200);
    const response = await agent.post('/login').type('form').send({ username, password, _csrf: csrfFrom(page.text), next: '/targets' });
    return { status: response.status, text: response.text, location: response.headers.location, agent };
  }

  /** Logs in with a generated password and chooses `newPassword` on the forced change page. */
  async function firstLogin(username: string, generated: string, newPassword: string): Promise<LoggedIn> {
    const { status, agent } = await tryLogin(username, generated);
    expect(status).toBe(303);
    const page = await agent.get('/profile/password').expect(200);
    await agent
      .post('/profile/password')
      .type('form')
      .send({ currentPassword: generated, newPassword, confirmPassword: newPassword, _csrf: csrfFrom(page.text) })
      .expect(303);
    const targets = await agent.get('/targets').expect(200);
    return { agent, csrf: csrfFrom(targets.text), username };
  }

  function createOnPage(fields: Record<string, string>) {
    return admin.agent.post('/admin/users').type('form').send({ ...fields, _csrf: admin.csrf });
  }

  beforeAll(async () => {
    portal = await startTestPortal();
    server = portal.app.getHttpServer();
    admin = await portal.login('root', 'admin');
  });
  afterAll(() => portal.close());

  describe('/admin/users', () => {
    it('creates an account whose generated password is shown once, not cached, and must be changed at the first login', async () => {
      const list = await admin.agent.get('/admin/users').expect(200);
      expect(list.text).toContain('id="create-user-form"');
      expect(list.text).toContain('href="/admin/users"'); // the nav link admins get

      const created = await createOnPage({ username: 'ada', displayName: '  Ada Lovelace ', role: 'student' }).expect(201);
      expect(created.headers['cache-control']).toBe('no-store');
      const password = shownPassword(created.text)!;
      expect(password).toMatch(/^[a-z]+-[a-z]+-[a-z]+-\d{3}$/);
      const row = await userRow('ada');
      expect(row).toMatchObject({ role: 'student', active: true, display_name: 'Ada Lovelace', must_change_password: true });
      expect(row.password_hash).not.toContain(password);
      // Shown once: neither the list nor the account page carries it.
      expect((await admin.agent.get('/admin/users').expect(200)).text).not.toContain(password);
      expect((await admin.agent.get(`/admin/users/${row.id}`).expect(200)).text).not.toContain(password);

      // Every page sends her to the change-password page, keeping where she was going; the API says why in JSON.
      const { status, agent } = await tryLogin('ada', password);
      expect(status).toBe(303);
      const redirected = await agent.get('/targets?q=M13').set('Accept', 'text/html').expect(302);
      expect(redirected.headers.location).toBe('/profile/password?next=%2Ftargets%3Fq%3DM13');
      expect((await agent.get('/profile').expect(302)).headers.location).toBe('/profile/password?next=%2Fprofile');
      const api = await agent.get('/api/me').expect(403);
      expect(api.body).toEqual({ statusCode: 403, message: expect.stringContaining('You must choose a new password') });
      // Static files still load; the change page works and says why she is there.
      await agent.get('/css/portal.css').expect(200);
      const page = await agent.get('/profile/password?next=%2Ftargets%3Fq%3DM13').expect(200);
      expect(page.text).toContain('id="forced-change"');
      const csrf = csrfFrom(page.text);
      // Forms other than the change itself are refused and change nothing.
      await agent.post('/targets').type('form').send({ name: 'Sneaky', type: 'sidereal', ra: '1', dec: '1', visibility: 'private', _csrf: csrf }).expect(403);
      expect(await portal.dataSource.query(`SELECT id FROM targets WHERE name = 'Sneaky'`)).toEqual([]);

      const change = (fields: Record<string, string>) =>
        agent.post('/profile/password').type('form').send({ next: '/targets?q=M13', _csrf: csrf, ...fields });
      expect((await change({ currentPassword: 'not-it-at-all', newPassword: 'my own words', confirmPassword: 'my own words' }).expect(400)).text).toContain(
        'Your current password is not right',
      );
      expect((await change({ currentPassword: password, newPassword: password, confirmPassword: password }).expect(400)).text).toContain(
        'Choose a password different from the current one',
      );
      expect((await change({ currentPassword: password, newPassword: 'my own words', confirmPassword: 'my own wordz' }).expect(400)).text).toContain(
        'The two new passwords differ',
      );
      expect((await change({ currentPassword: password, newPassword: 'short', confirmPassword: 'short' }).expect(400)).text).toContain('at least 8 characters');
      expect((await userRow('ada')).must_change_password).toBe(true);

      const done = await change({ currentPassword: password, newPassword: 'my own words', confirmPassword: 'my own words' }).expect(303);
      expect(done.headers.location).toBe('/targets?q=M13');
      expect((await userRow('ada')).must_change_password).toBe(false);
      await agent.get('/targets').expect(200);
      await agent.get('/api/me').expect(200);
      expect((await tryLogin('ada', password)).status).toBe(401);
      expect((await tryLogin('ada', 'my own words')).status).toBe(303);
    });

    it('refuses a taken or malformed username and a bad role with the form and a message, creating nothing', async () => {
      await portal.app.get(UsersService).create('taken', 'test-password-123', 'student');
      const before = await userCount();
      const taken = await createOnPage({ username: 'taken', role: 'teacher', displayName: 'Someone else' }).expect(409);
      expect(taken.text).toContain('User &quot;taken&quot; already exists');
      expect(taken.text).toContain('value="Someone else"'); // the form keeps what was typed
      expect((await createOnPage({ username: 'no spaces', role: 'student' }).expect(400)).text).toContain('Username must be 2-150 letters');
      expect((await createOnPage({ username: 'okname', role: 'owner' }).expect(400)).text).toContain('Role must be one of: admin, teacher, student');
      expect((await createOnPage({ username: 'okname', role: 'student', displayName: 'x'.repeat(151) }).expect(400)).text).toContain('at most 150 characters');
      expect(await userCount()).toBe(before);
      expect((await userRow('taken')).role).toBe('student');
    });

    it('searches usernames and display names, filters by role and status, and pages', async () => {
      const users = portal.app.get(UsersService);
      for (let i = 1; i <= 5; i++) await users.create(`pager${i}`, 'test-password-123', 'student', { displayName: `Page Turner ${i}` });
      await users.create('lovelace2', 'test-password-123', 'teacher', { displayName: 'Augusta' });
      const names = (html: string) => [...html.matchAll(/<a href="\/admin\/users\/[0-9a-f-]+">([^<]+)<\/a>/g)].map((m) => m[1]);

      expect(names((await admin.agent.get('/admin/users?q=LOVE').expect(200)).text)).toEqual(['ada', 'lovelace2']); // Ada Lovelace by name
      expect(names((await admin.agent.get('/admin/users?q=augusta').expect(200)).text)).toEqual(['lovelace2']);
      expect(names((await admin.agent.get('/admin/users?q=love&role=teacher').expect(200)).text)).toEqual(['lovelace2']);
      expect(names((await admin.agent.get('/admin/users?q=%25').expect(200)).text)).toEqual([]); // % is a character, not a wildcard

      const first = await admin.agent.get('/admin/users?q=turner&limit=2').expect(200);
      expect(names(first.text)).toEqual(['pager1', 'pager2']);
      expect(first.text).toContain('5 users, showing 1–2');
      const next = /href="([^"]+)" rel="next"/.exec(first.text)![1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
      expect(next).toBe('/admin/users?q=turner&limit=2&offset=2');
      const last = await admin.agent.get('/admin/users?q=turner&limit=2&offset=4').expect(200);
      expect(names(last.text)).toEqual(['pager5']);

      expect((await admin.agent.get('/admin/users?role=owner').expect(400)).text).toContain('role must be one of admin, teacher, student');
      await admin.agent.get('/admin/users?limit=0').expect(400);
    });

    it('changes a role, which applies to the user’s live session at once', async () => {
      const grace = await portal.login('grace', 'student');
      const { id } = await userRow('grace');
      expect((await grace.agent.get('/pipelines').expect(200)).text).not.toContain('Save preset');
      const changed = await admin.agent.post(`/admin/users/${id}/role`).type('form').send({ role: 'teacher', _csrf: admin.csrf }).expect(303);
      expect(changed.headers.location).toBe(`/admin/users/${id}`);
      expect((await admin.agent.get(changed.headers.location).expect(200)).text).toContain('grace is now a teacher.');
      expect((await userRow('grace')).role).toBe('teacher');
      expect((await grace.agent.get('/pipelines').expect(200)).text).toContain('Save preset');
    });

    it('deactivates: the live session ends at once (its rows go), the API token stops, the login says why; reactivates', async () => {
      const bob = await portal.login('bob', 'student');
      const { id } = await userRow('bob');
      const made = await bob.agent.post('/profile/tokens').type('form').send({ name: 'notebook', _csrf: bob.csrf }).expect(201);
      const token = /id="new-token-value"[^>]*value="([^"]+)"/.exec(made.text)![1];
      await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200);
      expect(await sessionCount(id)).toBeGreaterThan(0);

      const done = await admin.agent.post(`/admin/users/${id}/deactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
      expect((await admin.agent.get(done.headers.location).expect(200)).text).toContain('Deactivated bob');
      const row = await userRow('bob');
      expect(row.active).toBe(false);
      expect(row.deactivated_at).toBeInstanceOf(Date);
      expect(await sessionCount(id)).toBe(0);

      const next = await bob.agent.get('/targets').set('Accept', 'text/html').expect(302);
      expect(next.headers.location).toBe('/login?next=%2Ftargets');
      await bob.agent.get('/api/me').expect(401);
      const byToken = await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(401);
      expect(byToken.body.message).toBe('The API token is invalid or has been revoked');

      // The right password hears why; a wrong one learns nothing about the account.
      const refused = await tryLogin('bob', 'test-password-123');
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('This account has been deactivated');
      expect(await sessionCount(id)).toBe(0);
      const wrong = await tryLogin('bob', 'a-wrong-guess');
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('Wrong username or password');
      expect(wrong.text).not.toContain('deactivated');
      expect((await admin.agent.get('/admin/users?status=deactivated').expect(200)).text).toContain('>bob</a>');

      await admin.agent.post(`/admin/users/${id}/reactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
      expect(await userRow('bob')).toMatchObject({ active: true, deactivated_at: null });
      expect((await tryLogin('bob', 'test-password-123')).status).toBe(303);
      await portal.http.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it('resets a password: shown once, the old one fails, sessions end, the new one leads to the forced change', async () => {
      const cleo = await portal.login('cleo', 'student');
      const { id, password_hash: oldHash } = await userRow('cleo');
      const reset = await admin.agent.post(`/admin/users/${id}/reset-password`).type('form').send({ _csrf: admin.csrf }).expect(200);
      expect(reset.headers['cache-control']).toBe('no-store');
      const password = shownPassword(reset.text)!;
      expect(password).toBeTruthy();
      const row = await userRow('cleo');
      expect(row.password_hash).not.toBe(oldHash);
      expect(row.must_change_password).toBe(true);
      expect(await sessionCount(id)).toBe(0);
      await cleo.agent.get('/targets').set('Accept', 'text/html').expect(302);

      expect((await tryLogin('cleo', 'test-password-123')).status).toBe(401);
      const { status, agent } = await tryLogin('cleo', password);
      expect(status).toBe(303);
      expect((await agent.get('/groups').expect(302)).headers.location).toBe('/profile/password?next=%2Fgroups');
      const again = await firstLogin('cleo', password, 'cleo chose this');
      await again.agent.get('/groups').expect(200);
      expect((await userRow('cleo')).must_change_password).toBe(false);
    });

    it('refuses an admin deactivating, demoting or resetting themself, and changes nothing', async () => {
      const { id } = await userRow('root');
      const before = await userRow('root');
      const deactivate = await admin.agent.post(`/admin/users/${id}/deactivate`).type('form').send({ _csrf: admin.csrf }).expect(400);
      expect(deactivate.text).toContain('You cannot deactivate your own account; another admin must do it');
      const demote = await admin.agent.post(`/admin/users/${id}/role`).type('form').send({ role: 'student', _csrf: admin.csrf }).expect(400);
      expect(demote.text).toContain('You cannot change your own role; another admin must do it');
      await admin.agent.post(`/admin/users/${id}/reset-password`).type('form').send({ _csrf: admin.csrf }).expect(400);
      const api = await admin.agent.patch(`/api/users/${id}`).set('X-CSRF-Token', admin.csrf).send({ active: false }).expect(400);
      expect(api.body.message).toBe('You cannot deactivate your own account; another admin must do it');
      expect(await userRow('root')).toEqual(before);
      await admin.agent.get('/admin/users').expect(200);
    });

    it('turns away teachers and students from /admin/users and /api/users, changing nothing', async () => {
      const target = await portal.app.get(UsersService).create('victim', 'test-password-123', 'student');
      const before = await userRow('victim');
      const count = await userCount();
      for (const [name, role] of [['tina', 'teacher'], ['stu', 'student']] as const) {
        const user = await portal.login(name, role);
        await user.agent.get('/admin/users').set('Accept', 'text/html').expect(403);
        await user.agent.get(`/admin/users/${target.id}`).set('Accept', 'text/html').expect(403);
        await user.agent.post('/admin/users').type('form').send({ username: `made-by-${name}`, role: 'admin', _csrf: user.csrf }).expect(403);
        for (const action of ['deactivate', 'reset-password']) {
          await user.agent.post(`/admin/users/${target.id}/${action}`).type('form').send({ _csrf: user.csrf }).expect(403);
        }
        await user.agent.post(`/admin/users/${target.id}/role`).type('form').send({ role: 'admin', _csrf: user.csrf }).expect(403);
        const api = await user.agent.get('/api/users').expect(403);
        expect(api.body.message).toBe('Only admins may do this');
        await user.agent.post('/api/users').set('X-CSRF-Token', user.csrf).send({ username: `api-${name}`, role: 'admin' }).expect(403);
        await user.agent.patch(`/api/users/${target.id}`).set('X-CSRF-Token', user.csrf).send({ active: false }).expect(403);
        await user.agent.post(`/api/users/${target.id}/reset-password`).set('X-CSRF-Token', user.csrf).expect(403);
        // Their own role cannot be raised through the API either.
        const self = await userRow(name);
        await user.agent.patch(`/api/users/${self.id}`).set('X-CSRF-Token', user.csrf).send({ role: 'admin' }).expect(403);
        expect((await userRow(name)).role).toBe(role);
        // Nor do they see the admin's nav links.
        const nav = (await user.agent.get('/targets').expect(200)).text;
        expect(nav).not.toContain('href="/admin/users"');
        expect(nav).not.toContain('href="/admin/queues"');
      }
      expect(await userRow('victim')).toEqual(before);
      expect(await userCount()).toBe(count + 2);
    });

    it('lets admins through the teachers’ routes (@Roles) as well', async () => {
      const page = await admin.agent.get('/pipelines').expect(200);
      expect(page.text).toContain('Save preset');
      await admin.agent.post('/pipelines/presets').type('form').send({ pipeline: 'FITS header summary', name: 'Admin preset', _csrf: admin.csrf }).expect(303);
      expect(await portal.dataSource.query(`SELECT name FROM pipeline_presets WHERE name = 'Admin preset'`)).toHaveLength(1);
    });
  });

  describe('/api/users', () => {
    const api = (method: 'get' | 'post' | 'patch', path: string) => admin.agent[method](path).set('X-CSRF-Token', admin.csrf);

    it('lists, searches and pages accounts', async () => {
      const all = await api('get', '/api/users?limit=3').expect(200);
      expect(all.body).toMatchObject({ limit: 3, offset: 0, total: await userCount() });
      expect(all.body.items).toHaveLength(3);
      expect(Object.keys(all.body.items[0]).sort()).toEqual(['active', 'createdAt', 'deactivatedAt', 'displayName', 'id', 'mustChangePassword', 'role', 'username']);
      const turners = await api('get', '/api/users?q=turner&limit=2&offset=2').expect(200);
      expect(turners.body.total).toBe(5);
      expect(turners.body.items.map((u: { username: string }) => u.username)).toEqual(['pager3', 'pager4']);
      const teachers = await api('get', '/api/users?role=teacher&active=true').expect(200);
      expect(teachers.body.items.every((u: { role: string; active: boolean }) => u.role === 'teacher' && u.active)).toBe(true);
      const bad = await api('get', '/api/users?role=owner&active=maybe').expect(400);
      expect(Object.keys(bad.body.errors).sort()).toEqual(['active', 'role']);
    });

    it('creates an account, returning the generated password once; refuses bad input and unknown fields', async () => {
      const created = await api('post', '/api/users').send({ username: 'api.made', role: 'teacher', displayName: 'Made by API' }).expect(201);
      expect(created.headers['cache-control']).toBe('no-store');
      expect(created.body.user).toMatchObject({ username: 'api.made', role: 'teacher', displayName: 'Made by API', active: true, mustChangePassword: true });
      const password: string = created.body.password;
      expect((await tryLogin('api.made', password)).status).toBe(303);
      // The password is not to be had again.
      const fetched = await api('get', `/api/users/${created.body.user.id}`).expect(200);
      expect(JSON.stringify(fetched.body)).not.toContain(password);

      const count = await userCount();
      await api('post', '/api/users').send({ username: 'api.made', role: 'student' }).expect(409);
      expect((await api('post', '/api/users').send({ username: 'x y', role: 'boss' }).expect(400)).body.errors).toHaveProperty('role');
      expect((await api('post', '/api/users').send({ username: 'fine', role: 'student', password: 'mine' }).expect(400)).body.errors).toEqual({
        password: ['property password should not exist'],
      });
      expect(await userCount()).toBe(count);
    });

    it('changes role, activation and display name all or nothing, and resets passwords', async () => {
      const dan = await portal.login('dan', 'student');
      const { id } = await userRow('dan');
      const changed = await api('patch', `/api/users/${id}`).send({ role: 'teacher', displayName: 'Dan D.' }).expect(200);
      expect(changed.body).toMatchObject({ id, role: 'teacher', displayName: 'Dan D.', active: true });
      expect(await userRow('dan')).toMatchObject({ role: 'teacher', display_name: 'Dan D.' });

      // One bad field: nothing changes.
      await api('patch', `/api/users/${id}`).send({ role: 'student', displayName: 'x'.repeat(151) }).expect(400);
      expect(await userRow('dan')).toMatchObject({ role: 'teacher', display_name: 'Dan D.' });
      await api('patch', `/api/users/${id}`).send({ displayName: null }).expect(200);
      expect((await userRow('dan')).display_name).toBeNull();

      await api('patch', `/api/users/${id}`).send({ active: false }).expect(200);
      expect(await sessionCount(id)).toBe(0);
      await dan.agent.get('/api/me').expect(401);
      await api('patch', `/api/users/${id}`).send({ active: true }).expect(200);

      const reset = await api('post', `/api/users/${id}/reset-password`).expect(200);
      expect(reset.headers['cache-control']).toBe('no-store');
      expect(reset.body.user).toMatchObject({ id, mustChangePassword: true });
      expect((await tryLogin('dan', 'test-password-123')).status).toBe(401);
      expect((await tryLogin('dan', reset.body.password)).status).toBe(303);

      await api('patch', '/api/users/00000000-0000-4000-8000-000000000000').send({ active: false }).expect(404);
      await api('post', '/api/users/not-a-uuid/reset-password').expect(404);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await portal.http.get('/api/docs-json').expect(200)).body;
      expect(Object.keys(doc.paths['/api/users']).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths['/api/users/{id}']).sort()).toEqual(['get', 'patch']);
      expect(doc.paths['/api/users/{id}/reset-password']).toHaveProperty('post');
      expect(doc.components.schemas.UpdateUserDto.properties).toHaveProperty('active');
      expect(doc.components.schemas.UserWithPasswordDto.properties).toHaveProperty('password');
    });
  });

  describe('/profile', () => {
    it('changes the display name; a bad one is refused and changes nothing', async () => {
      const eve = await portal.login('eve', 'student');
      const saved = await eve.agent.post('/profile/display-name').type('form').send({ displayName: '  Eve Online ', _csrf: eve.csrf }).expect(303);
      expect(saved.headers.location).toBe('/profile');
      const page = await eve.agent.get('/profile').expect(200);
      expect(page.text).toContain('Your display name is now “Eve Online”.');
      expect(page.text).toMatch(/id="display-name">Eve Online</);
      expect((await userRow('eve')).display_name).toBe('Eve Online');

      const bad = await eve.agent.post('/profile/display-name').type('form').send({ displayName: 'x'.repeat(151), _csrf: eve.csrf }).expect(400);
      expect(bad.text).toContain('The display name is at most 150 characters');
      expect((await userRow('eve')).display_name).toBe('Eve Online');
      await eve.agent.post('/profile/display-name').type('form').send({ displayName: '', _csrf: eve.csrf }).expect(303);
      expect((await userRow('eve')).display_name).toBeNull();
    });

    it('changes the password with the current one; other sessions end, this one stays', async () => {
      const fay = await portal.login('fay', 'student');
      const elsewhere = await loginAs(server, 'fay', 'test-password-123');
      const { id, password_hash: before } = await userRow('fay');
      const form = (fields: Record<string, string>) => fay.agent.post('/profile/password').type('form').send({ _csrf: fay.csrf, ...fields });

      expect((await form({ currentPassword: 'wrong-one-here', newPassword: 'fay new words', confirmPassword: 'fay new words' }).expect(400)).text).toContain(
        'Your current password is not right',
      );
      expect((await form({ currentPassword: 'test-password-123', newPassword: 'seven77', confirmPassword: 'seven77' }).expect(400)).text).toContain(
        'The new password must be at least 8 characters',
      );
      expect((await userRow('fay')).password_hash).toBe(before);
      await elsewhere.agent.get('/targets').expect(200);

      const done = await form({ currentPassword: 'test-password-123', newPassword: 'fay new words', confirmPassword: 'fay new words' }).expect(303);
      expect(done.headers.location).toBe('/profile');
      expect((await fay.agent.get('/profile').expect(200)).text).toContain('Your new password is set');
      expect(await sessionCount(id)).toBe(1);
      await elsewhere.agent.get('/targets').set('Accept', 'text/html').expect(302);
      expect((await tryLogin('fay', 'test-password-123')).status).toBe(401);
      expect((await tryLogin('fay', 'fay new words')).status).toBe(303);
    });

    it('keeps the API token part of the page', async () => {
      const gus = await portal.login('gus', 'student');
      await gus.agent.post('/profile/tokens').type('form').send({ name: 'script', _csrf: gus.csrf }).expect(201);
      const page = await gus.agent.get('/profile').expect(200);
      expect(page.text).toContain('id="tokens-table"');
      expect(page.text).toContain('script');
      expect(page.text).toContain('id="password-form"');
    });
  });
});
