import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt } from './utils/built-dist';
import { createTarget, FIXTURES, LoggedIn, logOf, spawnBuilt, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

const WORKFLOW_PIPELINES = path.join(FIXTURES, 'pipelines', 'workflows.config.json');
const HORSEHEAD = path.join(FIXTURES, 'HorseHead.fits');
const M13 = path.join(FIXTURES, 'm13-blue-2013-05-05');

interface StepRow {
  position: number;
  pipeline_key: string;
  state: string;
  status: string;
  output_ids: number[];
  point_count: number;
  first_log_seq: number | null;
  reused_from_run_id: number | null;
  provenance: Record<string, any>;
}

function cli(portal: TestPortal, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnBuilt(portal, 'cli', args, { PIPELINES_CONFIG: WORKFLOW_PIPELINES, ...env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('workflow runs: steps as jobs, outputs per step, failure, rerun from a step, cancel (e2e)', () => {
  let portal: TestPortal;
  let alice: LoggedIn;
  let targetId: number;
  let fitsIds: number[];
  const marker = path.join(os.tmpdir(), `portal-workflow-fail-${process.pid}`);

  const post = (user: LoggedIn, url: string, body: object) => user.agent.post(url).set('X-CSRF-Token', user.csrf).send(body);
  const stepsOf = (runId: number): Promise<StepRow[]> => portal.dataSource.query('SELECT * FROM pipeline_run_steps WHERE run_id = $1 ORDER BY position', [runId]);
  const namesOf = async (ids: number[]) =>
    ((await portal.dataSource.query('SELECT original_name, tags FROM data_products WHERE id = ANY($1::int[]) ORDER BY original_name', [ids])) as Array<{ original_name: string; tags: string[] }>);
  const groupMembers = async (groupId: number) =>
    ((await portal.dataSource.query('SELECT data_product_id AS id FROM data_product_group_members WHERE group_id = $1 ORDER BY 1', [groupId])) as Array<{ id: number }>).map((row) => row.id);
  const startWorkflow = async (pipeline: string, params: object = {}) => (await post(alice, '/api/processes', { targetId, pipeline, inputIds: fitsIds, params }).expect(201)).body;

  beforeAll(async () => {
    await ensureBuilt();
    process.env.WORKFLOW_FAIL_MARKER = marker;
    portal = await startTestPortal({ pipelinesConfig: WORKFLOW_PIPELINES });
    alice = await portal.login('alice', 'student');
    targetId = await createTarget(alice, { name: 'M13', ra: '250.4235', dec: '36.4613' });
    fitsIds = [];
    for (const name of ['M13_blue_0001.fits.gz', 'M13_blue_0002.fits.gz']) {
      // Stored unpacked as .fits: the test's copy step takes .fits.
      const bytes = require('node:zlib').gunzipSync(fs.readFileSync(path.join(M13, name)));
      fitsIds.push(await uploadOne(alice, targetId, bytes, name.replace('.gz', ''), 'fits_image'));
    }
  }, 300_000);
  afterAll(async () => {
    fs.rmSync(marker, { force: true });
    delete process.env.WORKFLOW_FAIL_MARKER;
    await portal?.close();
  });

  it('lists workflows beside pipelines, with their steps and exposed parameters', async () => {
    const list = await alice.agent.get('/api/pipelines?limit=100').expect(200);
    const three = list.body.items.find((item: { name: string }) => item.name === 'Three steps');
    expect(three).toMatchObject({ kind: 'workflow', shortName: 'three_steps', version: '1', allowedSuffixes: ['.fits'] });
    expect(three.steps.map((step: { pipeline: string; inputs: string }) => `${step.pipeline}:${step.inputs}`)).toEqual(['Copy frames:run', 'Summarise:previous', 'Byte count:previous']);
    expect(three.params).toEqual({ everyKiB: expect.objectContaining({ kind: 'integer', default: 1, min: 1, max: 10240 }) });
    const stored = await portal.dataSource.query("SELECT name, version, source FROM workflow_versions WHERE name = 'Three steps'");
    expect(stored).toEqual([{ name: 'Three steps', version: 1, source: 'config' }]);
    // The target page's picker offers it, naming its steps.
    const page = await alice.agent.get(`/targets/${targetId}`).expect(200);
    expect(page.text).toContain('Three steps');
    expect(page.text).toContain('data-workflow="Three steps">A workflow in 3 steps: 1. Copy frames → 2. Summarise → 3. Byte count</p>');
  });

  it('runs three steps to success, each on the step before\'s outputs, each step\'s outputs marked and gathered in one group', async () => {
    const started = await startWorkflow('Three steps', { everyKiB: 2 });
    expect(started).toMatchObject({ pipeline: 'Three steps', params: { everyKiB: 2 }, state: 'queued' });
    const done = await waitForRun(portal, started.id, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(done.failure_message).toBeNull();
    expect(done.state).toBe('succeeded');
    const steps = await stepsOf(started.id);
    expect(steps.map((step) => step.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // Step 1 copied both frames; step 2 summarised the copies (not the originals); step 3 counted the summary's bytes.
    // (A command gets the stored files, so its copies are named after the stored names.)
    expect(await namesOf(steps[0].output_ids)).toEqual([
      { original_name: expect.stringMatching(/^copy_.+\.fits$/), tags: ['step_1'] },
      { original_name: expect.stringMatching(/^copy_.+\.fits$/), tags: ['step_1'] },
    ]);
    expect(await namesOf(steps[1].output_ids)).toEqual([{ original_name: 'summary.csv', tags: ['step_2'] }]);
    expect(await namesOf(steps[2].output_ids)).toEqual([{ original_name: 'byte_counts.csv', tags: ['step_3'] }]);
    const summary = await alice.agent.get(`/api/data-products/${steps[1].output_ids[0]}/download`).expect(200);
    // Two rows, each of an unpacked M13 frame's size (the copies are byte for byte the frames).
    expect(String(summary.text ?? summary.body)).toMatch(/^name,bytes\n[^,\n]+\.fits,2900160\n[^,\n]+\.fits,2900160\n$/);
    const counts = await alice.agent.get(`/api/data-products/${steps[2].output_ids[0]}/download`).expect(200);
    // Step 3 counted step 2's summary: its size and sha256.
    const [summaryRow] = await portal.dataSource.query('SELECT sha256 FROM data_products WHERE id = $1', [steps[1].output_ids[0]]);
    const summaryBytes = Buffer.byteLength(String(summary.text ?? summary.body));
    expect(String(counts.text ?? counts.body)).toMatch(new RegExp(`^file,bytes,sha256\\n[^,\\n]+\\.csv,${summaryBytes},${summaryRow.sha256}\\n$`));
    // Step 3 got the exposed value; its fixed flag stayed on.
    expect(steps[2].provenance.params).toEqual({ everyKiB: 2 });
    expect(steps[2].provenance.flags).toEqual({ verbose: true });
    // One group holds every step's outputs.
    expect(await groupMembers(done.output_group_id)).toEqual([...steps[0].output_ids, ...steps[1].output_ids, ...steps[2].output_ids].sort((a, b) => a - b));
    // Each step's log section starts after the one before, with a line naming the step.
    expect(steps[0].first_log_seq).toBe(1);
    expect(steps[1].first_log_seq).toBeGreaterThan(steps[0].first_log_seq!);
    expect(steps[2].first_log_seq).toBeGreaterThan(steps[1].first_log_seq!);
    const log = await logOf(portal, started.id);
    expect(log[steps[1].first_log_seq! - 1]).toBe('Step 2 of 3: Summarise');
    expect(log).toContain('Finished: 4 data product(s), 0 reduced datum/data');
    // Provenance: the workflow's version, and each step's pipeline version, values and timings.
    const provenance = (await alice.agent.get(`/api/processes/${started.id}/provenance`).expect(200)).body;
    expect(provenance.pipeline).toMatchObject({ key: 'Three steps', kind: 'workflow', version: '1' });
    expect(provenance.steps.map((step: { step: number; pipeline: { version: string }; durationSeconds: number }) => [step.step, step.pipeline.version, typeof step.durationSeconds])).toEqual([
      [1, '1', 'number'],
      [2, '1', 'number'],
      [3, '1', 'number'],
    ]);
    // The API shows the steps; the page shows a section per step.
    const api = (await alice.agent.get(`/api/processes/${started.id}`).expect(200)).body;
    expect(api.steps.map((step: { position: number; state: string }) => `${step.position}:${step.state}`)).toEqual(['1:succeeded', '2:succeeded', '3:succeeded']);
    const page = await alice.agent.get(`/pipeline/${started.id}`).expect(200);
    for (const position of [1, 2, 3]) expect(page.text).toContain(`id="step-${position}"`);
    expect(page.text).toContain('Log of step 2');
  });

  it('refuses exposed parameters out of range and parameters the workflow does not expose, per field', async () => {
    const refused = await post(alice, '/api/processes', { targetId, pipeline: 'Three steps', inputIds: fitsIds, params: { everyKiB: 0, apertureRadius: 3 } }).expect(400);
    expect(refused.body.errors).toEqual({ 'params.everyKiB': [expect.stringMatching(/at least 1/)], 'params.apertureRadius': [expect.stringMatching(/unknown parameter/)] });
  });

  it('fails at step 2 keeping step 1\'s outputs; a rerun from step 2 reuses them and succeeds', async () => {
    fs.writeFileSync(marker, 'fail');
    const started = await startWorkflow('Three steps');
    const failed = await waitForRun(portal, started.id, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(failed.state).toBe('failed');
    expect(failed.failure_message).toMatch(/^Step 2 \(Summarise\): /);
    const steps = await stepsOf(started.id);
    expect(steps.map((step) => step.state)).toEqual(['succeeded', 'failed', 'skipped']);
    // The failed step stored nothing; step 1's copies stay, in the run's group.
    expect(steps[1].output_ids).toEqual([]);
    expect(steps[0].output_ids).toHaveLength(2);
    expect(await groupMembers(failed.output_group_id)).toEqual(steps[0].output_ids);
    const copiesBefore = (await portal.dataSource.query("SELECT count(*)::int AS n FROM data_products WHERE original_name LIKE 'copy_%'"))[0].n;

    fs.rmSync(marker);
    // The page offers "Run again from this step" on step 2 only: step 3 would need step 2's outputs.
    const page = await alice.agent.get(`/pipeline/${started.id}`).expect(200);
    expect(page.text.match(/name="fromStep" value="(\d)"/g)).toEqual(['name="fromStep" value="2"']);
    const rerun = await alice.agent.post(`/pipeline/${started.id}/rerun`).type('form').send({ fromStep: '2', _csrf: alice.csrf }).expect(303);
    const rerunId = Number(/\/pipeline\/(\d+)/.exec(rerun.headers.location)![1]);
    const done = await waitForRun(portal, rerunId, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(done.state).toBe('succeeded');
    const again = await stepsOf(rerunId);
    expect(again.map((step) => step.state)).toEqual(['reused', 'succeeded', 'succeeded']);
    expect(again[0]).toMatchObject({ output_ids: steps[0].output_ids, reused_from_run_id: started.id });
    // Step 2 worked on the first run's copies; nothing was copied again.
    expect(again[1].provenance.inputs.map((input: { id: number }) => input.id)).toEqual(steps[0].output_ids);
    expect((await portal.dataSource.query("SELECT count(*)::int AS n FROM data_products WHERE original_name LIKE 'copy_%'"))[0].n).toBe(copiesBefore);
    expect(done.provenance.rerunOf).toEqual({ runId: started.id, identifier: failed.identifier, fromStep: 2 });
    // The new run's group has the reused copies and its own outputs.
    expect(await groupMembers(done.output_group_id)).toEqual([...steps[0].output_ids, ...again[1].output_ids, ...again[2].output_ids].sort((a, b) => a - b));

    // The API does the same, and refuses a rerun after a step that did not succeed.
    await post(alice, `/api/processes/${started.id}/rerun`, { fromStep: 3 }).expect(400);
    await post(alice, `/api/processes/${started.id}/rerun`, { fromStep: 9 }).expect(400);
    const viaApi = await post(alice, `/api/processes/${rerunId}/rerun`, { fromStep: 3 }).expect(201);
    expect(viaApi.body.steps.map((step: { state: string }) => step.state)).toEqual(['reused', 'reused', 'queued']);
    expect((await waitForRun(portal, viaApi.body.id, ['succeeded', 'failed'], 60_000)).state).toBe('succeeded');
  });

  it('cancel during step 2 stops it and skips the rest; step 1\'s outputs stay', async () => {
    const started = await startWorkflow('Copy then sleep');
    const deadline = Date.now() + 30_000;
    while ((await stepsOf(started.id))[1].state !== 'running' || !(await logOf(portal, started.id)).some((line) => line.startsWith('tick'))) {
      if (Date.now() > deadline) throw new Error('step 2 did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await post(alice, `/api/processes/${started.id}/cancel`, {}).expect(200);
    const cancelled = await waitForRun(portal, started.id, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect(cancelled.state).toBe('cancelled');
    const steps = await stepsOf(started.id);
    expect(steps.map((step) => step.state)).toEqual(['succeeded', 'cancelled']);
    expect((await namesOf(steps[0].output_ids)).map((p) => p.original_name)).toEqual([expect.stringMatching(/^copy_/), expect.stringMatching(/^copy_/)]);
  });

  it('cancel just after the start ends the run and every step, whether its first step still waited or ran', async () => {
    const started = await startWorkflow('Two naps');
    await post(alice, `/api/processes/${started.id}/cancel`, {}).expect(200);
    const run = await waitForRun(portal, started.id, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect(run.state).toBe('cancelled');
    const steps = await stepsOf(started.id);
    expect(steps.every((step) => ['cancelled', 'skipped'].includes(step.state))).toBe(true);
  });

  it('runs a workflow from the CLI, and pipeline:list shows it with kind "workflow" and its steps', async () => {
    const list = await cli(portal, ['pipeline:list', '--json']);
    expect(list.code).toBe(0);
    const three = JSON.parse(list.stdout).find((item: { name: string }) => item.name === 'Three steps');
    expect(three).toMatchObject({ kind: 'workflow', steps: [{ position: 1, pipeline: 'Copy frames' }, { position: 2, pipeline: 'Summarise' }, { position: 3, pipeline: 'Byte count' }] });
    const run = await cli(portal, ['pipeline:run', '--json', '--pipeline', 'Three steps', '--target', 'M13', '--as', 'alice', '--param', 'everyKiB=3', HORSEHEAD]);
    expect(run.stderr).toContain('Step 3 of 3: Byte count');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.state).toBe('succeeded');
    expect(summary.outputs.map((output: { name: string }) => output.name)).toEqual([expect.stringMatching(/^copy_.+\.fits$/), 'summary.csv', 'byte_counts.csv']);
    expect((await stepsOf(summary.runId)).map((step) => step.provenance.params)).toEqual([{}, {}, { everyKiB: 3 }]);
    const refused = await cli(portal, ['pipeline:run', '--pipeline', 'Three steps', '--target', 'M13', '--as', 'alice', '--param', 'everyKiB=0', HORSEHEAD]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/everyKiB must be at least 1 KiB/);
  });
});
