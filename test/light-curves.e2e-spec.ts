import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { parsePhotometryCsv } from '../src/reduced-data/photometry-csv.reader';
import { UsersService } from '../src/users/users.service';
import { createTarget, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, waitForRun } from './utils/test-app';

/**
 * Light curves by source, on the real app: a series is one filter from one source (an uploaded file, a run, an API
 * batch) of one student. Cast: an admin; teacher A with class A (students a1, a2); teacher B with class B (b1).
 * Teacher A owns the public target and its reference photometry.
 */
type Cast = 'admin' | 'teacherA' | 'teacherB' | 'a1' | 'a2' | 'b1';
type View = 'mine' | 'class' | 'everyone';
interface Series {
  key: string;
  label: string;
  filter: string;
  owner: string;
  source: string;
  sourceKind: string;
  visibility: string;
  points: number;
  canChange: boolean;
  t: number[];
  mag: number[];
  err: Array<number | null>;
}

const LC_CSV = `time,magnitude,error,filter
60000.10,12.31,0.02,V
60000.20,12.35,0.02,V
60000.30,12.40,0.03,V
60000.15,11.80,0.04,R
60000.25,11.90,0.05,R
`;
// One point a1 already has (skipped: it stays in lc.csv's series) and one new.
const MORE_CSV = 'time,magnitude,error,filter\n60000.10,12.31,0.02,V\n60000.40,12.45,0.03,V\n';
const API_POINTS = [
  { timestamp: '2023-03-01T00:00:00Z', magnitude: 13.1, error: 0.1, filter: 'V' },
  { timestamp: '2023-03-02T00:00:00Z', magnitude: 13.2, filter: 'V' },
];
const REFERENCE = [{ timestamp: '2023-02-20T00:00:00Z', magnitude: 12.0, error: 0.01, filter: 'V' }];

