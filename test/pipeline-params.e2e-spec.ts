import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from './utils/built-dist';
import { createTarget, FIXTURES, LoggedIn, spawnBuilt, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

const PARAMS_PIPELINES = path.join(FIXTURES, 'pipelines', 'params.config.json');
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
// HorseHead.fits is 1,612,800 bytes: with the verbose flag the example prints a line each `everyKiB` read.
const HORSEHEAD_BYTES = fs.statSync(HORSEHEAD).size;
const progressLines = (log: string[]) => log.filter((line) => /^ {2}HorseHead\.fits: \d+ bytes read$/.test(line)).length;

function cli(portal: TestPortal, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnBuilt(portal, 'cli', args, { PIPELINES_CONFIG: PARAMS_PIPELINES });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('typed pipeline parameters through the API, the picker, presets and the CLI (e2e)', () => {
  let portal: TestPortal;
  let teacher: LoggedIn;
  let alice: LoggedIn;
  let targetId: number;
  let fitsId: number;

  const post = (user: LoggedIn, url: string, body: object) => user.agent.post(url).set('X-CSRF-Token', user.csrf).send(body);
  const runCount = async () => Number((await portal.dataSource.query('SELECT count(*)::int AS n FROM pipeline_runs'))[0].n);
  const logOf = async (runId: number) =>
    ((await portal.dataSource.query('SELECT text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [runId])) as Array<{ text: string }>).map((row) => row.text);

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal({ pipelinesConfig: PARAMS_PIPELINES });
    teacher = await portal.login('mr-okafor', 'teacher');
    alice = await portal.login('alice', 'student');
    targetId = await createTarget(alice, { name: 'Horsehead Nebula', ra: '85.2458', dec: '-2.4583', visibility: 'public' });
    fitsId = await uploadOne(alice, targetId, HORSEHEAD, 'HorseHead.fits', 'fits_image');
  }, 300_000);
  afterAll(() => portal.close());

  it("lists each pipeline's parameters in the API", async () => {
    const list = await alice.agent.get('/api/pipelines?limit=500').expect(200);
    const byName = Object.fromEntries(list.body.items.map((p: { name: string }) => [p.name, p]));
    expect(byName['Byte count'].params).toEqual({ everyKiB: { kind: 'integer', default: 100, min: 1, max: 10240, unit: 'KiB', longName: 'A line every' } });
    expect(Object.keys(byName['Aperture photometry'].params)).toEqual(['apertureRadius', 'apertureUnit', 'annulusInner', 'annulusOuter', 'comparisonCount']);
    expect(byName['Aperture photometry'].params.apertureUnit.options.map((o: { value: string }) => o.value)).toEqual(['fwhm', 'px']);
    expect(byName['Inspect frames'].params.saturation).toMatchObject({ kind: 'number', default: null });
  });

  it('starts a run with values from the API: the command gets them, the run and its provenance keep them', async () => {
    const started = await post(alice, '/api/processes', { targetId, pipeline: 'Byte count', inputIds: [fitsId], flags: { verbose: true }, params: { everyKiB: 256 } }).expect(201);
    expect(started.body.params).toEqual({ everyKiB: 256 });
    const done = await waitForRun(portal, started.body.id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.params).toEqual({ everyKiB: 256 });
    expect(done.provenance.params).toEqual({ everyKiB: { value: 256, source: 'user' } });
    expect(progressLines(await logOf(done.id))).toBe(Math.ceil(HORSEHEAD_BYTES / (256 * 1024)));
    const read = await alice.agent.get(`/api/processes/${done.id}`).expect(200);
    expect(read.body.params).toEqual({ everyKiB: 256 });
    // Not given: the default, recorded as such.
    const plain = await post(alice, '/api/processes', { targetId, pipeline: 'Byte count', inputIds: [fitsId] }).expect(201);
    const plainDone = await waitForRun(portal, plain.body.id, ['succeeded', 'failed']);
    expect(plainDone.provenance.params).toEqual({ everyKiB: { value: 100, source: 'default' } });
  });

  it('refuses bad values in the API with a message per field, and starts nothing', async () => {
    const before = await runCount();
    const refused = await post(alice, '/api/processes', { targetId, pipeline: 'Byte count', inputIds: [fitsId], params: { everyKiB: 0, colour: 'red' } }).expect(400);
    expect(refused.body.errors).toEqual({
      'params.everyKiB': ['must be at least 1 KiB'],
      'params.colour': ['unknown parameter (known: everyKiB)'],
    });
    const notWhole = await post(alice, '/api/processes', { targetId, pipeline: 'Aperture photometry', inputIds: [fitsId], params: { comparisonCount: 2.5, apertureUnit: 'inches' } }).expect(400);
    expect(notWhole.body.errors).toEqual({ 'params.comparisonCount': ['must be a whole number'], 'params.apertureUnit': ['must be one of fwhm, px'] });
    const nested = await post(alice, '/api/processes', { targetId, pipeline: 'Byte count', inputIds: [fitsId], params: { everyKiB: { n: 1 } } }).expect(400);
    expect(nested.body.errors.params[0]).toMatch(/each a number, a text or null/);
    expect(await runCount()).toBe(before);
  });

  it('takes values from the picker, and brings a refused one back beside its field with every choice kept', async () => {
    const form = (fields: Record<string, string>) =>
      alice.agent.post(`/targets/${targetId}/pipeline-runs`).type('form').send({ _csrf: alice.csrf, pipeline: 'Byte count', productIds: String(fitsId), ...fields });
    const page = await alice.agent.get(`/targets/${targetId}`).expect(200);
    expect(page.text).toMatch(/<input type="number" name="param:byte_count:everyKiB" value="100" form="products-form" data-pipeline="Byte count" step="1" min="1" max="10240">/);
    expect(page.text).toMatch(/name="param:aperture_photometry:apertureUnit"[^>]*>\s*<option value="fwhm" selected>/);

    const ok = await form({ 'flag:byte_count:verbose': 'on', 'param:byte_count:everyKiB': '512', 'param:aperture_photometry:apertureRadius': 'not read' }).expect(303);
    const runId = Number(/\/pipeline\/(\d+)$/.exec(ok.headers.location)![1]);
    const done = await waitForRun(portal, runId, ['succeeded', 'failed']);
    expect(done.params).toEqual({ everyKiB: 512 });
    expect(progressLines(await logOf(runId))).toBe(Math.ceil(HORSEHEAD_BYTES / (512 * 1024)));
    const runPage = await alice.agent.get(`/pipeline/${runId}`).expect(200);
    expect(runPage.text).toMatch(/<li><code>everyKiB<\/code> A line every: <strong>512<\/strong> KiB<\/li>/);

    const before = await runCount();
    const refused = await form({ 'flag:byte_count:verbose': 'on', 'param:byte_count:everyKiB': '0.5' }).expect(303);
    expect(refused.headers.location).toBe(`/targets/${targetId}#run`);
    expect(await runCount()).toBe(before);
    const back = await alice.agent.get(`/targets/${targetId}`).expect(200);
    expect(back.text).toContain('Nothing was started: a parameter needs another value (see below).');
    expect(back.text).toMatch(/<div class="param-field has-error" data-param="everyKiB">/);
    expect(back.text).toContain('<p class="field-error" role="alert">A line every: must be a whole number</p>');
    expect(back.text).toMatch(/name="param:byte_count:everyKiB" value="0.5"/);
    expect(back.text).toMatch(/value="Byte count" form="products-form" checked/);
    expect(back.text).toMatch(/name="flag:byte_count:verbose" form="products-form" data-pipeline="Byte count" checked/);
    expect(back.text).toMatch(new RegExp(`value="${fitsId}"[^>]*checked`));
    // Shown once.
    const again = await alice.agent.get(`/targets/${targetId}`).expect(200);
    expect(again.text).not.toContain('field-error');
  });

  it('keeps parameter values in presets: only those that differ from the defaults, filled in when a run names the preset', async () => {
    const save = (fields: Record<string, string>) =>
      teacher.agent.post('/pipelines/presets').type('form').send({ _csrf: teacher.csrf, pipeline: 'Byte count', ...fields });
    await save({ name: 'Every 64', 'flag:verbose': 'on', 'param:everyKiB': '64' }).expect(303);
    await save({ name: 'Usual', 'param:everyKiB': '100' }).expect(303);
    await save({ name: 'Broken', 'param:everyKiB': '-3' }).expect(400);
    const presets = await portal.dataSource.query(`SELECT name, flags, params FROM pipeline_presets ORDER BY name`);
    expect(presets).toEqual([
      { name: 'Every 64', flags: { verbose: true }, params: { everyKiB: 64 } },
      { name: 'Usual', flags: { verbose: false }, params: {} },
    ]);
    const [preset] = await portal.dataSource.query(`SELECT id FROM pipeline_presets WHERE name = 'Every 64'`);
    const listed = await alice.agent.get('/pipelines').expect(200);
    expect(listed.text).toContain('verbose&#x3D;on, everyKiB&#x3D;64');
    const picker = await alice.agent.get(`/targets/${targetId}`).expect(200);
    expect(picker.text).toContain(`data-params="{&quot;everyKiB&quot;:64}">Every 64</option>`);

    const started = await post(alice, '/api/processes', { targetId, pipeline: 'Byte count', inputIds: [fitsId], flags: { verbose: true }, presetId: preset.id }).expect(201);
    const done = await waitForRun(portal, started.body.id, ['succeeded', 'failed']);
    expect(done.params).toEqual({ everyKiB: 64 });
    expect(done.provenance).toMatchObject({ preset: 'Every 64', params: { everyKiB: { value: 64, source: 'preset' } }, flags: { verbose: { value: true, source: 'preset' } } });
    expect(progressLines(await logOf(done.id))).toBe(Math.ceil(HORSEHEAD_BYTES / (64 * 1024)));
    // A value given wins over the preset's.
    const own = await post(alice, '/api/processes', { targetId, pipeline: 'Byte count', inputIds: [fitsId], presetId: preset.id, params: { everyKiB: 1000 } }).expect(201);
    expect(own.body.params).toEqual({ everyKiB: 1000 });
    await waitForRun(portal, own.body.id, ['succeeded', 'failed']);
  });

  it('takes --param on the built CLI, lists parameters with pipeline:list --json, and refuses bad values before adding any file', async () => {
    const listed = await cli(portal, ['pipeline:list', '--json']);
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout.trim().split('\n').pop()!);
    expect(list.find((p: { name: string }) => p.name === 'Byte count')).toMatchObject({ kind: 'command', params: { everyKiB: { kind: 'integer', default: 100 } } });
    expect(list.find((p: { name: string }) => p.name === 'Inspect frames').params.saturation).toMatchObject({ kind: 'number', default: null });

    const ran = await cli(portal, ['pipeline:run', '--pipeline', 'Byte count', '--target', 'Horsehead Nebula', '--as', 'alice', '--flag', 'verbose=true', '--param', 'everyKiB=300', '--json', HORSEHEAD]);
    expect(ran.code).toBe(0);
    const summary = JSON.parse(ran.stdout.trim().split('\n').pop()!);
    expect(summary.state).toBe('succeeded');
    const [run] = await portal.dataSource.query('SELECT params, provenance FROM pipeline_runs WHERE id = $1', [summary.runId]);
    expect(run.params).toEqual({ everyKiB: 300 });
    expect(run.provenance.params.everyKiB).toEqual({ value: 300, source: 'user' });

    const products = async () => Number((await portal.dataSource.query('SELECT count(*)::int AS n FROM data_products'))[0].n);
    const before = { products: await products(), runs: await runCount() };
    const bad = await cli(portal, ['pipeline:run', '--pipeline', 'Byte count', '--target', 'Horsehead Nebula', '--as', 'alice', '--param', 'everyKiB=lots', path.join(FIXTURES, 'M13_blue_0001.fits.fz')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Check the parameters: everyKiB must be a whole number');
    const unknown = await cli(portal, ['pipeline:run', '--pipeline', 'Byte count', '--target', 'Horsehead Nebula', '--as', 'alice', '--param', 'speed=3', path.join(FIXTURES, 'M13_blue_0001.fits.fz')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('speed unknown parameter (known: everyKiB)');
    const malformed = await cli(portal, ['pipeline:run', '--pipeline', 'Byte count', '--target', 'Horsehead Nebula', '--as', 'alice', '--param', 'everyKiB', HORSEHEAD]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('--param everyKiB: write name=value');
    expect({ products: await products(), runs: await runCount() }).toEqual(before);
  }, 120_000);
});
