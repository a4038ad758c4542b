import * as path from 'node:path';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

const COMPOSER_PIPELINES = path.join(FIXTURES, 'pipelines', 'workflow-composer.config.json');
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');

/** Text as Handlebars escapes it into a page. */
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/=/g, '&#x3D;');

/** The message shown beside a field: `data-problem="<key>"`. */
function problemAt(page: string, key: string): string | null {
  const match = new RegExp(`data-problem="${key.replace(/\./g, '\\.')}">([^<]*)<`).exec(page);
  return match ? match[1] : null;
}

/** A sound two-step workflow as the composer posts it: Inspect frames on the run's frames, then Byte count on its table. */
const TWO_STEPS: Record<string, string> = {
  name: 'Inspect then count',
  shortName: 'inspect_count',
  description: 'Looks at each frame, then counts the bytes of the table it wrote',
  stepCount: '2',
  s1_pipeline: 'Inspect frames',
  s1_fields_for: 'Inspect frames',
  s1_flags_shown: '1',
  s1_param_saturation: '',
  s1_expose_saturation: 'on',
  s2_pipeline: 'Byte count',
  s2_fields_for: 'Byte count',
  s2_flags_shown: '1',
  s2_flag_verbose: 'on',
  s2_param_everyKiB: '64',
  s2_expose_everyKiB: 'on',
  s2_inputs: 'previous',
  s2_keep: '.csv',
};

