import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from './utils/built-dist';
import { createTarget, FIXTURES, LoggedIn, spawnBuilt, startTestPortal, TestPortal } from './utils/test-app';

/**
 * Targets in and out as CSV in TOM Toolkit's format (issue 17, parts 3 and 4) on the real app: the import page's
 * upload, preview and confirmation, the API's import and preview, the built CLI's target:import, the export from
 * /targets and the API with their filters and the sharing policy, and the round trip. Refusals are checked against
 * the database: nothing may be created while any line is bad.
 */
const TOM = path.join(FIXTURES, 'tom');
const fixture = (name: string) => fs.readFileSync(path.join(TOM, name), 'utf8');

/** Text as a page shows it (Handlebars escapes quotes, apostrophes and equals signs). */
const shown = (html: string) =>
  html.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The names of a CSV export's lines (the first column; none of the names here needs quotes). */
const csvNames = (csv: string) => csv.trimEnd().split('\n').slice(1).map((line) => line.split(',')[0]);

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('targets as CSV: import and export (e2e)', () => {
  let portal: TestPortal;
  let teacherA: LoggedIn;
  let teacherB: LoggedIn;
  let sam: LoggedIn;
  let classA: number;
  let classB: number;

  const q = (sql: string, params: unknown[] = []) => portal.dataSource.query(sql, params);
  const targetCount = async (): Promise<number> => (await q('SELECT count(*)::int AS n FROM targets'))[0].n;

  /** The import form as the page posts it: multipart, the CSRF token in the query, the file or the pasted text. */
  const post = (user: LoggedIn, step: 'import' | 'import/confirm', fields: { file?: string; csv?: string; visibility?: string }) => {
    let req = user.agent.post(`/targets/${step}?_csrf=${encodeURIComponent(user.csrf)}`).set('Accept', 'text/html');
    if (fields.visibility !== undefined) req = req.field('visibility', fields.visibility);
    if (fields.csv !== undefined) req = req.field('csv', fields.csv);
    if (fields.file !== undefined) req = req.attach('file', Buffer.from(fields.file, 'utf8'), 'targets.csv');
    return req;
  };
  const api = (user: LoggedIn, method: 'get' | 'post' | 'delete', url: string) => user.agent[method](url).set('X-CSRF-Token', user.csrf).set('Accept', 'application/json');

  const cli = (args: string[]): Promise<Cli> =>
    new Promise((resolve) => {
      const child = spawnBuilt(portal, 'cli', args);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  const createClass = async (user: LoggedIn, name: string) => {
    const response = await user.agent.post('/classes').type('form').send({ name, _csrf: user.csrf }).expect(303);
    return Number(/\/classes\/(\d+)$/.exec(response.headers.location)![1]);
  };

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal();
    teacherA = await portal.login('teacher-a', 'teacher');
    teacherB = await portal.login('teacher-b', 'teacher');
    sam = await portal.login('sam', 'student');
    classA = await createClass(teacherA, 'Astro A');
    classB = await createClass(teacherB, 'Other school');
    const [{ join_code: code }] = await q('SELECT join_code FROM classrooms WHERE id = $1', [classA]);
    await api(sam, 'post', '/api/classes/join').send({ code }).expect(200);
  }, 300_000);
  afterAll(() => portal.close());

  describe('the import page', () => {
    it('previews an uploaded file line by line, creates nothing until confirmed, then creates every target, shared as chosen', async () => {
      const list = await sam.agent.get('/targets').expect(200);
      expect(list.text).toContain('href="/targets/import"');
      const form = await sam.agent.get('/targets/import').expect(200);
      expect(form.text).toContain('id="import-form"');
      expect(form.text).toContain(`<option value="class:${classA}">Class: Astro A</option>`);
      expect(form.text).not.toContain(`class:${classB}`);

      const csv = fixture('targets.csv');
      const preview = await post(sam, 'import', { file: csv, visibility: `class:${classA}` }).expect(200);
      const text = shown(preview.text);
      expect(text).toContain('Confirming will create <strong>4</strong>');
      expect(text).toContain('shared with the class Astro A');
      expect(text).toContain('Extra fields from the columns: constellation, magnitude, observing notes.');
      for (const [line, name] of [[2, 'M13'], [3, 'Vega'], [4, 'Betelgeuse'], [5, 'Sirius']] as const) {
        expect(text).toMatch(new RegExp(`<tr class="import-create" id="line-${line}">\\s*<td class="num">${line}</td>\\s*<td>${name}</td>[\\s\\S]*?<td>new target</td>`));
      }
      expect(text).toMatch(/<td>16:41:41\.60<\/td>\s*<td>\+36:27:41\.0<\/td>\s*<td>NGC 6205, Hercules Cluster<\/td>/);
      expect(text).toContain('observing notes = =brightest in the night sky');
      expect(preview.text).toContain('id="confirm-import"');
      expect(preview.text).toContain(`name="visibility" value="class:${classA}"`);
      expect(await targetCount()).toBe(0);

      // The confirmation posts the previewed text back (the page's hidden textarea).
      const confirm = await post(sam, 'import/confirm', { csv, visibility: `class:${classA}` }).expect(303);
      expect(confirm.headers.location).toBe('/targets');
      const after = await sam.agent.get('/targets').expect(200);
      expect(shown(after.text)).toContain('Imported 4 targets, shared with the class Astro A: M13, Vega, Betelgeuse, Sirius.');

      const rows = await q(
        `SELECT t.name, t.type, t.ra, t.dec, t.epoch, t.pm_ra, t.pm_dec, t.aliases, t.extra, t.visibility, t.classroom_id, u.username AS owner
           FROM targets t JOIN users u ON u.id = t.owner_id ORDER BY t.id`,
      );
      expect(rows.map((row: { name: string }) => row.name)).toEqual(['M13', 'Vega', 'Betelgeuse', 'Sirius']);
      for (const row of rows) expect(row).toMatchObject({ type: 'sidereal', epoch: 2000, visibility: 'class', classroom_id: classA, owner: 'sam' });
      expect(rows[0].ra).toBeCloseTo(250.42333, 4);
      expect(rows[0].dec).toBeCloseTo(36.46139, 4);
      expect(rows[0].aliases).toEqual(['NGC 6205', 'Hercules Cluster']);
      expect(rows[0].extra).toEqual({ constellation: 'Hercules', magnitude: '5.8', 'observing notes': 'Best in June' });
      expect(rows[1]).toMatchObject({ ra: 279.23473, dec: 38.78369, pm_ra: 200.94, pm_dec: 286.23, aliases: ['alf Lyr', 'HR 7001'] });
      expect(rows[3].dec).toBeCloseTo(-16.71611, 4);
      expect(rows[3].extra['observing notes']).toBe('=brightest in the night sky');
    });

    it('names every bad line of a bad file (bad RA, unknown type, missing name, a name twice, an existing name and alias) and creates nothing', async () => {
      const before = await targetCount();
      const csv = fixture('targets-bad.csv');
      const preview = await post(sam, 'import', { file: csv, visibility: 'private' }).expect(200);
      const text = shown(preview.text);
      expect(text).toContain('6 line(s) have problems, so nothing can be imported yet');
      expect(preview.text).not.toContain('id="confirm-import"');
      expect(preview.text).toContain('id="fix-import"');
      for (const [line, reason] of [
        [3, 'ra: Right ascension hours must be between 0 and 24'],
        [4, 'type: unknown type "PLANET"; write SIDEREAL or NON_SIDEREAL'],
        [5, 'name: A name is required'],
        [7, '"twin" is also on line 6'],
        [8, 'another target is already called "M13"'],
        [9, '"NGC 6205" already names another target'],
      ] as const) {
        expect(text).toMatch(new RegExp(`id="line-${line}">[\\s\\S]*?<span class="error">${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
      expect(text).toMatch(/<tr class="import-create" id="line-2">/);

      // Confirming it anyway (or a file that went bad since its preview) shows the lines again and creates none.
      const confirm = await post(sam, 'import/confirm', { csv, visibility: 'private' }).expect(400);
      expect(shown(confirm.text)).toContain('6 line(s) have problems');
      expect(shown(confirm.text)).toContain('another target is already called "M13"');
      expect(await targetCount()).toBe(before);
      expect(await q(`SELECT 1 FROM targets WHERE name IN ('Good Star', 'Twin')`)).toHaveLength(0);

      // No file at all: the form again, saying so.
      const empty = await post(sam, 'import', { csv: '  ', visibility: 'private' }).expect(400);
      expect(empty.text).toMatch(/<p class="error" role="alert" id="import-error">Choose a CSV file of targets/);
    });

    it('refuses a class the importer is not in beside the select, keeping the pasted file; creates nothing', async () => {
      const before = await targetCount();
      const csv = 'name,ra,dec\nIntruder,1,1\n';
      const refused = await post(sam, 'import', { csv, visibility: `class:${classB}` }).expect(400);
      expect(refused.text).toMatch(/<span class="field-error" id="visibility-error">You can share only with a class you are in<\/span>/);
      expect(refused.text).toContain('Intruder,1,1');
      await post(sam, 'import/confirm', { csv, visibility: `class:${classB}` }).expect(400);
      await post(sam, 'import/confirm', { csv, visibility: 'everyone' }).expect(400);
      expect(await targetCount()).toBe(before);
    });
  });

  describe('the API', () => {
    it('imports a multipart file: 201 with the created ids; the visibility and class as sent', async () => {
      const created = await api(teacherA, 'post', '/api/targets/import').attach('file', path.join(TOM, 'targets-non-sidereal.csv')).field('visibility', 'public').expect(201);
      const ids = (await q(`SELECT id, name FROM targets WHERE name IN ('Ceres', 'Halley') ORDER BY id`)) as Array<{ id: number; name: string }>;
      expect(created.body).toEqual({
        created: [
          { line: 2, id: ids[0].id, name: 'Ceres' },
          { line: 3, id: ids[1].id, name: 'Halley' },
        ],
        visibility: 'public',
        classroomId: null,
      });
      const [halley] = await q(`SELECT type, scheme, elements, aliases, extra, visibility, epoch FROM targets WHERE name = 'Halley'`);
      expect(halley).toEqual({
        type: 'non_sidereal',
        scheme: 'MPC_COMET',
        elements: { epoch_of_elements: 46470.5, arg_of_perihelion: 111.33, eccentricity: 0.967, lng_asc_node: 58.42, inclination: 162.26, epoch_of_perihelion: 46470.52, perihelion_distance: 0.586 },
        aliases: ['1P/Halley'],
        extra: { source: 'JPL' },
        visibility: 'public',
        epoch: null,
      });

      // JSON, shared with a class by its id alone.
      const json = await api(sam, 'post', '/api/targets/import').send({ csv: 'name,ra,dec\nClass Star,10,10\n', classroomId: classA }).expect(201);
      expect(json.body).toMatchObject({ visibility: 'class', classroomId: classA, created: [{ line: 2, name: 'Class Star' }] });
      expect(await q(`SELECT visibility, classroom_id FROM targets WHERE name = 'Class Star'`)).toEqual([{ visibility: 'class', classroom_id: classA }]);
    });

    it('answers a bad file with 400 and the problems by line; a class the importer is not in with 400; creates nothing', async () => {
      const before = await targetCount();
      const bad = await api(sam, 'post', '/api/targets/import').attach('file', path.join(TOM, 'targets-bad.csv')).expect(400);
      expect(bad.body.message).toBe('The file has 6 problems; nothing was imported. Fix the lines below and try again.');
      expect(bad.body.details).toEqual([
        { line: 3, reason: expect.stringMatching(/^ra: Right ascension hours/) },
        { line: 4, reason: expect.stringContaining('unknown type "PLANET"') },
        { line: 5, reason: 'name: A name is required' },
        { line: 7, reason: '"twin" is also on line 6' },
        { line: 8, reason: 'another target is already called "M13"' },
        { line: 9, reason: '"NGC 6205" already names another target' },
      ]);
      const otherClass = await api(teacherA, 'post', '/api/targets/import').send({ csv: 'name,ra,dec\nX,1,1\n', visibility: 'class', classroomId: classB }).expect(400);
      expect(otherClass.body).toMatchObject({ message: 'You can share only with a class you are in', errors: { visibility: ['You can share only with a class you are in'] } });
      await api(sam, 'post', '/api/targets/import').send({ csv: 'name,ra,dec\nX,1,1\n', visibility: 'everyone' }).expect(400);
      await api(sam, 'post', '/api/targets/import').send({}).expect(400);
      await api(sam, 'post', '/api/targets/import').send({ csv: 'name,ra,dec\nX,1,1\n', colour: 'red' }).expect(400);
      expect(await targetCount()).toBe(before);
    });

    it('previews line by line and writes nothing', async () => {
      const before = await targetCount();
      const preview = await api(sam, 'post', '/api/targets/import/preview').send({ csv: fixture('targets-bad.csv') }).expect(200);
      expect(preview.body.counts).toEqual({ create: 2, error: 6 });
      expect(preview.body.lines[0]).toEqual({ line: 2, kind: 'create', name: 'Good Star' });
      expect(preview.body.lines[1]).toEqual({ line: 3, kind: 'error', name: 'Bad RA', reason: expect.stringMatching(/^ra: /) });
      expect(preview.body).toMatchObject({ extraColumns: ['notes'], ignoredColumns: [], visibility: 'private', classroomId: null });
      expect(await targetCount()).toBe(before);
    });
  });

  describe('who sees imported targets', () => {
    it('a student\'s private import: their teacher sees it, another school\'s teacher does not (pages, API, export)', async () => {
      await api(sam, 'post', '/api/targets/import').send({ csv: 'name,ra,dec,aliases\nSecret Star,120,-20,Hidden One\n', visibility: 'private' }).expect(201);
      const [{ id }] = await q(`SELECT id FROM targets WHERE name = 'Secret Star'`);
      expect((await teacherA.agent.get('/targets?q=secret').expect(200)).text).toContain('>Secret Star</a>');
      expect(csvNames((await teacherA.agent.get('/targets/export.csv?q=secret').expect(200)).text)).toEqual(['Secret Star']);

      expect((await teacherB.agent.get('/targets?q=secret').expect(200)).text).not.toContain('Secret Star');
      await teacherB.agent.get(`/targets/${id}`).set('Accept', 'text/html').expect(403);
      await api(teacherB, 'get', `/api/targets/${id}`).expect(403);
      // Their export has only what they may see: the public imports, none of sam's.
      const theirs = await teacherB.agent.get('/targets/export.csv').expect(200);
      expect(csvNames(theirs.text)).toEqual(['Ceres', 'Halley']);
      expect(csvNames((await api(teacherB, 'get', '/api/targets/export.csv').expect(200)).text)).toEqual(['Ceres', 'Halley']);
    });
  });

  describe('the export', () => {
    it('from /targets: what the search shows, every page of it, as a download link keeping the filters', async () => {
      const page = await sam.agent.get('/targets?q=alf&limit=1').expect(200);
      expect(page.text).toContain('3 targets, showing 1–1');
      const link = /<a href="([^"]+)" id="export-targets" download>/.exec(page.text)![1];
      expect(shown(link)).toBe('/targets/export.csv?q=alf');
      const csv = await sam.agent.get(shown(link)).expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe('attachment; filename="targets.csv"');
      expect(csv.text.split('\n')[0]).toBe(
        'name,type,ra,dec,epoch,pm_ra,pm_dec,scheme,epoch_of_elements,mean_anomaly,arg_of_perihelion,eccentricity,lng_asc_node,inclination,mean_daily_motion,semimajor_axis,epoch_of_perihelion,perihdist,aliases,constellation,magnitude,observing notes',
      );
      expect(csvNames(csv.text)).toEqual(['Betelgeuse', 'Sirius', 'Vega']);
      // The one CSV writer's formula rule: an apostrophe in front, which the import takes off again.
      expect(csv.text).toContain(",'=brightest in the night sky\n");

      // A cone, nearest first; a target list; a cone that cannot be read is a 400.
      const cone = await sam.agent.get('/targets?ra=16:41:41&dec=%2B36:27&radius=1').expect(200);
      const coneLink = shown(/<a href="([^"]+)" id="export-targets"/.exec(cone.text)![1]);
      expect(Object.fromEntries(new URL(coneLink, 'http://portal').searchParams)).toEqual({ ra: '16:41:41', dec: '+36:27', radius: '1' });
      expect(csvNames((await sam.agent.get(coneLink).expect(200)).text)).toEqual(['M13']);
      const madeList = await sam.agent.post('/target-lists').type('form').send({ name: 'Bright', _csrf: sam.csrf }).expect(303);
      const listId = Number(/list=(\d+)/.exec(madeList.headers.location)![1]);
      const [vega, sirius] = await q(`SELECT id FROM targets WHERE name IN ('Vega', 'Sirius') ORDER BY name DESC`);
      await sam.agent.post(`/target-lists/${listId}/add`).type('form').send({ targetIds: [String(vega.id), String(sirius.id)], _csrf: sam.csrf }).expect(303);
      expect(csvNames((await sam.agent.get(`/targets/export.csv?list=${listId}`).expect(200)).text)).toEqual(['Sirius', 'Vega']);
      const bad = await sam.agent.get('/targets/export.csv?ra=400&dec=0&radius=1').set('Accept', 'text/html').expect(400);
      expect(bad.text).toContain('Right ascension in degrees must be at least 0 and less than 360');
      await sam.agent.get('/targets/export.csv?list=999999').set('Accept', 'text/html').expect(404);
    });

    it('from the API: the same filters as GET /api/targets, all matches; paging is refused', async () => {
      const listed = await api(sam, 'get', '/api/targets?q=alf&limit=2').expect(200);
      expect(listed.body.total).toBe(3);
      const csv = await api(sam, 'get', '/api/targets/export.csv?q=alf').expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csvNames(csv.text)).toEqual(['Betelgeuse', 'Sirius', 'Vega']);
      expect(csv.text).toBe((await sam.agent.get('/targets/export.csv?q=alf').expect(200)).text);
      expect(csvNames((await api(sam, 'get', '/api/targets/export.csv?ra=250.42&dec=36.46&radius=0.5').expect(200)).text)).toEqual(['M13']);
      await api(sam, 'get', '/api/targets/export.csv?ra=400&dec=0&radius=1').expect(400);
      await api(sam, 'get', '/api/targets/export.csv?limit=5').expect(400);
      await api(sam, 'get', '/api/targets/export.csv?list=999999').expect(404);
    });

    it('reads back to the same targets: fields, aliases, extra fields', async () => {
      await api(sam, 'post', '/api/targets')
        .send({
          name: 'Comet X',
          type: 'non_sidereal',
          scheme: 'MPC_COMET',
          elements: { eccentricity: 0.9, perihelion_distance: 1.25, ephemeris_id: 'C/2099 X1' },
          aliases: ['-X'],
          extra: { ra: 'an extra field named ra', note: '@home', Name2: 'not an alias' },
        })
        .expect(201);
      await createTarget(sam, { name: 'Tiny', ra: '0.0000001', dec: '-0.00000002', pmRa: '-1.5', epoch: '2015.5', extra: 'colour = blue' });
      const fields = `name, aliases, type, ra, dec, epoch, pm_ra, pm_dec, scheme, elements, extra`;
      const mine = `SELECT ${fields} FROM targets WHERE owner_id = (SELECT id FROM users WHERE username = 'sam') ORDER BY name`;
      const before = await q(mine);
      expect(before.length).toBeGreaterThanOrEqual(8);

      const exported = await api(sam, 'get', '/api/targets/export.csv').expect(200);
      // sam sees the public imports too: those go back in with everything else, so take them out first.
      const ids: Array<{ id: number }> = await q(`SELECT id FROM targets`);
      for (const { id } of ids) await q('DELETE FROM targets WHERE id = $1', [id]);
      const again = await api(sam, 'post', '/api/targets/import').attach('file', Buffer.from(exported.text, 'utf8'), 'targets.csv').field('visibility', 'private').expect(201);
      expect(again.body.created.length).toBe(before.length + 2);
      expect((await q(mine)).filter((row: { name: string }) => !['Ceres', 'Halley'].includes(row.name))).toEqual(before);
      const [comet] = await q(`SELECT elements, extra, aliases FROM targets WHERE name = 'Comet X'`);
      expect(comet).toEqual({ elements: { eccentricity: 0.9, perihelion_distance: 1.25, ephemeris_id: 'C/2099 X1' }, extra: { ra: 'an extra field named ra', note: '@home', Name2: 'not an alias' }, aliases: ['-X'] });
    });
  });

  describe('target:import from the built CLI', () => {
    it('imports as the user it is given, shared as --visibility and --class say; a bad file changes nothing and names its lines', async () => {
      const file = path.join(portal.dataDir, 'cli-targets.csv');
      fs.writeFileSync(file, 'name,type,ra,dec,aliases,telescope\nCLI One,SIDEREAL,01:00:00,-05:30:00,"CLI 1, C-one",0.4m\nCLI Two,SIDEREAL,30,20,,\n');
      const run = await cli(['target:import', '--as', 'teacher-a', '--visibility', 'class', '--class', String(classA), '--json', file]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout);
      const rows = await q(`SELECT t.id, t.name, t.ra, t.dec, t.aliases, t.extra, t.visibility, t.classroom_id, u.username FROM targets t JOIN users u ON u.id = t.owner_id WHERE t.name LIKE 'CLI %' ORDER BY t.id`);
      expect(result).toEqual({ owner: 'teacher-a', created: rows.map((row: { id: number; name: string }, i: number) => ({ line: i + 2, id: row.id, name: row.name })), visibility: 'class', classroomId: classA });
      expect(rows[0]).toMatchObject({ name: 'CLI One', ra: 15, dec: -5.5, aliases: ['CLI 1', 'C-one'], extra: { telescope: '0.4m' }, visibility: 'class', classroom_id: classA, username: 'teacher-a' });

      const text = path.join(portal.dataDir, 'cli-more.csv');
      fs.writeFileSync(text, 'name,ra,dec\nCLI Three,40,40\n');
      const plain = await cli(['target:import', '--as', 'sam', text]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(/^Imported 1 target\(s\) as sam, shared with only its owner and their teachers:\n {2}line +id +name\n {2}2 +\d+ +CLI Three\n$/);

      const before = await targetCount();
      const bad = path.join(portal.dataDir, 'cli-bad.csv');
      fs.writeFileSync(bad, fixture('targets-bad.csv'));
      const refused = await cli(['target:import', '--as', 'teacher-a', bad]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(new RegExp(`^Error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d bad lines; nothing was created\n`));
      expect(refused.stderr).toMatch(/^ {2}line 3: ra: Right ascension hours/m);
      expect(refused.stderr).toMatch(/^ {2}line 4: type: unknown type "PLANET"/m);
      for (const args of [
        ['--as', 'teacher-a', '--class', String(classB)],
        ['--as', 'nobody'],
        ['--visibility', 'everyone'],
        ['--class', 'astro'],
      ]) {
        const run = await cli(['target:import', ...args, file]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^Error: /);
      }
      expect(await targetCount()).toBe(before);
    }, 120_000);
  });
});
