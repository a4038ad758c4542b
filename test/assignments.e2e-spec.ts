import { io as connect, Socket } from 'socket.io-client';
import { AssignmentsService } from '../src/assignments/assignments.service';
import { eventually } from './utils/fault-tools';
import { createTarget, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

/**
 * An assignment from posting to closing, on the real database and queue: a teacher posts it to a class, a student
 * starts it from the target page (the run is linked), another's run fails, one hands in (then again, late), the
 * teacher reads the progress table (live, over Socket.IO), gives feedback, exports the CSV and closes it. And who
 * may see what: only the class's members see it, only its teachers see the progress and give feedback.
 */
describe('assignments (e2e)', () => {
  let portal: TestPortal;
  let baseUrl: string;
  let teacher: LoggedIn;
  let otherTeacher: LoggedIn;
  let ada: LoggedIn;
  let ben: LoggedIn;
  let outsider: LoggedIn;
  let classId: number;
  let targetId: number;
  let frames: number[];
  let groupId: number;
  let assignmentId: number;
  let adaRun: number;
  let benRun: number;
  const sockets: Socket[] = [];

  const form = (who: LoggedIn, url: string, fields: Record<string, string | string[]> = {}) =>
    who.agent.post(url).type('form').set('Accept', 'text/html').send({ ...fields, _csrf: who.csrf });
  const userId = async (who: LoggedIn) => (await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [who.username]))[0].id as string;
  const inFuture = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 16);

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    await portal.app.listen(0, '127.0.0.1');
    baseUrl = await portal.app.getUrl();
    teacher = await portal.login('assign-teacher', 'teacher');
    otherTeacher = await portal.login('assign-other-teacher', 'teacher');
    ada = await portal.login('assign-ada', 'student');
    ben = await portal.login('assign-ben', 'student');
    outsider = await portal.login('assign-outsider', 'student');
    [{ id: classId }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Year 11', 'ASSIGN01') RETURNING id`);
    for (const [who, role] of [[teacher, 'teacher'], [ada, 'student'], [ben, 'student']] as const) {
      await portal.dataSource.query('INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, $3)', [classId, await userId(who), role]);
    }
    // The outsider is in a class of the other teacher's.
    const [{ id: otherClass }] = await portal.dataSource.query(`INSERT INTO classrooms (name, join_code) VALUES ('Other school', 'ASSIGN02') RETURNING id`);
    for (const [who, role] of [[otherTeacher, 'teacher'], [outsider, 'student']] as const) {
      await portal.dataSource.query('INSERT INTO classroom_members (classroom_id, user_id, role) VALUES ($1, $2, $3)', [otherClass, await userId(who), role]);
    }
    targetId = await createTarget(teacher, { name: 'M13', ra: '250.42', dec: '36.46', visibility: 'public' });
    frames = [];
    for (const name of ['m13-a.txt', 'm13-b.txt']) frames.push(await uploadOne(teacher, targetId, Buffer.from(`${name}\n`), name, 'other'));
    const made = await form(teacher, '/groups', { name: 'M13 frames', productIds: frames.map(String) });
    expect(made.status).toBe(303);
    [{ id: groupId }] = await portal.dataSource.query(`SELECT id FROM data_product_groups WHERE name = 'M13 frames'`);
    await portal.dataSource.query(`UPDATE data_product_groups SET visibility = 'public' WHERE id = $1`, [groupId]);
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await portal?.close();
  });

  it('a teacher posts an assignment to the class; bad fields are refused with a message and nothing is made', async () => {
    const fields = {
      classId: String(classId),
      title: 'Measure M13',
      instructions: '**Tick** the frames, run *Photometry maker*.\n\n<script>alert(1)</script> [help](javascript:alert(2))',
      targetId: String(targetId),
      groupId: String(groupId),
      pipelines: ['Photometry maker', 'Crasher'],
      dueAt: inFuture(7),
      shareAfterDue: 'on',
    };
    const past = await form(teacher, '/assignments', { ...fields, dueAt: '2020-01-01T10:00' }).expect(400);
    expect(past.text).toContain('The due date is in the past');
    expect(past.text).toContain('value="Measure M13"'); // what was typed is shown again
    const unknown = await form(teacher, '/assignments', { ...fields, pipelines: ['Astrology'] }).expect(400);
    expect(unknown.text).toContain('Unknown pipeline &quot;Astrology&quot;');
    await form(ada, '/assignments', fields).expect(403);
    await form(otherTeacher, '/assignments', fields).expect(403);
    expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM assignments')).toEqual([{ n: 0 }]);

    const posted = await form(teacher, '/assignments', fields).expect(303);
    assignmentId = Number(/\/assignments\/(\d+)$/.exec(posted.headers.location)![1]);
    const [row] = await portal.dataSource.query('SELECT title, classroom_id, target_id, group_id, pipelines, share_after_due FROM assignments WHERE id = $1', [assignmentId]);
    expect(row).toEqual({
      title: 'Measure M13',
      classroom_id: classId,
      target_id: targetId,
      group_id: groupId,
      pipelines: [
        { name: 'Photometry maker', presetId: null },
        { name: 'Crasher', presetId: null },
      ],
      share_after_due: true,
    });
    const page = await teacher.agent.get(`/assignments/${assignmentId}`).expect(200);
    expect(page.text).toContain('Posted &quot;Measure M13&quot; to Year 11.');
    // Markdown rendered, raw HTML shown as text, the script link dropped.
    expect(page.text).toContain('<strong>Tick</strong>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('href="javascript:');
  });

  it("only the class's members see it; only its teachers see the progress", async () => {
    for (const who of [ada, ben]) {
      expect((await who.agent.get('/assignments').expect(200)).text).toContain(`href="/assignments/${assignmentId}"`);
      await who.agent.get(`/assignments/${assignmentId}`).expect(200);
      await who.agent.get(`/assignments/${assignmentId}/progress`).set('Accept', 'text/html').expect(403);
      await who.agent.get(`/assignments/${assignmentId}/progress.csv`).set('Accept', 'text/html').expect(403);
    }
    for (const who of [outsider, otherTeacher]) {
      expect((await who.agent.get('/assignments').expect(200)).text).not.toContain(`/assignments/${assignmentId}`);
      await who.agent.get(`/assignments/${assignmentId}`).set('Accept', 'text/html').expect(403);
      await who.agent.get(`/assignments/${assignmentId}/progress`).set('Accept', 'text/html').expect(403);
    }
    await teacher.agent.get('/assignments/999999').set('Accept', 'text/html').expect(404);
    expect((await ada.agent.get('/assignments').expect(200)).text).toMatch(/status-not-started">not started</);
  });

  it('"Start" opens the target page with the frames ticked and the pipeline chosen; the run is linked to the assignment', async () => {
    const start = await ada.agent.get(`/assignments/${assignmentId}`).expect(200);
    expect(start.text).toContain(`href="/targets/${targetId}?assignment=${assignmentId}#run"`);
    const picker = await ada.agent.get(`/targets/${targetId}?assignment=${assignmentId}`).expect(200);
    for (const frame of frames) expect(picker.text).toMatch(new RegExp(`name="productIds" value="${frame}"[^>]*checked`));
    expect(picker.text).toMatch(/value="Photometry maker" form="products-form" checked/);
    expect(picker.text).toContain(`formaction="/assignments/${assignmentId}/runs"`);

    // Only the assignment's pipelines and target.
    const wrong = await form(ada, `/assignments/${assignmentId}/runs`, { pipeline: 'Byte count', productIds: frames.map(String) }).expect(400);
    expect(wrong.text).toContain('allows Photometry maker, Crasher, not Byte count');
    await form(outsider, `/assignments/${assignmentId}/runs`, { pipeline: 'Photometry maker', productIds: frames.map(String) }).expect(403);

    const started = await form(ada, `/assignments/${assignmentId}/runs`, { pipeline: 'Photometry maker', productIds: frames.map(String) }).expect(303);
    adaRun = Number(/\/pipeline\/(\d+)/.exec(started.headers.location)![1]);
    const failing = await form(ben, `/assignments/${assignmentId}/runs`, { pipeline: 'Crasher', productIds: [String(frames[0])] }).expect(303);
    benRun = Number(/\/pipeline\/(\d+)/.exec(failing.headers.location)![1]);
    expect(await portal.dataSource.query('SELECT id, assignment_id FROM pipeline_runs ORDER BY id')).toEqual([
      { id: adaRun, assignment_id: assignmentId },
      { id: benRun, assignment_id: assignmentId },
    ]);
    await waitForRun(portal, adaRun, ['succeeded'], 60_000);
    await waitForRun(portal, benRun, ['failed'], 60_000);
  });

  it('the progress table shows each student: status, latest run, failure, points; it follows the class live', async () => {
    const page = await teacher.agent.get(`/assignments/${assignmentId}/progress`).expect(200);
    const adaId = await userId(ada);
    const benId = await userId(ben);
    const rowOf = (html: string, id: string) => html.slice(html.indexOf(`id="student-${id}"`), html.indexOf('</tr>', html.indexOf(`id="student-${id}"`)));
    expect(rowOf(page.text, adaId)).toContain('status-succeeded">succeeded<');
    expect(rowOf(page.text, adaId)).toMatch(/\d+ points/);
    expect(rowOf(page.text, adaId)).toContain('<svg class="sparkline"');
    expect(rowOf(page.text, benId)).toContain('status-failed">failed<');
    const [{ failure_message: failure }] = await portal.dataSource.query('SELECT failure_message FROM pipeline_runs WHERE id = $1', [benRun]);
    expect(failure).toBeTruthy();
    expect(rowOf(page.text, benId)).toContain(failure.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').slice(0, 40));

    // Live: the teacher's socket joins the assignment's room (a student's is refused) and hears a hand-in.
    const socketOf = async (who: LoggedIn) => {
      const cookie = (await who.agent.get('/assignments')).request.cookies;
      const socket = connect(baseUrl, { extraHeaders: { Cookie: cookie }, transports: ['websocket'], forceNew: true });
      sockets.push(socket);
      await new Promise((resolve) => socket.once('connect', () => resolve(true)));
      return socket;
    };
    const teacherSocket = await socketOf(teacher);
    const heard: unknown[] = [];
    teacherSocket.on('assignment-progress', (event) => heard.push(event));
    expect(await teacherSocket.timeout(5000).emitWithAck('join-assignment', { assignmentId })).toEqual({ ok: true });
    const adaSocket = await socketOf(ada);
    expect(await adaSocket.timeout(5000).emitWithAck('join-assignment', { assignmentId })).toEqual({ ok: false, error: "Only the class's teachers may do this" });

    await form(ada, `/assignments/${assignmentId}/hand-in`, { runId: String(adaRun), answer: '=1+1 is my answer', value: '14.2' }).expect(303);
    await eventually('the teacher to hear the hand-in', () => heard.some((event: any) => event.studentId === adaId && event.state === 'handed in'));
    const rows = await teacher.agent.get(`/assignments/${assignmentId}/progress/rows`).expect(200);
    expect(rowOf(rows.text, adaId)).toContain('status-handed-in">handed in<');
    expect(rowOf(rows.text, adaId)).toContain('14.2');
  });

  it('hand-ins: only a succeeded run of your own; replaced until closed; late after the due date', async () => {
    const refused = await form(ben, `/assignments/${assignmentId}/hand-in`, { runId: String(benRun) }).expect(400);
    expect(refused.text).toContain('Hand in a run that succeeded');
    await form(ben, `/assignments/${assignmentId}/hand-in`, { runId: String(adaRun) }).expect(400);
    await form(teacher, `/assignments/${assignmentId}/hand-in`, { runId: String(adaRun) }).expect(403);
    const [before] = await portal.dataSource.query('SELECT late, answer, value FROM hand_ins WHERE run_id = $1', [adaRun]);
    expect(before).toEqual({ late: false, answer: '=1+1 is my answer', value: 14.2 });

    // The due date passes (the teacher moves it into the past); a new hand-in replaces the first and is late.
    await form(teacher, `/assignments/${assignmentId}`, {
      title: 'Measure M13',
      instructions: 'Tick the frames.',
      targetId: String(targetId),
      groupId: String(groupId),
      pipelines: ['Photometry maker', 'Crasher'],
      dueAt: '2026-01-01T10:00',
      shareAfterDue: 'on',
    }).expect(303);
    await form(ada, `/assignments/${assignmentId}/hand-in`, { runId: String(adaRun), answer: 'second try', value: '14.3' }).expect(303);
    expect(await portal.dataSource.query('SELECT late, answer, value FROM hand_ins WHERE assignment_id = $1', [assignmentId])).toEqual([
      { late: true, answer: 'second try', value: 14.3 },
    ]);
    expect((await ada.agent.get('/assignments').expect(200)).text).toMatch(/status-late">late</);
    // Past the due date with "share after due", classmates see the hand-ins.
    expect((await ben.agent.get(`/assignments/${assignmentId}`).expect(200)).text).toContain('second try');
  });

  it('feedback and a grade from the teacher only; the student reads it; the CSV neutralises formulas', async () => {
    const adaId = await userId(ada);
    await form(ben, `/assignments/${assignmentId}/feedback/${adaId}`, { feedback: 'nice', grade: 'A' }).expect(403);
    await form(otherTeacher, `/assignments/${assignmentId}/feedback/${adaId}`, { feedback: 'nice', grade: 'A' }).expect(403);
    await form(teacher, `/assignments/${assignmentId}/feedback/${adaId}`, { feedback: 'Good photometry; check the last point.', grade: 'A-' }).expect(303);
    const seen = await ada.agent.get(`/assignments/${assignmentId}`).expect(200);
    expect(seen.text).toContain('Good photometry; check the last point.');
    expect(seen.text).toContain('A-');

    // The compare plot's data: every hand-in's light curve, for the teacher, and for the class after the due date
    // (the assignment shares hand-ins); never for another class.
    const compared = await teacher.agent.get(`/assignments/${assignmentId}/compare.json`).expect(200);
    expect(compared.body.series.map((one: { label: string; points: unknown[] }) => [one.label, one.points.length > 0])).toEqual([['assign-ada', true]]);
    expect((await ben.agent.get(`/assignments/${assignmentId}/compare.json`).expect(200)).body).toEqual(compared.body);
    await outsider.agent.get(`/assignments/${assignmentId}/compare.json`).set('Accept', 'application/json').expect(403);
    expect((await teacher.agent.get(`/assignments/${assignmentId}/compare`).expect(200)).text).toContain(`data-source="/assignments/${assignmentId}/compare.json"`);

    await form(ada, `/assignments/${assignmentId}/hand-in`, { runId: String(adaRun), answer: '=HYPERLINK("http://x")', value: '' }).expect(303);
    const csv = await teacher.agent.get(`/assignments/${assignmentId}/progress.csv`).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe('student,username,status,overdue,latest run,run state,failure,light-curve points,answer,value,handed in at,late,grade,feedback');
    expect(lines).toHaveLength(3);
    const adaLine = lines.find((line) => line.includes('assign-ada'))!;
    expect(adaLine).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(adaLine).toContain('late');
  });

  it('tells the right people: students of a new assignment, teachers of a hand-in, the student of feedback, and "due soon" once', async () => {
    const notes = async (kind: string) =>
      (
        await portal.dataSource.query(
          `SELECT u.username, n.title, n.link FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = $1 ORDER BY u.username, n.id`,
          [kind],
        )
      ).map((row: { username: string; title: string; link: string }) => `${row.username}: ${row.title} -> ${row.link}`);
    expect(await notes('assignment-new')).toEqual([
      `assign-ada: New assignment: Measure M13 -> /assignments/${assignmentId}`,
      `assign-ben: New assignment: Measure M13 -> /assignments/${assignmentId}`,
    ]);
    expect(await notes('hand-in')).toEqual([
      `assign-teacher: assign-ada handed in "Measure M13" -> /assignments/${assignmentId}/progress`,
      `assign-teacher: assign-ada handed in "Measure M13" (late) -> /assignments/${assignmentId}/progress`,
      `assign-teacher: assign-ada handed in "Measure M13" (late) -> /assignments/${assignmentId}/progress`,
    ]);
    expect(await notes('feedback')).toEqual([`assign-ada: Feedback on "Measure M13": A- -> /assignments/${assignmentId}`]);

    // Due within a day: Ben (no hand-in) is reminded, Ada (handed in) is not, and only once.
    const service = portal.app.get(AssignmentsService);
    await portal.dataSource.query(`UPDATE assignments SET due_at = now() + interval '3 hours', reminded_at = NULL WHERE id = $1`, [assignmentId]);
    expect(await service.sendDueReminders()).toBe(1);
    expect(await service.sendDueReminders()).toBe(0);
    expect(await notes('due-soon')).toEqual([`assign-ben: Due soon: Measure M13 -> /assignments/${assignmentId}`]);
  });

  it('the API: post, list, start a linked run, hand in, progress, close and delete, with the same rules', async () => {
    const api = (who: LoggedIn, method: 'get' | 'post' | 'patch' | 'delete', url: string) =>
      who.agent[method](url).set('Accept', 'application/json').set('X-CSRF-Token', who.csrf);
    const created = await api(teacher, 'post', '/api/assignments')
      .send({ classId, title: 'Light curve by API', targetId, groupId, pipelines: ['Photometry maker'], dueAt: new Date(Date.now() + 86_400_000).toISOString() })
      .expect(201);
    expect(created.body).toMatchObject({ classId, className: 'Year 11', title: 'Light curve by API', targetId, groupId, pipelines: [{ name: 'Photometry maker', presetId: null }], canTeach: true, closedAt: null });
    const id = created.body.id as number;
    const invalid = await api(teacher, 'post', '/api/assignments').send({ classId, title: '', targetId, pipelines: [], dueAt: 'soon' }).expect(400);
    expect(Object.keys(invalid.body.errors ?? {})).toEqual(expect.arrayContaining(['title', 'dueAt']));
    await api(ada, 'post', '/api/assignments').send({ classId, title: 'x', targetId, pipelines: ['Photometry maker'], dueAt: '2030-01-01T00:00:00Z' }).expect(403);

    const listed = await api(ben, 'get', '/api/assignments').expect(200);
    expect(listed.body.find((a: { id: number }) => a.id === id)).toMatchObject({ status: 'not started', canTeach: false });
    await api(outsider, 'get', `/api/assignments/${id}`).expect(403);
    expect((await api(outsider, 'get', '/api/assignments').expect(200)).body.map((a: { id: number }) => a.id)).not.toContain(id);

    const wrong = await api(ben, 'post', '/api/processes').send({ targetId, pipeline: 'Crasher', inputIds: frames, assignmentId: id }).expect(400);
    expect(wrong.body.message).toContain('allows Photometry maker, not Crasher');
    const run = await api(ben, 'post', '/api/processes').send({ targetId, pipeline: 'Photometry maker', inputIds: frames, assignmentId: id }).expect(201);
    await waitForRun(portal, run.body.id, ['succeeded'], 60_000);
    expect((await portal.dataSource.query('SELECT assignment_id FROM pipeline_runs WHERE id = $1', [run.body.id]))[0].assignment_id).toBe(id);

    const handedIn = await api(ben, 'post', `/api/assignments/${id}/hand-in`).send({ runId: run.body.id, answer: 'period 0.5 d', value: 0.5 }).expect(201);
    expect(handedIn.body).toMatchObject({ runId: run.body.id, answer: 'period 0.5 d', value: 0.5, late: false, feedback: null, grade: null });
    await api(ada, 'get', `/api/assignments/${id}/progress`).expect(403);
    const progress = await api(teacher, 'get', `/api/assignments/${id}/progress`).expect(200);
    expect(progress.body.map((row: { username: string; status: string }) => [row.username, row.status])).toEqual([
      ['assign-ada', 'not started'],
      ['assign-ben', 'handed in'],
    ]);
    // Ben's run measured new points (Ada's would repeat points she already has, which are kept once).
    expect(progress.body[1].points).toBeGreaterThan(0);

    expect((await api(teacher, 'patch', `/api/assignments/${id}`).send({ closed: true }).expect(200)).body.closedAt).toEqual(expect.any(String));
    await api(ben, 'post', `/api/assignments/${id}/hand-in`).send({ runId: run.body.id }).expect(400);
    await api(ben, 'delete', `/api/assignments/${id}`).expect(403);
    await api(teacher, 'delete', `/api/assignments/${id}`).expect(204);
    await api(teacher, 'get', `/api/assignments/${id}`).expect(404);
  });

  it('closing stops runs and hand-ins; deleting keeps the runs', async () => {
    await form(ada, `/assignments/${assignmentId}/close`).expect(403);
    await form(teacher, `/assignments/${assignmentId}/close`).expect(303);
    const handIn = await form(ada, `/assignments/${assignmentId}/hand-in`, { runId: String(adaRun) }).expect(400);
    expect(handIn.text).toContain('is closed');
    await form(ben, `/assignments/${assignmentId}/runs`, { pipeline: 'Photometry maker', productIds: frames.map(String) }).expect(400);
    await form(teacher, `/assignments/${assignmentId}/delete`).expect(303);
    expect(await portal.dataSource.query('SELECT count(*)::int AS n FROM hand_ins')).toEqual([{ n: 0 }]);
    expect(await portal.dataSource.query('SELECT id, assignment_id FROM pipeline_runs WHERE id = ANY($1) ORDER BY id', [[adaRun, benRun]])).toEqual([
      { id: adaRun, assignment_id: null },
      { id: benRun, assignment_id: null },
    ]);
  });
});

