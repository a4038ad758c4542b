import request from 'supertest';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { createTarget, csrfFrom, LoggedIn, startTestPortal, TestPortal } from './utils/test-app';

/**
 * Classes on the real app: creating one, roster imports (bad rows refuse everything; good ones make accounts and
 * login cards shown once), join codes, sign-up with a code, co-teachers, removing students, password resets, and
 * the API. Refusals are checked against the database: nothing may change.
 */
describe('classes (e2e)', () => {
  let portal: TestPortal;
  let server: unknown;
  let admin: LoggedIn;
  let teacherA: LoggedIn;
  let teacherB: LoggedIn;
  let coTeacher: LoggedIn;
  let sam: LoggedIn;
  let joe: LoggedIn;
  let kim: LoggedIn;
  let classA: number;
  let classB: number;

  const q = (sql: string, params: unknown[] = []) => portal.dataSource.query(sql, params);
  const counts = async () => {
    const [row] = await q(`SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM classroom_members)::int AS members`);
    return row as { users: number; members: number };
  };
  const joinCodeOf = async (id: number): Promise<string> => (await q('SELECT join_code FROM classrooms WHERE id = $1', [id]))[0].join_code;
  const isMember = async (id: number, username: string) =>
    (await q(`SELECT m.role FROM classroom_members m JOIN users u ON u.id = m.user_id WHERE m.classroom_id = $1 AND u.username = $2`, [id, username]))[0]?.role ?? null;
  const userId = async (username: string): Promise<string> => (await q('SELECT id FROM users WHERE username = $1', [username]))[0].id;

  /** Posts a roster to the import form as multipart (text, or a file), as the page does. */
  const postRoster = (user: LoggedIn, id: number, step: 'import' | 'import/confirm', csv: string, asFile = false) => {
    const req = user.agent.post(`/classes/${id}/${step}?_csrf=${encodeURIComponent(user.csrf)}`).set('Accept', 'text/html');
    return asFile ? req.attach('file', Buffer.from(csv, 'utf8'), 'roster.csv') : req.field('csv', csv);
  };

  /** Logs in on a fresh agent; true when the portal accepted the password. */
  const canLogIn = async (username: string, password: string) => {
    const agent = request.agent(server as never);
    const page = await agent.get('/login').expect(200);
    const response = await agent.post('/login').type('form').send({ username, password, _csrf: csrfFrom(page.text), next: '/classes' });
    return response.status === 303 && !String(response.headers.location).startsWith('/login');
  };

  const createClass = async (user: LoggedIn, name: string) => {
    const response = await user.agent.post('/classes').type('form').send({ name, _csrf: user.csrf }).expect(303);
    return Number(/\/classes\/(\d+)$/.exec(response.headers.location)![1]);
  };

  beforeAll(async () => {
    portal = await startTestPortal();
    server = portal.app.getHttpServer();
    admin = await portal.login('root', 'admin');
    teacherA = await portal.login('teacher-a', 'teacher');
    teacherB = await portal.login('teacher-b', 'teacher');
    coTeacher = await portal.login('co-teacher', 'teacher');
    sam = await portal.login('sam', 'student');
    joe = await portal.login('joe', 'student');
    kim = await portal.login('kim', 'student');
  });
  afterAll(() => portal.close());

  it('lets a teacher create a class with a join code; they teach it', async () => {
    classA = await createClass(teacherA, '  Year 10   Astronomy ');
    classB = await createClass(teacherB, 'Other school');
    const [row] = await q('SELECT name, join_code, join_code_enabled FROM classrooms WHERE id = $1', [classA]);
    expect(row.name).toBe('Year 10 Astronomy');
    expect(row.join_code).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
    expect(row.join_code_enabled).toBe(true);
    expect(await isMember(classA, 'teacher-a')).toBe('teacher');

    const page = await teacherA.agent.get(`/classes/${classA}`).expect(200);
    expect(page.text).toContain(`${row.join_code.slice(0, 4)}-${row.join_code.slice(4)}`);
    expect(page.text).toContain(`/signup?code&#x3D;${row.join_code.slice(0, 4)}-${row.join_code.slice(4)}`); // `=` escaped by Handlebars
    const list = await teacherA.agent.get('/classes').expect(200);
    expect(list.text).toContain(`<a href="/classes/${classA}">Year 10 Astronomy</a>`);
    expect(list.text).not.toContain('Other school');
  });

  it('refuses class creation to students and nameless classes, making nothing', async () => {
    const before = await q('SELECT count(*)::int AS n FROM classrooms');
    await sam.agent.post('/classes').type('form').set('Accept', 'text/html').send({ name: 'Mine', _csrf: sam.csrf }).expect(403);
    const nameless = await teacherA.agent.post('/classes').type('form').set('Accept', 'text/html').send({ name: '   ', _csrf: teacherA.csrf }).expect(400);
    expect(nameless.text).toContain('Give the class a name');
    expect(await q('SELECT count(*)::int AS n FROM classrooms')).toEqual(before);
  });

  describe('roster import', () => {
    const BAD = [
      'name,username', // 1
      'Ada Lovelace,', // 2: fine on its own
      ',empty', // 3: no name
      'Tina Teacher,teacher-b', // 4: a teacher account
      'Dup One,dup', // 5
      'Dup Two,DUP', // 6
      'Bad Name,has space', // 7
      '"Never closed,x', // 8
    ].join('\n');

    it('reports every bad line by number in the preview, and confirming it creates nothing', async () => {
      const before = await counts();
      const preview = await postRoster(teacherA, classA, 'import', BAD).expect(200);
      expect(preview.text).toContain('6 line(s) have problems');
      expect(preview.text).not.toContain('id="confirm-import"');
      for (const [line, reason] of [
        [3, 'the name is empty'],
        [4, '&quot;teacher-b&quot; is a teacher account; only student accounts can be enrolled'],
        [5, 'the username &quot;dup&quot; is also on line 6'],
        [6, 'the username &quot;DUP&quot; is also on line 5'],
        [7, '&quot;has space&quot; is not a valid username'],
        [8, 'closing quote'],
      ] as const) {
        expect(preview.text).toMatch(new RegExp(`<td class="num">${line}</td>[\\s\\S]*?${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }

      const confirm = await postRoster(teacherA, classA, 'import/confirm', BAD).expect(400);
      expect(confirm.text).toContain('line(s) have problems');
      const api = await teacherA.agent.post(`/api/classes/${classA}/import`).set('X-CSRF-Token', teacherA.csrf).send({ csv: BAD }).expect(400);
      expect(api.body.details).toEqual([
        { line: 3, reason: 'the name is empty' },
        { line: 4, reason: expect.stringContaining('teacher account') },
        { line: 5, reason: expect.stringContaining('also on line 6') },
        { line: 6, reason: expect.stringContaining('also on line 5') },
        { line: 7, reason: expect.stringContaining('not a valid username') },
        { line: 8, reason: expect.stringContaining('closing quote') },
      ]);
      expect(api.body.message).toContain('nothing was imported');
      expect(await counts()).toEqual(before);
      expect(await q(`SELECT 1 FROM users WHERE username = 'ada.lovelace'`)).toHaveLength(0);
    });

    it('imports a good roster: new accounts must change their password, existing students are enrolled, cards shown once', async () => {
      const samId = await userId('sam');
      const before = await counts();
      const csv = 'Name,Username,Email\r\nAda Lovelace,,ada@example.org\r\n"Hopper, Grace",,\r\nSam Existing,sam,\r\n';
      const preview = await postRoster(teacherA, classA, 'import', csv, true).expect(200);
      expect(preview.text).toContain('Confirming will create <strong>2</strong> account(s)\n  and enrol <strong>1</strong> existing student(s)');
      expect(preview.text).toContain('<code>ada.lovelace</code>');
      expect(preview.text).toContain('<code>hopper.grace</code>');
      expect(preview.text).toContain('Columns not used: Email.');
      expect(await counts()).toEqual(before);

      const cards = await postRoster(teacherA, classA, 'import/confirm', csv).expect(201);
      expect(cards.headers['cache-control']).toBe('no-store');
      const passwords = [...cards.text.matchAll(/<code class="login-card-password">([^<]+)<\/code>/g)].map((m) => m[1]);
      expect(passwords).toHaveLength(2);
      for (const password of passwords) {
        expect(password).toMatch(/^[a-z]+-[a-z]+-[a-z]+-\d{3}$/);
        expect(cards.text.split(password)).toHaveLength(2); // once on the page
      }
      expect(cards.text).toContain('<code class="login-card-username">ada.lovelace</code>');
      expect(cards.text).toMatch(/id="enrolled"[\s\S]*<li>sam <code>sam<\/code><\/li>/); // enrolled, under the account's own name
      expect(cards.text).toMatch(/<code>http:\/\/127\.0\.0\.1:\d+\/login<\/code>/);

      const created = await q(`SELECT username, role, display_name, must_change_password FROM users WHERE username IN ('ada.lovelace', 'hopper.grace') ORDER BY username`);
      expect(created).toEqual([
        { username: 'ada.lovelace', role: 'student', display_name: 'Ada Lovelace', must_change_password: true },
        { username: 'hopper.grace', role: 'student', display_name: 'Hopper, Grace', must_change_password: true },
      ]);
      expect(await counts()).toEqual({ users: before.users + 2, members: before.members + 3 });
      expect(await q(`SELECT id FROM users WHERE username = 'sam'`)).toEqual([{ id: samId }]);
      expect(await isMember(classA, 'sam')).toBe('student');
      expect(await canLogIn('ada.lovelace', passwords[0])).toBe(true);

      // The CSV: not for another teacher (and their try does not use it up), then once for the importer, then gone.
      const downloadUrl = /href="(\/classes\/\d+\/login-cards\/[^"]+)"/.exec(cards.text)![1];
      await teacherB.agent.get(downloadUrl).set('Accept', 'text/html').expect(410);
      const download = await teacherA.agent.get(downloadUrl).expect(200);
      expect(download.headers['content-type']).toContain('text/csv');
      expect(download.headers['cache-control']).toBe('no-store');
      expect(download.headers['content-disposition']).toBe('attachment; filename="year-10-astronomy-login-cards.csv"');
      expect(download.text.split('\r\n').slice(0, 2)).toEqual([
        'name,username,password,class,portal',
        expect.stringMatching(new RegExp(`^Ada Lovelace,ada\\.lovelace,${passwords[0]},Year 10 Astronomy,http://127\\.0\\.0\\.1:\\d+/login$`)),
      ]);
      expect(download.text).toContain(passwords[1]);
      const again = await teacherA.agent.get(downloadUrl).set('Accept', 'text/html').expect(410);
      expect(again.text).toContain('used already');
      expect(again.text).not.toContain(passwords[1]);
    });

    it('imports the same names again without making new accounts', async () => {
      const before = await counts();
      const preview = await postRoster(teacherA, classA, 'import', 'Ada Lovelace\n"Hopper, Grace"\n').expect(200);
      expect(preview.text).toContain('Confirming will create <strong>0</strong> account(s)');
      expect(preview.text.match(/already in this class/g)).toHaveLength(2);
      const cards = await postRoster(teacherA, classA, 'import/confirm', 'Ada Lovelace\n"Hopper, Grace"\n').expect(201);
      expect(cards.text).toContain('No new accounts were needed');
      expect(await counts()).toEqual(before);
    });
  });

  describe('join codes', () => {
    it('lets a student join with the code however it is typed, and says so when they are in already', async () => {
      const code = await joinCodeOf(classA);
      const joined = await joe.agent.post('/classes/join').type('form').send({ code: ` ${code.slice(0, 4).toLowerCase()} - ${code.slice(4)} `, _csrf: joe.csrf }).expect(303);
      expect(joined.headers.location).toBe(`/classes/${classA}`);
      expect(await isMember(classA, 'joe')).toBe('student');
      expect((await joe.agent.get(`/classes/${classA}`).expect(200)).text).toContain('You joined &quot;Year 10 Astronomy&quot;.');

      const before = await counts();
      await joe.agent.post('/classes/join').type('form').send({ code, _csrf: joe.csrf }).expect(303);
      expect((await joe.agent.get(`/classes/${classA}`).expect(200)).text).toContain('You are already in &quot;Year 10 Astronomy&quot;.');
      expect(await counts()).toEqual(before);
    });

    it('keeps the message for the page it was meant for when a request that renders no page comes in between', async () => {
      const code = await joinCodeOf(classA);
      await joe.agent.post('/classes/join').type('form').send({ code, _csrf: joe.csrf }).expect(303);
      // A thumbnail or JSON poll still running from the page before arrives after the redirect and before the page.
      await joe.agent.get('/api/me').expect(200);
      await joe.agent.get('/healthz').expect(200);
      const page = (await joe.agent.get(`/classes/${classA}`).expect(200)).text;
      expect(page).toContain('You are already in &quot;Year 10 Astronomy&quot;.');
      // Shown once: the next page has no message.
      expect((await joe.agent.get(`/classes/${classA}`).expect(200)).text).not.toContain('You are already in');
    });

    it('refuses a wrong code with a message on the form, changing nothing', async () => {
      const before = await counts();
      const wrong = await kim.agent.post('/classes/join').type('form').send({ code: 'ZZZZ-ZZZZ', _csrf: kim.csrf }).expect(400);
      expect(wrong.text).toContain('No class has that code');
      expect(wrong.text).toContain('value="ZZZZ-ZZZZ"');
      await kim.agent.post('/classes/join').type('form').send({ code: 'not a code at all', _csrf: kim.csrf }).expect(400);
      expect(await counts()).toEqual(before);
    });

    it('refuses a turned-off code until it is turned on again', async () => {
      const code = await joinCodeOf(classA);
      await teacherA.agent.post(`/classes/${classA}/join-code/off`).type('form').send({ _csrf: teacherA.csrf }).expect(303);
      expect((await q('SELECT join_code_enabled FROM classrooms WHERE id = $1', [classA]))[0].join_code_enabled).toBe(false);
      const off = await kim.agent.post('/classes/join').type('form').send({ code, _csrf: kim.csrf }).expect(400);
      expect(off.text).toContain('That code is turned off');
      expect(await isMember(classA, 'kim')).toBeNull();
      await teacherA.agent.post(`/classes/${classA}/join-code/on`).type('form').send({ _csrf: teacherA.csrf }).expect(303);
      expect(await joinCodeOf(classA)).toBe(code);
    });

    it('makes a new code on request; the old one stops working', async () => {
      const old = await joinCodeOf(classA);
      await teacherA.agent.post(`/classes/${classA}/join-code/regenerate`).type('form').send({ _csrf: teacherA.csrf }).expect(303);
      const fresh = await joinCodeOf(classA);
      expect(fresh).not.toBe(old);
      expect(fresh).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
      await kim.agent.post('/classes/join').type('form').send({ code: old, _csrf: kim.csrf }).expect(400);
      expect(await isMember(classA, 'kim')).toBeNull();
      await kim.agent.post('/classes/join').type('form').send({ code: fresh, _csrf: kim.csrf }).expect(303);
      expect(await isMember(classA, 'kim')).toBe('student');
    });

    it('does not let students or outsiders change the code', async () => {
      const code = await joinCodeOf(classA);
      await joe.agent.post(`/classes/${classA}/join-code/regenerate`).type('form').set('Accept', 'text/html').send({ _csrf: joe.csrf }).expect(403);
      await teacherB.agent.post(`/classes/${classA}/join-code/off`).type('form').set('Accept', 'text/html').send({ _csrf: teacherB.csrf }).expect(403);
      expect(await q('SELECT join_code, join_code_enabled FROM classrooms WHERE id = $1', [classA])).toEqual([{ join_code: code, join_code_enabled: true }]);
    });

    it('keeps the code from students, who see the class without its roster', async () => {
      const code = await joinCodeOf(classA);
      const page = await joe.agent.get(`/classes/${classA}`).expect(200);
      expect(page.text).toContain('Year 10 Astronomy');
      expect(page.text).not.toContain(code.slice(4));
      expect(page.text).not.toContain('ada.lovelace');
      expect(page.text).not.toContain('id="roster"');
      const list = await joe.agent.get('/classes').expect(200);
      expect(list.text).toContain('Join a class');
      expect(list.text).not.toContain(code.slice(4));
    });
  });

  describe('sign-up', () => {
    const signUpForm = async (code?: string) => {
      const agent = request.agent(server as never);
      const page = await agent.get(code === undefined ? '/signup' : `/signup?code=${encodeURIComponent(code)}`);
      // A page asking for a code shows no form to post, so no token; the browser's form token is the login page's.
      const csrf = csrfFrom(page.text.includes('id="signup-form"') ? page.text : (await agent.get('/login')).text);
      return { agent, page, csrf };
    };

    it('needs a valid, enabled code: without one the page says so and nothing is made', async () => {
      const before = await counts();
      const { agent, page, csrf } = await signUpForm();
      expect(page.status).toBe(200);
      expect(page.text).toContain('Signing up needs a class code');
      expect(page.text).not.toContain('id="signup-form"');
      const fields = { username: 'newbie', displayName: 'New Bie', password: 'long-enough-1', confirmPassword: 'long-enough-1', _csrf: csrf };
      const none = await agent.post('/signup').type('form').send(fields).expect(400);
      expect(none.text).toContain('Signing up needs a class code');
      const bad = await signUpForm('ABCD-EFGH');
      expect(bad.page.status).toBe(400);
      expect(bad.page.text).toContain('No class has that code');
      await bad.agent.post('/signup').type('form').send({ ...fields, code: 'ABCD-EFGH', _csrf: bad.csrf }).expect(400);

      await teacherB.agent.post(`/classes/${classB}/join-code/off`).type('form').send({ _csrf: teacherB.csrf }).expect(303);
      const offCode = await joinCodeOf(classB);
      const off = await signUpForm(offCode);
      expect(off.page.status).toBe(400);
      await off.agent.post('/signup').type('form').send({ ...fields, code: offCode, _csrf: off.csrf }).expect(400);
      expect(await counts()).toEqual(before);
      expect(await q(`SELECT 1 FROM users WHERE username = 'newbie'`)).toHaveLength(0);
    });

    it('refuses mismatched passwords and taken usernames on the form, making nothing', async () => {
      const code = await joinCodeOf(classA);
      const before = await counts();
      const { agent, csrf } = await signUpForm(code);
      const mismatch = await agent
        .post('/signup')
        .type('form')
        .send({ code, username: 'newbie', displayName: 'New Bie', password: 'long-enough-1', confirmPassword: 'long-enough-2', _csrf: csrf })
        .expect(400);
      expect(mismatch.text).toContain('passwords differ');
      expect(mismatch.text).toContain('value="newbie"');
      const taken = await agent
        .post('/signup')
        .type('form')
        .send({ code, username: 'SAM', displayName: 'Another Sam', password: 'long-enough-1', confirmPassword: 'long-enough-1', _csrf: csrf })
        .expect(400);
      expect(taken.text).toContain('The username &quot;SAM&quot; is taken');
      expect(await counts()).toEqual(before);
    });

    it('makes a student account in the class with a valid code and logs it in', async () => {
      const code = await joinCodeOf(classA);
      const { agent, page, csrf } = await signUpForm(`${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase());
      expect(page.status).toBe(200);
      expect(page.text).toContain('<strong id="signup-class">Year 10 Astronomy</strong>');
      const response = await agent
        .post('/signup')
        .type('form')
        .send({ code: code.toLowerCase(), username: 'newbie', displayName: ' New  Bie ', password: 'long-enough-1', confirmPassword: 'long-enough-1', _csrf: csrf })
        .expect(303);
      expect(response.headers.location).toBe(`/classes/${classA}`);
      expect(await q(`SELECT role, display_name, must_change_password, active FROM users WHERE username = 'newbie'`)).toEqual([
        { role: 'student', display_name: 'New Bie', must_change_password: false, active: true },
      ]);
      expect(await isMember(classA, 'newbie')).toBe('student');
      const welcome = await agent.get(`/classes/${classA}`).expect(200);
      expect(welcome.text).toContain('Welcome, New Bie!');
      expect(await canLogIn('newbie', 'long-enough-1')).toBe(true);
    });
  });

  describe('teachers and the roster', () => {
    it('adds a co-teacher, who then sees the roster; student accounts cannot be co-teachers', async () => {
      await teacherA.agent.post(`/classes/${classA}/teachers`).type('form').send({ username: 'co-teacher', _csrf: teacherA.csrf }).expect(303);
      expect(await isMember(classA, 'co-teacher')).toBe('teacher');
      const roster = await coTeacher.agent.get(`/classes/${classA}`).expect(200);
      expect(roster.text).toContain('id="roster"');
      expect(roster.text).toContain('<code>ada.lovelace</code>');
      expect(roster.text).toContain('<code>sam</code>');

      const before = await counts();
      await teacherA.agent.post(`/classes/${classA}/teachers`).type('form').send({ username: 'kim', _csrf: teacherA.csrf }).expect(303);
      expect((await teacherA.agent.get(`/classes/${classA}`).expect(200)).text).toContain('&quot;kim&quot; is a student account');
      await teacherA.agent.post(`/classes/${classA}/teachers`).type('form').send({ username: 'nobody-here', _csrf: teacherA.csrf }).expect(303);
      expect((await teacherA.agent.get(`/classes/${classA}`).expect(200)).text).toContain('There is no account &quot;nobody-here&quot;');
      expect(await isMember(classA, 'kim')).toBe('student');
      expect(await counts()).toEqual(before);
    });

    it('removes a student from the class; their account and targets stay', async () => {
      const targetId = await createTarget(joe, { name: 'Joe star', ra: '10', dec: '20' });
      const joeId = await userId('joe');
      const page = await teacherA.agent.get(`/classes/${classA}`).expect(200);
      expect(page.text).toContain(`/classes/${classA}/students/${joeId}/remove`);
      expect(page.text).toContain('data-confirm="Remove joe from Year 10 Astronomy? Their account and work stay."');
      await teacherA.agent.post(`/classes/${classA}/students/${joeId}/remove`).type('form').send({ _csrf: teacherA.csrf }).expect(303);
      expect(await isMember(classA, 'joe')).toBeNull();
      expect(await q('SELECT owner_id FROM targets WHERE id = $1', [targetId])).toEqual([{ owner_id: joeId }]);
      expect(await q('SELECT active FROM users WHERE id = $1', [joeId])).toEqual([{ active: true }]);
      // Gone from the class: its page is closed to them now.
      await joe.agent.get(`/classes/${classA}`).set('Accept', 'text/html').expect(403);
    });

    it('resets a student\'s password once, for the class\'s teachers', async () => {
      const adaId = await userId('ada.lovelace');
      const response = await teacherA.agent.post(`/classes/${classA}/students/${adaId}/reset-password`).type('form').send({ _csrf: teacherA.csrf }).expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const password = /id="reset-password-value" type="text" readonly value="([^"]+)"/.exec(response.text)![1];
      expect(password).toMatch(/^[a-z]+-[a-z]+-[a-z]+-\d{3}$/);
      expect(await q('SELECT must_change_password FROM users WHERE id = $1', [adaId])).toEqual([{ must_change_password: true }]);
      expect(await canLogIn('ada.lovelace', password)).toBe(true);
      const after = await teacherA.agent.get(`/classes/${classA}`).expect(200);
      expect(after.text).not.toContain(password);
    });

    it('keeps class A\'s roster and passwords from teacher B, changing nothing', async () => {
      const adaId = await userId('ada.lovelace');
      const [{ password_hash: hash }] = await q('SELECT password_hash FROM users WHERE id = $1', [adaId]);
      const page = await teacherB.agent.get(`/classes/${classA}`).set('Accept', 'text/html').expect(403);
      expect(page.text).not.toContain('ada.lovelace');
      await teacherB.agent.post(`/classes/${classA}/students/${adaId}/reset-password`).type('form').set('Accept', 'text/html').send({ _csrf: teacherB.csrf }).expect(403);
      // Through B's own class: Ada is not a student there.
      await teacherB.agent.post(`/classes/${classB}/students/${adaId}/reset-password`).type('form').set('Accept', 'text/html').send({ _csrf: teacherB.csrf }).expect(404);
      await teacherB.agent.post(`/classes/${classA}/students/${adaId}/remove`).type('form').set('Accept', 'text/html').send({ _csrf: teacherB.csrf }).expect(403);
      await postRoster(teacherB, classA, 'import', 'Intruder\n').expect(403);
      // Students of the class cannot reset their classmates' passwords either.
      await sam.agent.post(`/classes/${classA}/students/${adaId}/reset-password`).type('form').set('Accept', 'text/html').send({ _csrf: sam.csrf }).expect(403);
      const api = await teacherB.agent.get(`/api/classes/${classA}`).expect(403);
      expect(JSON.stringify(api.body)).not.toContain('ada.lovelace');
      expect(await q('SELECT password_hash FROM users WHERE id = $1', [adaId])).toEqual([{ password_hash: hash }]);
      expect(await isMember(classA, 'ada.lovelace')).toBe('student');
      expect(await q(`SELECT 1 FROM users WHERE display_name = 'Intruder'`)).toHaveLength(0);
      await teacherA.agent.get('/classes/999999').set('Accept', 'text/html').expect(404);
    });

    it('enrols students for trusted callers without a session (the demo seed), students only', async () => {
      const service = portal.app.get(ClassroomsService);
      const [kimId, teacherId] = [await userId('kim'), await userId('teacher-a')];
      expect(await service.enrolStudents(classB, [kimId, kimId])).toBe(1);
      expect(await service.enrolStudents(classB, [kimId])).toBe(0);
      const before = await counts();
      await expect(service.enrolStudents(classB, [teacherId])).rejects.toThrow('Only existing student accounts');
      expect(await counts()).toEqual(before);
      expect(await isMember(classB, 'kim')).toBe('student');
      await q('DELETE FROM classroom_members WHERE classroom_id = $1 AND user_id = $2', [classB, kimId]);
    });

    it('shows admins every class with its roster', async () => {
      const list = await admin.agent.get('/classes').expect(200);
      expect(list.text).toContain('Year 10 Astronomy');
      expect(list.text).toContain('Other school');
      expect((await admin.agent.get(`/classes/${classA}`).expect(200)).text).toContain('<code>ada.lovelace</code>');
    });
  });

  describe('API', () => {
    it('lists my classes, with join codes only for those who manage them', async () => {
      const mine = await teacherA.agent.get('/api/classes').expect(200);
      expect(mine.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
      const code = await joinCodeOf(classA);
      expect(mine.body.items[0]).toMatchObject({ id: classA, name: 'Year 10 Astronomy', myRole: 'teacher', canManage: true, joinCode: `${code.slice(0, 4)}-${code.slice(4)}`, joinCodeEnabled: true });
      const student = await sam.agent.get('/api/classes').expect(200);
      expect(student.body.items).toEqual([expect.objectContaining({ id: classA, myRole: 'student', canManage: false, joinCode: null })]);
      expect((await admin.agent.get('/api/classes').expect(200)).body.total).toBe(2);
    });

    it('gives the roster to the class\'s teachers and not to its students', async () => {
      const teacher = await teacherA.agent.get(`/api/classes/${classA}`).expect(200);
      expect(teacher.body.students.map((s: { username: string }) => s.username)).toEqual(expect.arrayContaining(['ada.lovelace', 'hopper.grace', 'sam']));
      expect(teacher.body.teachers.map((t: { username: string }) => t.username).sort()).toEqual(['co-teacher', 'teacher-a']);
      const student = await sam.agent.get(`/api/classes/${classA}`).expect(200);
      expect(student.body.students).toBeNull();
      expect(student.body.joinCode).toBeNull();
      await sam.agent.get('/api/classes/999999').expect(404);
    });

    it('creates classes for teachers only', async () => {
      const created = await teacherB.agent.post('/api/classes').set('X-CSRF-Token', teacherB.csrf).send({ name: 'API class' }).expect(201);
      expect(created.body).toMatchObject({ name: 'API class', myRole: 'teacher', canManage: true, studentCount: 0, students: [] });
      expect(created.body.joinCode).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
      const before = await q('SELECT count(*)::int AS n FROM classrooms');
      await sam.agent.post('/api/classes').set('X-CSRF-Token', sam.csrf).send({ name: 'Nope' }).expect(403);
      const unknown = await teacherB.agent.post('/api/classes').set('X-CSRF-Token', teacherB.csrf).send({ name: 'X', colour: 'red' }).expect(400);
      expect(unknown.body.errors).toHaveProperty('colour');
      expect(await q('SELECT count(*)::int AS n FROM classrooms')).toEqual(before);
    });

    it('joins by code: right, wrong, and already a member', async () => {
      const [{ id }] = await q(`SELECT id FROM classrooms WHERE name = 'API class'`);
      const code = await joinCodeOf(id);
      const joined = await joe.agent.post('/api/classes/join').set('X-CSRF-Token', joe.csrf).send({ code: code.toLowerCase() }).expect(200);
      expect(joined.body).toMatchObject({ alreadyMember: false, class: { id, name: 'API class', myRole: 'student' } });
      const again = await joe.agent.post('/api/classes/join').set('X-CSRF-Token', joe.csrf).send({ code }).expect(200);
      expect(again.body.alreadyMember).toBe(true);
      const before = await counts();
      const wrong = await joe.agent.post('/api/classes/join').set('X-CSRF-Token', joe.csrf).send({ code: 'ZZZZZZZZ' }).expect(400);
      expect(wrong.body.message).toContain('No class has that code');
      const teacher = await teacherA.agent.post('/api/classes/join').set('X-CSRF-Token', teacherA.csrf).send({ code }).expect(400);
      expect(teacher.body.message).toContain('Join codes are for student accounts');
      expect(await counts()).toEqual(before);
    });

    it('previews and imports rosters as JSON or as a file', async () => {
      const [{ id }] = await q(`SELECT id FROM classrooms WHERE name = 'API class'`);
      const before = await counts();
      const preview = await teacherB.agent.post(`/api/classes/${id}/import/preview`).set('X-CSRF-Token', teacherB.csrf).send({ csv: 'name,username\nMarie Curie,\nkim,kim\n' }).expect(200);
      expect(preview.body.lines).toEqual([
        { line: 2, kind: 'create', displayName: 'Marie Curie', username: 'marie.curie' },
        { line: 3, kind: 'enrol', displayName: 'kim', username: 'kim', userId: await userId('kim') },
      ]);
      expect(preview.body.errors).toEqual([]);
      expect(await counts()).toEqual(before);

      const json = await teacherB.agent.post(`/api/classes/${id}/import`).set('X-CSRF-Token', teacherB.csrf).send({ csv: 'name,username\nMarie Curie,\nkim,kim\n' }).expect(201);
      expect(json.headers['cache-control']).toBe('no-store');
      expect(json.body.created).toEqual([{ username: 'marie.curie', displayName: 'Marie Curie', password: expect.stringMatching(/^[a-z]+-[a-z]+-[a-z]+-\d{3}$/) }]);
      expect(json.body.enrolled).toEqual([{ username: 'kim', displayName: 'kim' }]);
      expect(await canLogIn('marie.curie', json.body.created[0].password)).toBe(true);

      const file = await teacherB.agent
        .post(`/api/classes/${id}/import`)
        .set('X-CSRF-Token', teacherB.csrf)
        .attach('file', Buffer.from('\uFEFFname\r\nNiels Bohr\r\n', 'utf8'), 'roster.csv')
        .expect(201);
      expect(file.body.created.map((c: { username: string }) => c.username)).toEqual(['niels.bohr']);
      expect(await counts()).toEqual({ users: before.users + 2, members: before.members + 3 });

      await sam.agent.post(`/api/classes/${classA}/import`).set('X-CSRF-Token', sam.csrf).send({ csv: 'name\nX\n' }).expect(403);
      await teacherB.agent.post(`/api/classes/${id}/import`).set('X-CSRF-Token', teacherB.csrf).send({}).expect(400);
      await teacherB.agent.post(`/api/classes/${id}/import`).set('X-CSRF-Token', teacherB.csrf).send({ csv: 'name\nX\n', extra: 1 }).expect(400);
      expect(await counts()).toEqual({ users: before.users + 2, members: before.members + 3 });
    });

    it('appears in the OpenAPI document', async () => {
      const doc = await portal.http.get('/api/docs-json').expect(200);
      for (const path of ['/api/classes', '/api/classes/{id}', '/api/classes/join', '/api/classes/{id}/import', '/api/classes/{id}/import/preview']) {
        expect(doc.body.paths).toHaveProperty([path]);
      }
      expect(doc.body.components.schemas).toHaveProperty('RosterImportResultDto');
    });
  });
});