describe("the teachers' workflow composer (e2e)", () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let otherTeacher: LoggedIn;
  let admin: LoggedIn;
  let student: LoggedIn;
  let firstId: number;
  let secondId: number;

  const compose = (user: LoggedIn, fields: Record<string, string>, url = '/pipelines/new') => user.agent.post(url).type('form').send({ _csrf: user.csrf, ...fields });
  const versions = () => portal.dataSource.query("SELECT id, name, version, short_name, description, steps, source, created_by_id FROM workflow_versions WHERE source = 'composed' ORDER BY id");

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: COMPOSER_PIPELINES });
    teacher = await portal.login('mr-okafor', 'teacher');
    otherTeacher = await portal.login('ms-lind', 'teacher');
    admin = await portal.login('admin', 'admin');
    student = await portal.login('alice', 'student');
  }, 120_000);
  afterAll(() => portal?.close());

  it('gives a teacher the composer with one empty step, linked from the pipelines page', async () => {
    const list = await teacher.agent.get('/pipelines').expect(200);
    expect(list.text).toContain('<a class="button" href="/pipelines/new" id="compose-workflow">Compose a workflow</a>');
    expect((await student.agent.get('/pipelines').expect(200)).text).not.toContain('compose-workflow');

    const page = await teacher.agent.get('/pipelines/new').expect(200);
    expect(page.text).toContain('<form method="post" action="/pipelines/new" id="workflow-composer"');
    expect(page.text).toContain('<input type="hidden" name="stepCount" value="1">');
    expect(page.text).toMatch(/<select name="s1_pipeline" data-step="1">\s*<option value="">— choose a pipeline —<\/option>/);
    for (const name of ['Aperture photometry', 'Byte count', 'FITS header summary', 'Inspect frames']) expect(page.text).toContain(`<option value="${name}">${name}</option>`);
    // Workflows are not steps.
    expect(page.text).not.toContain('<option value="Summary and count">');
    expect(page.text).not.toContain('s2_pipeline');
    expect(page.text).not.toContain('field-error');
    expect(page.text).toContain('<script src="/js/workflow-composer.js"></script>');
  });

  it("shows a chosen pipeline's flags and parameters, and starts a changed one from its own defaults", async () => {
    const page = await compose(teacher, { stepCount: '1', s1_pipeline: 'Byte count', action: 'preview' }).expect(200);
    expect(page.text).toContain('<option value="Byte count" selected>Byte count</option>');
    expect(page.text).toContain('<input type="hidden" name="s1_flags_shown" value="1">');
    expect(page.text).toContain('<input type="checkbox" name="s1_flag_verbose">');
    expect(page.text).toContain('<input type="text" id="s1_param_everyKiB" name="s1_param_everyKiB" value="" placeholder="default: 100 KiB" inputmode="numeric">');
    expect(page.text).toContain('from 1 to 10240 KiB, a whole number');
    expect(page.text).toContain('<input type="checkbox" name="s1_expose_everyKiB">');

    const changed = await compose(teacher, {
      stepCount: '1', s1_pipeline: 'Aperture photometry', s1_fields_for: 'Byte count', s1_flags_shown: '1', s1_flag_verbose: 'on', s1_param_everyKiB: '7', action: 'preview',
    }).expect(200);
    expect(changed.text).toContain('name="s1_param_apertureRadius" value=""');
    expect(changed.text).toMatch(/<select id="s1_param_apertureUnit" name="s1_param_apertureUnit">\s*<option value="">default \(fwhm\)<\/option>/);
    expect(changed.text).toContain('<input type="checkbox" name="s1_flag_brightestWithoutWcs">');
    expect(changed.text).not.toContain('s1_param_everyKiB');
  });

  it('adds and removes steps keeping everything typed', async () => {
    const added = await compose(teacher, {
      name: 'My flow', shortName: 'my_flow', description: 'Two lines\nof text', stepCount: '1',
      s1_pipeline: 'Byte count', s1_fields_for: 'Byte count', s1_flags_shown: '1', s1_flag_verbose: 'on', s1_param_everyKiB: '300', s1_expose_everyKiB: 'on',
      action: 'add-step',
    }).expect(200);
    expect(added.text).toContain('<input type="hidden" name="stepCount" value="2">');
    expect(added.text).toContain('name="name" value="My flow"');
    expect(added.text).toContain('name="shortName" value="my_flow"');
    expect(added.text).toContain('>Two lines\nof text</textarea>');
    expect(added.text).toContain('<input type="checkbox" name="s1_flag_verbose" checked>');
    expect(added.text).toContain('name="s1_param_everyKiB" value="300"');
    expect(added.text).toContain('<input type="checkbox" name="s1_expose_everyKiB" checked>');
    expect(added.text).toMatch(/<select name="s2_pipeline" data-step="2"[^>]*>\s*<option value="">— choose a pipeline —<\/option>\s*<option value="Aperture photometry">/);
    expect(added.text).toContain('<option value="previous" selected>the outputs of step 1</option>');
    expect(added.text).toContain('value="remove-step-2"');

    // Removing step 1 makes step 2 the first, values and all.
    const removed = await compose(teacher, {
      name: 'My flow', shortName: 'my_flow', stepCount: '2',
      s1_pipeline: 'Inspect frames', s1_fields_for: 'Inspect frames', s1_flags_shown: '1', s1_param_saturation: '1000',
      s2_pipeline: 'Byte count', s2_fields_for: 'Byte count', s2_flags_shown: '1', s2_param_everyKiB: '300', s2_expose_everyKiB: 'on', s2_inputs: 'previous',
      action: 'remove-step-1',
    }).expect(200);
    expect(removed.text).toContain('<input type="hidden" name="stepCount" value="1">');
    expect(removed.text).toContain('<option value="Byte count" selected>Byte count</option>');
    expect(removed.text).toContain('name="s1_param_everyKiB" value="300"');
    expect(removed.text).not.toContain('s1_param_saturation');
    expect(removed.text).not.toContain('s2_pipeline');
    expect(removed.text).not.toContain('value="remove-step-1"');
    // Sound as it stands: previewed.
    expect(removed.text).toContain('id="workflow-preview"');
  });

  it('shows each problem beside its field on preview, and refuses to save with a 400 and the same problems', async () => {
    const fields = {
      name: 'Inspect frames', shortName: 'byte_count', stepCount: '2',
      s1_pipeline: 'Aperture photometry', s1_fields_for: 'Aperture photometry', s1_flags_shown: '1', s1_param_apertureRadius: '-1', s1_param_apertureUnit: 'px',
      s2_pipeline: 'Byte count', s2_fields_for: 'Byte count', s2_flags_shown: '1', s2_inputs: 'previous', s2_keep: '.csv, light curves',
    };
    const page = await compose(teacher, { ...fields, action: 'preview' }).expect(200);
    expect(problemAt(page.text, 'name')).toBe('A pipeline has that name');
    expect(problemAt(page.text, 'shortName')).toBeNull(); // checked once the steps are sound
    expect(problemAt(page.text, 'steps.1.params.apertureRadius')).toBe('Aperture radius: must be at least 0.1');
    expect(problemAt(page.text, 'steps.2.keep')).toMatch(/^product types must be among fits_image, photometry/);
    // The message sits in the step's own row, after its input with the value as typed.
    expect(page.text).toMatch(/<tr class="param-row has-error" data-param="apertureRadius">[\s\S]*?name="s1_param_apertureRadius" value="-1"[\s\S]*?data-problem="steps\.1\.params\.apertureRadius"/);
    expect(page.text).toMatch(/<option value="px" selected>/);
    expect(page.text).toContain('3 problems, shown beside their fields');
    expect(page.text).not.toContain('id="workflow-preview"');

    const refused = await compose(teacher, { ...fields, action: 'save' }).expect(400);
    expect(refused.text).toContain('Not saved: 3 problems');
    expect(problemAt(refused.text, 'steps.1.params.apertureRadius')).toBe('Aperture radius: must be at least 0.1');

    // Once the steps are sound, the names are checked against every pipeline and workflow.
    const names = await compose(teacher, { ...TWO_STEPS, name: 'Summary and count', shortName: 'BYTE_COUNT', action: 'preview' }).expect(200);
    expect(problemAt(names.text, 'name')).toBe(html("A workflow of the server's config has that name"));
    expect(problemAt(names.text, 'shortName')).toBe(html('"Byte count" has that short name'));
    const noSteps = await compose(teacher, { ...TWO_STEPS, s1_pipeline: '', s2_inputs: 'sideways', action: 'preview' }).expect(200);
    expect(problemAt(noSteps.text, 'steps.1.pipeline')).toBe('choose a pipeline');
    expect(problemAt(noSteps.text, 'steps.2.inputs')).toBe(html('must be "run" or "previous"'));
    expect(await versions()).toEqual([]);
  });

  it('previews a sound workflow: the steps in order, what each works on, and the form a student will see', async () => {
    const page = await compose(teacher, { ...TWO_STEPS, action: 'preview' }).expect(200);
    expect(page.text).not.toContain('field-error');
    const preview = page.text.slice(page.text.indexOf('id="workflow-preview"'));
    expect(preview).toMatch(/<tr data-step="1">\s*<td>1<\/td>\s*<td><strong>Inspect frames<\/strong><\/td>\s*<td>The run&#x27;s inputs \(files ending \.fits/);
    expect(preview).toMatch(/<tr data-step="2">\s*<td>2<\/td>\s*<td><strong>Byte count<\/strong><\/td>\s*<td>Step 1&#x27;s outputs: those with \.csv<\/td>\s*<td><div><code>verbose<\/code> on<\/div><\/td>/);
    expect(preview).toContain('<code>everyKiB</code> <span class="muted">(starts at 64 KiB)</span>');
    expect(preview).toContain('<fieldset class="student-form" disabled>');
    expect(preview).toMatch(/<input type="number" name="param:everyKiB" value="64" step="1" min="1" max="10240">/);
    expect(preview).toMatch(/<input type="number" name="param:saturation" value="" step="any" min="0">/);
    expect(preview).toContain('Step 2, Byte count.');
    expect(await versions()).toEqual([]);
  });

  it('saves version 1, shows it, and lists it at once in the API and on the pipelines page', async () => {
    const saved = await compose(teacher, { ...TWO_STEPS, action: 'save' }).expect(303);
    const [row] = await versions();
    expect(saved.headers.location).toBe(`/workflows/${row.id}`);
    firstId = row.id;
    const [{ id: teacherId }] = await portal.dataSource.query("SELECT id FROM users WHERE username = 'mr-okafor'");
    expect(row).toEqual({
      id: firstId,
      name: 'Inspect then count',
      version: 1,
      short_name: 'inspect_count',
      description: 'Looks at each frame, then counts the bytes of the table it wrote',
      source: 'composed',
      created_by_id: teacherId,
      steps: [
        { pipeline: 'Inspect frames', flags: {}, params: {}, expose: ['saturation'], inputs: 'run' },
        { pipeline: 'Byte count', flags: { verbose: true }, params: { everyKiB: 64 }, expose: ['everyKiB'], inputs: 'previous', keep: { suffixes: ['.csv'] } },
      ],
    });

    const page = await teacher.agent.get(saved.headers.location).expect(200);
    expect(page.text).toContain(html('Saved the workflow "Inspect then count", version 1.'));
    expect(page.text).toContain('Inspect then count <small class="muted">version 1</small>');
    expect(page.text).toMatch(/<dd id="workflow-source">composed by mr-okafor, \d{4}-/);
    expect(page.text).toContain(`<a class="button" href="/workflows/${firstId}/edit" id="edit-workflow">Edit</a>`);
    expect(page.text).toContain('<td><strong>Byte count</strong></td>');
    expect(page.text).toContain('id="run-note"');

    const api = await student.agent.get('/api/pipelines?limit=100').expect(200);
    const listed = api.body.items.find((item: { name: string }) => item.name === 'Inspect then count');
    expect(listed).toMatchObject({ kind: 'workflow', shortName: 'inspect_count', version: '1', allowedSuffixes: expect.arrayContaining(['.fits']) });
    expect(listed.steps).toEqual([
      { position: 1, pipeline: 'Inspect frames', flags: {}, params: {}, expose: ['saturation'], inputs: 'run', keep: {} },
      { position: 2, pipeline: 'Byte count', flags: { verbose: true }, params: { everyKiB: 64 }, expose: ['everyKiB'], inputs: 'previous', keep: { suffixes: ['.csv'] } },
    ]);
    expect(Object.keys(listed.params)).toEqual(['saturation', 'everyKiB']);
    expect(listed.params.everyKiB.default).toBe(64);

    const pipelines = await student.agent.get('/pipelines').expect(200);
    expect(pipelines.text).toContain(`<a href="/workflows/${firstId}" class="workflow-link">Steps and versions (composed)</a>`);
    expect(pipelines.text).toContain('<li>Byte count <span class="muted">(students set everyKiB)</span></li>');

    // The name is taken now.
    const again = await compose(teacher, { ...TWO_STEPS, shortName: 'another', action: 'save' }).expect(400);
    expect(problemAt(again.text, 'name')).toBe('A workflow of that name exists: edit it, or choose another name');
  });

  it('edits from the current version: the name stays, saving makes version 2, and the version pages list both', async () => {
    const form = await teacher.agent.get(`/workflows/${firstId}/edit`).expect(200);
    expect(form.text).toContain(`<form method="post" action="/workflows/${firstId}/edit" id="workflow-composer"`);
    expect(form.text).not.toContain('name="name"');
    expect(form.text).toContain('Inspect then count <span class="muted">(a saved workflow keeps its name)</span>');
    expect(form.text).toContain('name="shortName" value="inspect_count"');
    expect(form.text).toContain('<option value="Inspect frames" selected>');
    expect(form.text).toContain('<input type="checkbox" name="s1_expose_saturation" checked>');
    expect(form.text).toContain('<input type="checkbox" name="s2_flag_verbose" checked>');
    expect(form.text).toContain('name="s2_param_everyKiB" value="64"');
    expect(form.text).toContain('name="s2_keep" value=".csv"');
    expect(form.text).toContain('Save as version 2');

    const preview = await compose(teacher, { ...TWO_STEPS, name: 'Renamed', s2_param_everyKiB: '128', action: 'preview' }, `/workflows/${firstId}/edit`).expect(200);
    expect(preview.text).not.toContain('field-error');
    expect(preview.text).toContain('id="workflow-preview"');

    const saved = await compose(teacher, { ...TWO_STEPS, name: 'Renamed', description: 'Counts every 128 KiB', s2_param_everyKiB: '128', action: 'save' }, `/workflows/${firstId}/edit`).expect(303);
    const rows = await versions();
    expect(rows.map((row: { name: string; version: number }) => `${row.name} v${row.version}`)).toEqual(['Inspect then count v1', 'Inspect then count v2']);
    secondId = rows[1].id;
    expect(saved.headers.location).toBe(`/workflows/${secondId}`);
    expect(rows[1].steps[1].params).toEqual({ everyKiB: 128 });
    expect(rows[1].description).toBe('Counts every 128 KiB');

    const second = await teacher.agent.get(`/workflows/${secondId}`).expect(200);
    expect(second.text).toContain('The current version: new runs use it.');
    expect(second.text).toContain(`<a href="/workflows/${firstId}">version 1</a>`);
    expect(second.text).toContain('<strong>version 2</strong> (this page)');
    const first = await student.agent.get(`/workflows/${firstId}`).expect(200);
    expect(first.text).toContain(`new runs use <a href="/workflows/${secondId}">version 2</a>`);
    expect(first.text).toContain(`<a href="/workflows/${secondId}">version 2</a>`);
    expect(first.text).not.toContain('edit-workflow');
    // Editing from an old version's page opens the current one.
    const fromOld = await teacher.agent.get(`/workflows/${firstId}/edit`).expect(200);
    expect(fromOld.text).toContain(`action="/workflows/${secondId}/edit"`);
    expect(fromOld.text).toContain('name="s2_param_everyKiB" value="128"');

    const api = await student.agent.get('/api/pipelines?limit=100').expect(200);
    expect(api.body.items.find((item: { name: string }) => item.name === 'Inspect then count').version).toBe('2');
    // Another teacher may not change it; an admin may.
    const refused = await otherTeacher.agent.get(`/workflows/${secondId}/edit`).expect(403);
    expect(refused.text).toContain('Only the teachers who composed this workflow and admins may change it');
    expect((await otherTeacher.agent.get(`/workflows/${secondId}`).expect(200)).text).toContain('Not editable here: Only the teachers who composed');
    await admin.agent.get(`/workflows/${secondId}/edit`).expect(200);
  });

  it('refuses students the composer and its posts (403), and shows them versions read-only', async () => {
    const page = await student.agent.get('/pipelines/new').expect(403);
    expect(page.text).toContain('Only admins and teachers may do this');
    await compose(student, { ...TWO_STEPS, name: 'Student flow', shortName: 'student_flow', action: 'save' }).expect(403);
    await compose(student, { ...TWO_STEPS, action: 'save' }, `/workflows/${secondId}/edit`).expect(403);
    await student.agent.get(`/workflows/${secondId}/edit`).expect(403);
    expect((await versions()).length).toBe(2);
    const shown = await student.agent.get(`/workflows/${secondId}`).expect(200);
    expect(shown.text).not.toContain('edit-workflow');
    expect(shown.text).not.toContain('edit-refusal');
  });

  it("refuses to edit a config workflow, saying where it is changed; unknown versions are a 404", async () => {
    const [config] = await portal.dataSource.query("SELECT id FROM workflow_versions WHERE name = 'Summary and count'");
    const page = await teacher.agent.get(`/workflows/${config.id}`).expect(200);
    expect(page.text).toMatch(/<dd id="workflow-source">declared in the server&#x27;s pipeline config, /);
    expect(page.text).toContain(html('Not editable here: "Summary and count" is declared in the server\'s pipeline config; it is changed there'));
    for (const user of [teacher, admin]) {
      const refused = await user.agent.get(`/workflows/${config.id}/edit`).expect(403);
      expect(refused.text).toContain(html('"Summary and count" is declared in the server\'s pipeline config; it is changed there'));
    }
    await compose(admin, { ...TWO_STEPS, action: 'save' }, `/workflows/${config.id}/edit`).expect(403);

    const missing = await teacher.agent.get('/workflows/999999').expect(404);
    expect(missing.text).toContain('<p class="error">There is no workflow version 999999</p>');
    await teacher.agent.get('/workflows/abc').expect(404);
    await teacher.agent.get('/workflows/999999/edit').expect(404);
  });

  it("runs a teacher's workflow for a student from the target's picker: both steps succeed, with the student's value", async () => {
    const targetId = await createTarget(student, { name: 'Horsehead Nebula', ra: '85.2458', dec: '-2.4583' });
    const fitsId = await uploadOne(student, targetId, HORSEHEAD, 'HorseHead.fits', 'fits_image');
    const picker = await student.agent.get(`/targets/${targetId}`).expect(200);
    expect(picker.text).toContain('value="Inspect then count"');

    const started = await student.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .set('Accept', 'application/json')
      .send({ _csrf: student.csrf, pipeline: 'Inspect then count', productIds: String(fitsId), 'param:inspect_count:everyKiB': '32', 'param:inspect_count:saturation': '' })
      .expect(201);
    const run = await waitForRun(portal, started.body.id, ['succeeded', 'failed', 'cancelled'], 90_000);
    expect([run.state, run.failure_message]).toEqual(['succeeded', null]);
    expect(run.workflow_version_id).toBe(secondId);
    expect(run.params).toMatchObject({ everyKiB: 32 });
    const steps = await portal.dataSource.query('SELECT position, pipeline_key, state, params, inputs, flags, output_ids FROM pipeline_run_steps WHERE run_id = $1 ORDER BY position', [run.id]);
    expect(steps.map((step: { position: number; pipeline_key: string; state: string; inputs: string }) => [step.position, step.pipeline_key, step.state, step.inputs])).toEqual([
      [1, 'Inspect frames', 'succeeded', 'run'],
      [2, 'Byte count', 'succeeded', 'previous'],
    ]);
    expect(steps[1].params).toEqual({ everyKiB: 32 });
    expect(steps[1].flags).toEqual({ verbose: true });
    // Step 2 counted the table step 1 wrote.
    const counted = await portal.dataSource.query('SELECT original_name FROM data_products WHERE id = ANY($1::int[])', [steps[1].output_ids]);
    expect(counted.map((row: { original_name: string }) => row.original_name)).toEqual([expect.stringMatching(/\.csv$/)]);
    const log: string[] = (await portal.dataSource.query('SELECT text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [run.id])).map((row: { text: string }) => row.text);
    expect(log.some((line) => /Counting bytes of .*\.csv/.test(line))).toBe(true);
  }, 120_000);
});