describe('light curves by source (e2e)', () => {
  let portal: TestPortal;
  const users = {} as Record<Cast, LoggedIn & { id: string }>;
  let classA: number;
  let targetId: number;
  let run1: { id: number; identifier: string };
  let run2: { id: number; identifier: string };
  let runA2: { id: number; identifier: string };
  const labels = {} as Record<string, string>;

  const api = (who: Cast, method: 'get' | 'post' | 'patch' | 'delete', url: string) =>
    users[who].agent[method](url).set('X-CSRF-Token', users[who].csrf).set('Accept', 'application/json');
  const curve = async (who: Cast, view: View): Promise<Series[]> =>
    (await users[who].agent.get(`/targets/${targetId}/light-curve.json?view=${view}`).expect(200)).body.series;
  // API batch labels carry the minute they were made; the rest of the label is what we check here.
  const names = (series: Series[]) => series.map((s) => s.label.replace(/API batch \d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'API batch')).sort();
  const upload = (who: Cast, text: string, name: string, productType = 'photometry') =>
    users[who].agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(users[who].csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', productType)
      .attach('files', Buffer.from(text), name);
  const runPhotometryMaker = async (who: Cast, productId: number) => {
    const response = await users[who].agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline: 'Photometry maker', productIds: [String(productId)], _csrf: users[who].csrf })
      .expect(303);
    const id = Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
    const run = await waitForRun(portal, id, ['succeeded', 'failed']);
    expect(run.failure_message).toBeNull();
    return { id, identifier: run.identifier as string };
  };
  const pointsOf = (): Promise<Array<{ owner: string; kind: string; run_id: number | null; data_product_id: number | null; n: number }>> =>
    portal.dataSource.query(
      `SELECT u.username AS owner, d.source_kind AS kind, d.run_id, d.data_product_id, count(*)::int AS n
         FROM reduced_data d JOIN users u ON u.id = d.owner_id WHERE d.target_id = $1
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      [targetId],
    );
  const snapshot = () =>
    portal.dataSource.query(`SELECT id, owner_id, visibility, classroom_id, value FROM reduced_data WHERE target_id = $1 ORDER BY id`, [targetId]);
  const byLabel = (series: Series[], label: string) => {
    const found = series.find((s) => s.label.replace(/API batch \d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'API batch') === label);
    if (!found) throw new Error(`no series "${label}" in ${JSON.stringify(names(series))}`);
    return found;
  };

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES });
    const roles: Record<Cast, 'admin' | 'teacher' | 'student'> = { admin: 'admin', teacherA: 'teacher', teacherB: 'teacher', a1: 'student', a2: 'student', b1: 'student' };
    for (const who of Object.keys(roles) as Cast[]) {
      const loggedIn = await portal.login(`lc-${who}`.toLowerCase(), roles[who]);
      const [{ id }] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [loggedIn.username]);
      users[who] = { ...loggedIn, id };
    }
    // Labels name a student by display name, else by username.
    await portal.dataSource.query(`UPDATE users SET display_name = 'Ann One' WHERE id = $1`, [users.a1.id]);
    await portal.dataSource.query(`UPDATE users SET display_name = 'Ms Able' WHERE id = $1`, [users.teacherA.id]);

    const classrooms = portal.app.get(ClassroomsService);
    const sessionUsers = portal.app.get(UsersService);
    const a = await classrooms.create({ teacherId: users.teacherA.id, name: 'Class A' });
    const b = await classrooms.create({ teacherId: users.teacherB.id, name: 'Class B' });
    classA = a.id;
    for (const [who, code] of [['a1', a.joinCode], ['a2', a.joinCode], ['b1', b.joinCode]] as Array<[Cast, string]>) {
      await classrooms.joinByCode((await sessionUsers.findSessionUser(users[who].id))!, code);
    }
    targetId = await createTarget(users.teacherA, { name: 'RR Lyr', ra: '291.3659', dec: '42.7844', visibility: 'public' });
  }, 60_000);
  afterAll(() => portal?.close());

  it('keeps two students\' identical uploads as two series with different owners, and adds nothing when one uploads again', async () => {
    expect((await upload('a1', LC_CSV, 'lc.csv').expect(201)).body).toMatchObject({ pointsAdded: 5, pointsSkipped: 0 });
    expect((await upload('a2', LC_CSV, 'lc.csv').expect(201)).body).toMatchObject({ pointsAdded: 5, pointsSkipped: 0 });
    const rows: Array<{ username: string; points: string[] }> = await portal.dataSource.query(
      `SELECT u.username, array_agg(d.timestamp || ' ' || d.value::text ORDER BY d.timestamp, d.value::text) AS points
         FROM reduced_data d JOIN users u ON u.id = d.owner_id WHERE d.target_id = $1 AND d.source_kind = 'upload' GROUP BY 1 ORDER BY 1`,
      [targetId],
    );
    expect(rows.map((row) => row.username)).toEqual(['lc-a1', 'lc-a2']);
    expect(rows[0].points).toHaveLength(5);
    expect(rows[1].points).toEqual(rows[0].points);

    const again = await upload('a1', LC_CSV, 'lc.csv').expect(201);
    expect(again.body).toMatchObject({ pointsAdded: 0, pointsSkipped: 5 });
    const more = await upload('a1', MORE_CSV, 'more.csv').expect(201);
    expect(more.body).toMatchObject({ pointsAdded: 1, pointsSkipped: 1 });
    expect((await pointsOf()).map(({ owner, kind, n }) => [owner, kind, n])).toEqual([
      ['lc-a1', 'upload', 5],
      ['lc-a1', 'upload', 1],
      ['lc-a2', 'upload', 5],
    ]);

    const mine = await curve('a1', 'mine');
    expect(mine.map((s) => s.label)).toEqual(['Ann One · file lc.csv · R', 'Ann One · file lc.csv · V', 'Ann One · file more.csv · V']);
    expect(mine.map((s) => [s.points, s.sourceKind, s.canChange, s.visibility])).toEqual([
      [2, 'upload', true, 'private'],
      [3, 'upload', true, 'private'],
      [1, 'upload', true, 'private'],
    ]);
    const v = mine[1];
    expect([v.t, v.mag, v.err]).toEqual([[60000.1, 60000.2, 60000.3].map((mjd) => Math.round(Date.UTC(1858, 10, 17) + mjd * 86_400_000)), [12.31, 12.35, 12.4], [0.02, 0.02, 0.03]]);
    Object.assign(labels, { aLcR: mine[0].label, aLcV: mine[1].label, aMoreV: mine[2].label });
    labels.a2LcV = 'lc-a2 · file lc.csv · V';
    labels.a2LcR = 'lc-a2 · file lc.csv · R';
  });

  it('labels a run\'s points with the student and the run; re-running adds nothing to her series; a classmate\'s identical run stays his', async () => {
    const [notes] = (await upload('a1', 'just notes', 'notes.txt', 'other').expect(201)).body.created;
    run1 = await runPhotometryMaker('a1', notes.id);
    run2 = await runPhotometryMaker('a1', notes.id);
    const [notes2] = (await upload('a2', 'just notes', 'notes.txt', 'other').expect(201)).body.created;
    runA2 = await runPhotometryMaker('a2', notes2.id);

    const runs = (await pointsOf()).filter((row) => row.kind === 'run');
    expect(runs).toEqual([
      { owner: 'lc-a1', kind: 'run', run_id: run1.id, data_product_id: null, n: 2 },
      { owner: 'lc-a2', kind: 'run', run_id: runA2.id, data_product_id: null, n: 2 },
    ]);
    const log = await portal.dataSource.query('SELECT text FROM pipeline_log_lines WHERE run_id = $1', [run2.id]);
    expect(log.map((line: { text: string }) => line.text)).toContain('2 point(s) were already stored');
    const [{ visibility }] = await portal.dataSource.query('SELECT visibility FROM pipeline_runs WHERE id = $1', [run1.id]);

    const series = byLabel(await curve('a1', 'mine'), `Ann One · run ${run1.identifier} · V`);
    expect(series).toMatchObject({ points: 2, sourceKind: 'run', source: `run ${run1.identifier}`, owner: 'Ann One', canChange: true, visibility, mag: [14.2, 14.3] });
    labels.aRun = series.label;
    labels.a2Run = `lc-a2 · run ${runA2.identifier} · V`;
  });

  it('makes each API call a batch owned by the caller, private unless the body says otherwise, unique per owner', async () => {
    const reference = await api('teacherA', 'post', `/api/targets/${targetId}/reduced-data`)
      .send({ points: REFERENCE, source: 'reference', visibility: 'public' })
      .expect(201);
    expect(reference.body).toEqual({ added: 1, skipped: 0, batchId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await api('a1', 'post', `/api/targets/${targetId}/reduced-data`).send({ points: API_POINTS, visibility: 'public' }).expect(201)).body).toMatchObject({ added: 2 });
    const b1First = await api('b1', 'post', `/api/targets/${targetId}/reduced-data`).send({ points: API_POINTS }).expect(201);
    expect(b1First.body).toMatchObject({ added: 2, skipped: 0 });
    const b1Again = await api('b1', 'post', `/api/targets/${targetId}/reduced-data`).send({ points: API_POINTS }).expect(201);
    expect(b1Again.body).toMatchObject({ added: 0, skipped: 2 });
    expect(b1Again.body.batchId).not.toBe(b1First.body.batchId);

    // Sharing with a class one is not in is refused, and nothing is stored.
    const before = await snapshot();
    const refused = await api('b1', 'post', `/api/targets/${targetId}/reduced-data`)
      .send({ points: [{ timestamp: '2023-04-01T00:00:00Z', magnitude: 9 }], visibility: 'class', classroomId: classA })
      .expect(400);
    expect(refused.body.message).toBe('You can share only with a class you are in');
    expect(await snapshot()).toEqual(before);

    const rows = await portal.dataSource.query(
      `SELECT u.username, d.visibility, d.source_name, d.batch_id FROM reduced_data d JOIN users u ON u.id = d.owner_id
        WHERE d.target_id = $1 AND d.source_kind = 'api' ORDER BY u.username, d.timestamp`,
      [targetId],
    );
    expect(rows.map((r: { username: string; visibility: string }) => [r.username, r.visibility])).toEqual([
      ['lc-a1', 'public'],
      ['lc-a1', 'public'],
      ['lc-b1', 'private'],
      ['lc-b1', 'private'],
      ['lc-teachera', 'public'],
    ]);
    const [{ created_at }] = await portal.dataSource.query(`SELECT created_at FROM reduced_data WHERE batch_id = $1`, [reference.body.batchId]);
    const minute = new Date(created_at).toISOString().slice(0, 16).replace('T', ' ');
    expect((await curve('teacherA', 'mine')).map((s) => s.label)).toEqual([`Ms Able · API batch ${minute} UTC (reference) · V`]);
    Object.assign(labels, { ref: 'Ms Able · API batch (reference) · V', aApi: 'Ann One · API batch · V', bApi: 'lc-b1 · API batch · V' });
  });

  it('shows each viewer the right series in each view, with their own first', async () => {
    const a1Own = [labels.aLcR, labels.aLcV, labels.aMoreV, labels.aRun, labels.aApi];
    const a2Own = [labels.a2LcR, labels.a2LcV, labels.a2Run];
    const expected: Record<Cast, Record<View, string[]>> = {
      a1: { mine: [...a1Own, labels.ref], class: [...a1Own, labels.ref], everyone: [...a1Own, labels.ref] },
      a2: { mine: [...a2Own, labels.ref], class: [...a2Own, labels.ref], everyone: [...a2Own, labels.ref, labels.aApi] },
      teacherA: { mine: [labels.ref], class: [labels.ref, ...a1Own, ...a2Own], everyone: [labels.ref, ...a1Own, ...a2Own] },
      teacherB: { mine: [labels.ref], class: [labels.ref, labels.bApi], everyone: [labels.ref, labels.bApi, labels.aApi] },
      b1: { mine: [labels.bApi, labels.ref], class: [labels.bApi, labels.ref], everyone: [labels.bApi, labels.ref, labels.aApi] },
      admin: { mine: [labels.ref], class: [labels.ref], everyone: [labels.ref, ...a1Own, ...a2Own, labels.bApi] },
    };
    for (const who of Object.keys(expected) as Cast[]) {
      for (const view of ['mine', 'class', 'everyone'] as View[]) {
        expect({ who, view, series: names(await curve(who, view)) }).toEqual({ who, view, series: [...expected[who][view]].sort() });
      }
    }
    // The viewer's own series first, then the target owner's.
    expect(names((await curve('a1', 'mine')).slice(-1))).toEqual([labels.ref]);
    expect(names((await curve('b1', 'mine')).slice(0, 1))).toEqual([labels.bApi]);
    // Who may delete: the owner, their teacher, an admin.
    const canChange = async (who: Cast) => Object.fromEntries((await curve(who, 'everyone')).map((s) => [names([s])[0], s.canChange]));
    expect(await canChange('teacherA')).toMatchObject({ [labels.aRun]: true, [labels.a2LcV]: true, [labels.ref]: true });
    expect(await canChange('a2')).toMatchObject({ [labels.aApi]: false, [labels.a2LcV]: true, [labels.ref]: false });
    expect(Object.values(await canChange('admin')).every(Boolean)).toBe(true);
    await users.a1.agent.get(`/targets/${targetId}/light-curve.json?view=all`).set('Accept', 'application/json').expect(400);
  });

  it('answers 304 until what the viewer sees changes: sharing a run with the class and renaming the student change it', async () => {
    const url = `/targets/${targetId}/light-curve.json?view=class`;
    const first = await users.a2.agent.get(url).expect(200);
    expect(first.headers.etag).toMatch(/^W\/"light-curve-\d+-class-[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    await users.a2.agent.get(url).set('If-None-Match', first.headers.etag).expect(304);
    const otherView = await users.a2.agent.get(`/targets/${targetId}/light-curve.json?view=everyone`).expect(200);
    expect(otherView.headers.etag).not.toBe(first.headers.etag);

    await api('a1', 'patch', `/api/processes/${run1.id}`).send({ visibility: 'class', classroomId: classA }).expect(200);
    const shared = await users.a2.agent.get(url).set('If-None-Match', first.headers.etag).expect(200);
    expect(shared.headers.etag).not.toBe(first.headers.etag);
    expect(names(shared.body.series)).toContain(labels.aRun);
    expect(byLabel(shared.body.series, labels.aRun)).toMatchObject({ visibility: 'class', canChange: false, points: 2 });
    // Teacher B sees neither a1's private series nor her class-A series, in any view.
    for (const view of ['mine', 'class', 'everyone'] as View[]) {
      const seen = names(await curve('teacherB', view));
      for (const hidden of [labels.aLcR, labels.aLcV, labels.aMoreV, labels.aRun]) expect({ view, seen: seen.includes(hidden) }).toEqual({ view, seen: false });
    }

    await portal.dataSource.query(`UPDATE users SET display_name = 'Ann Renamed' WHERE id = $1`, [users.a1.id]);
    const renamed = await users.a2.agent.get(url).set('If-None-Match', shared.headers.etag).expect(200);
    expect(renamed.headers.etag).not.toBe(shared.headers.etag);
    expect(renamed.body.series.map((s: Series) => s.owner)).toContain('Ann Renamed');
    await portal.dataSource.query(`UPDATE users SET display_name = 'Ann One' WHERE id = $1`, [users.a1.id]);
    // Back to the same content: the same version as before the rename (the cache is by content).
    expect((await users.a2.agent.get(url).expect(200)).headers.etag).toBe(shared.headers.etag);
  });

  it('exports as CSV exactly the points shown, which the photometry reader reads back', async () => {
    for (const [who, view] of [['a2', 'everyone'], ['teacherB', 'everyone'], ['teacherA', 'class'], ['b1', 'mine']] as Array<[Cast, View]>) {
      const series = await curve(who, view);
      const response = await users[who].agent.get(`/targets/${targetId}/light-curve.csv?view=${view}`).expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['content-disposition']).toContain(`RR_Lyr_light_curve_${view}.csv`);
      const parsed = parsePhotometryCsv(response.text);
      expect(parsed.errors).toEqual([]);
      const exported = parsed.points.map((p) => `${p.timestamp.getTime()} ${p.magnitude} ${p.error} ${p.filter}`).sort();
      const shown = series.flatMap((s) => s.t.map((t, i) => `${t} ${s.mag[i]} ${s.err[i]} ${s.filter}`)).sort();
      expect({ who, view, exported }).toEqual({ who, view, exported: shown });
      // The source column names the student and the source.
      const sources = new Set(response.text.trim().split('\n').slice(1).map((line) => line.slice(line.lastIndexOf(',') + 1)));
      expect(sources).toEqual(new Set(series.map((s) => s.label.slice(0, s.label.lastIndexOf(' · ')))));
    }
    // Only the series left shown in the legend.
    const series = await curve('teacherA', 'class');
    const kept = [byLabel(series, labels.aLcV), byLabel(series, labels.a2Run)];
    const subset = await users.teacherA.agent.get(`/targets/${targetId}/light-curve.csv?view=class&series=${kept.map((s) => s.key).join(',')}`).expect(200);
    const points = parsePhotometryCsv(subset.text).points;
    expect(points).toHaveLength(5);
    expect(points.map((p) => p.magnitude).sort()).toEqual([...kept[0].mag, ...kept[1].mag].sort());
    expect(parsePhotometryCsv((await users.teacherA.agent.get(`/targets/${targetId}/light-curve.csv?view=class&series=`).expect(200)).text).points).toEqual([]);
    // A series the viewer may not see exports nothing.
    const aPrivate = byLabel(await curve('a1', 'mine'), labels.aLcV);
    expect(parsePhotometryCsv((await users.teacherB.agent.get(`/targets/${targetId}/light-curve.csv?view=everyone&series=${aPrivate.key}`).expect(200)).text).points).toEqual([]);
  });

  it('lists, shares and exports through the API with the same policy', async () => {
    const page = await api('teacherB', 'get', `/api/targets/${targetId}/reduced-data?limit=500`).expect(200);
    const visible = await curve('teacherB', 'everyone');
    expect(page.body.total).toBe(visible.reduce((n, s) => n + s.points, 0));
    const keys = new Set(visible.map((s) => s.key));
    expect(page.body.items.every((item: { seriesKey: string }) => keys.has(item.seriesKey))).toBe(true);
    expect(page.body.items[0]).toMatchObject({ sourceKind: expect.any(String), visibility: expect.any(String), ownerId: expect.any(String) });
    const mineOnly = await api('b1', 'get', `/api/targets/${targetId}/reduced-data?view=mine&limit=500`).expect(200);
    expect(new Set(mineOnly.body.items.map((item: { ownerId: string }) => item.ownerId))).toEqual(new Set([users.b1.id, users.teacherA.id]));

    const listed = await api('teacherB', 'get', `/api/targets/${targetId}/series?view=class`).expect(200);
    expect(names(listed.body)).toEqual([labels.ref, labels.bApi].sort());
    expect(listed.body[0]).not.toHaveProperty('t');
    const drawn = await api('teacherB', 'get', `/api/targets/${targetId}/light-curve?view=class`).expect(200);
    expect(names(drawn.body.series)).toEqual([labels.ref, labels.bApi].sort());

    // b1 shares her batch with everyone: a1 now sees it; sharing it with a class she is not in is refused.
    const bSeries = byLabel(listed.body, labels.bApi);
    await api('b1', 'patch', `/api/targets/${targetId}/series/${bSeries.key}`).send({ visibility: 'class', classroomId: classA }).expect(400);
    await api('a1', 'patch', `/api/targets/${targetId}/series/${bSeries.key}`).send({ visibility: 'public' }).expect(404);
    const shared = await api('b1', 'patch', `/api/targets/${targetId}/series/${bSeries.key}`).send({ visibility: 'public' }).expect(200);
    expect(shared.body).toMatchObject({ key: bSeries.key, visibility: 'public', canChange: true });
    expect(names(await curve('a1', 'everyone'))).toContain(labels.bApi);

    const csv = await api('b1', 'get', `/api/targets/${targetId}/photometry.csv?view=mine`).expect(200);
    const parsed = parsePhotometryCsv(csv.text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.points.map((p) => p.magnitude).sort()).toEqual([12, 13.1, 13.2]);
  });

  it('lets the owner, her teacher or an admin delete a series, and refuses a classmate, another teacher and another student', async () => {
    const seenByA2 = await curve('a2', 'class');
    const aRun = byLabel(seenByA2, labels.aRun);
    const aLcV = byLabel(await curve('a1', 'mine'), labels.aLcV);
    const deleteForm = (who: Cast, key: string, curveView = 'class') =>
      users[who].agent.post(`/targets/${targetId}/light-curve/series/delete`).type('form').send({ _csrf: users[who].csrf, key, curve: curveView });

    const before = await snapshot();
    expect((await deleteForm('a2', aRun.key).set('Accept', 'application/json').expect(403)).body.message).toBe(
      'Only the student the series belongs to, their teacher or an admin may delete it',
    );
    await deleteForm('teacherB', aLcV.key).set('Accept', 'application/json').expect(404);
    await api('b1', 'delete', `/api/targets/${targetId}/series/${aLcV.key}`).expect(404);
    await api('a2', 'delete', `/api/targets/${targetId}/series/${aRun.key}`).expect(403);
    await api('a1', 'delete', `/api/targets/${targetId}/series/not-a-key`).expect(400);
    expect(await snapshot()).toEqual(before);

    // Her teacher deletes her lc.csv V series: only those points go; a2's identical points stay.
    const done = await deleteForm('teacherA', aLcV.key).expect(303);
    expect(done.headers.location).toBe(`/targets/${targetId}?curve=class#light-curve`);
    const after = await snapshot();
    expect(before.length - after.length).toBe(3);
    const page = await users.teacherA.agent.get(done.headers.location).expect(200);
    expect(page.text).toContain(`Deleted the series ${labels.aLcV} (3 points).`);
    expect(names(await curve('a1', 'mine'))).not.toContain(labels.aLcV);
    expect(byLabel(await curve('a2', 'mine'), labels.a2LcV).points).toBe(3);

    // The owner deletes her run's series through the API; an admin deletes b1's batch.
    expect((await api('a1', 'delete', `/api/targets/${targetId}/series/${aRun.key}`).expect(200)).body).toEqual({ deleted: 2, label: labels.aRun });
    const bApi = byLabel(await curve('admin', 'everyone'), labels.bApi);
    expect((await api('admin', 'delete', `/api/targets/${targetId}/series/${bApi.key}`).expect(200)).body.deleted).toBe(2);
    expect(await pointsOf()).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ run_id: run1.id }), expect.objectContaining({ owner: 'lc-b1' })]),
    );
    expect((await pointsOf()).find((row) => row.owner === 'lc-a2' && row.kind === 'run')).toMatchObject({ n: 2 });
  });

  it('draws the page\'s light-curve panel: the view switch, the CSV link and the script that toggles series', async () => {
    const page = await users.a1.agent.get(`/targets/${targetId}`).expect(200);
    expect(page.text).toContain(`<canvas id="light-curve" data-src="/targets/${targetId}/light-curve.json"`);
    expect(page.text).toContain('id="light-curve-views"');
    expect(page.text).toContain('data-view="class"');
    expect(page.text).toContain(`href="/targets/${targetId}/light-curve.csv?view=mine" download>Download CSV of what is shown</a>`);
    expect(page.text).toContain(`data-delete="/targets/${targetId}/light-curve/series/delete"`);
    const script = (await users.a1.agent.get('/js/light-curve.js').expect(200)).text;
    expect(script).toContain('reverse: true');
    expect(script).toContain('Chart.defaults.plugins.legend.onClick.call(this, event, item, legend)');
    // Teacher B may see no point of a1's private file: no chart, no hint that points exist.
    const secret = await createTarget(users.a1, { name: 'a1 public, private points', ra: '10', dec: '10', visibility: 'public' });
    await users.a1.agent
      .post(`/targets/${secret}/data-products?_csrf=${encodeURIComponent(users.a1.csrf)}`)
      .field('productType', 'photometry')
      .field('visibility', 'private')
      .attach('files', Buffer.from(LC_CSV), 'secret.csv')
      .expect((response) => expect([201, 303]).toContain(response.status));
    expect((await users.a1.agent.get(`/targets/${secret}`).expect(200)).text).toContain('id="light-curve"');
    const other = await users.teacherB.agent.get(`/targets/${secret}`).expect(200);
    expect(other.text).not.toContain('id="light-curve"');
    expect(other.text).toContain('No photometry yet.');
    expect((await users.teacherB.agent.get(`/targets/${secret}/light-curve.json?view=everyone`).expect(200)).body).toEqual({ series: [] });
  });
});
