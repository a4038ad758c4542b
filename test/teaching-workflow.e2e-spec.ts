import * as path from 'node:path';
import { DemoSeedService } from '../src/demo/demo-seed.service';
import { ensureBuilt } from './utils/built-dist';
import { loginAs, startTestPortal, TestPortal, waitForRun } from './utils/test-app';

const DEFAULT_PIPELINES = path.join(__dirname, '..', 'pipelines.config.json');
const WORKFLOW = 'Inspect, photometry and timelapse';

/**
 * Issue 15's "done": on the demo's data and the default config, a student runs the shipped teaching workflow on
 * M13's five frames (no WCS) with an aperture radius of their own, from the target page's picker.
 */
describe('the teaching workflow on the demo M13 frames (e2e)', () => {
  let portal: TestPortal;

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal({ pipelinesConfig: DEFAULT_PIPELINES });
  }, 300_000);
  afterAll(() => portal?.close());

  it('inspects, measures with the student\'s aperture and makes the timelapse, each step stored', async () => {
    const seeded = await portal.app.get(DemoSeedService).seed();
    const account = seeded.accounts.find((candidate) => candidate.username === 'student1')!;
    const student = await loginAs(portal.app.getHttpServer(), account.username, account.password);
    const m13 = seeded.targets.find((target) => target.name === 'M13')!;
    const products = (await student.agent.get(`/api/targets/${m13.id}/data-products?limit=50`).expect(200)).body.items as Array<{ id: number; name: string }>;
    const frames = products.filter((product) => /^M13_blue_000\d\.fits\.gz$/.test(product.name));
    expect(frames).toHaveLength(5);

    // The picker offers the workflow with the exposed parameters under its short name.
    const page = await student.agent.get(`/targets/${m13.id}`).expect(200);
    expect(page.text).toContain('name="param:inspect_photometry_timelapse:apertureRadius"');
    const started = await student.agent
      .post(`/targets/${m13.id}/pipeline-runs`)
      .type('form')
      .send({
        _csrf: student.csrf,
        pipeline: WORKFLOW,
        productIds: frames.map((frame) => String(frame.id)),
        'param:inspect_photometry_timelapse:apertureRadius': '2',
        'param:inspect_photometry_timelapse:fps': '4',
      })
      .expect(303);
    const runId = Number(/\/pipeline\/(\d+)$/.exec(started.headers.location)![1]);
    const run = await waitForRun(portal, runId, ['succeeded', 'failed', 'cancelled'], 180_000);
    expect([run.state, run.failure_message]).toEqual(['succeeded', null]);
    expect(run.params).toMatchObject({ apertureRadius: 2, fps: 4, apertureUnit: 'fwhm' });

    const steps: Array<{ pipeline_key: string; state: string; output_ids: number[]; point_count: number; params: Record<string, unknown>; flags: Record<string, boolean> }> =
      await portal.dataSource.query('SELECT * FROM pipeline_run_steps WHERE run_id = $1 ORDER BY position', [runId]);
    expect(steps.map((step) => [step.pipeline_key, step.state])).toEqual([
      ['Inspect frames', 'succeeded'],
      ['Aperture photometry', 'succeeded'],
      ['Timelapse', 'succeeded'],
    ]);
    // Step 2 measured with the student's radius, the brightest source near the centre (the frames have no WCS).
    expect(steps[1].params).toMatchObject({ apertureRadius: 2, apertureUnit: 'fwhm' });
    expect(steps[1].flags.brightestWithoutWcs).toBe(true);
    expect(steps[1].point_count).toBe(5);
    const points = await portal.dataSource.query('SELECT count(*)::int AS n FROM reduced_data WHERE run_id = $1', [runId]);
    expect(points[0].n).toBe(5);
    const names = async (ids: number[]) =>
      ((await portal.dataSource.query('SELECT original_name, product_type FROM data_products WHERE id = ANY($1::int[]) ORDER BY original_name', [ids])) as Array<{
        original_name: string;
        product_type: string;
      }>).map((row) => `${row.original_name}:${row.product_type}`);
    expect(await names(steps[0].output_ids)).toEqual(expect.arrayContaining(['inspect.csv:other', 'inspect.json:other', 'M13_blue_0001_preview.png:image']));
    expect(await names(steps[1].output_ids)).toEqual(['aperture_photometry_details.csv:other']);
    expect(await names(steps[2].output_ids)).toEqual([expect.stringMatching(/^M13_timelapse_.*\.gif:timelapse$/)]);
    // The timelapse took the student's frame rate.
    const log: string[] = (await portal.dataSource.query('SELECT text FROM pipeline_log_lines WHERE run_id = $1 ORDER BY seq', [runId])).map((row: { text: string }) => row.text);
    expect(log).toContainEqual(expect.stringMatching(/^Wrote M13_timelapse_.*\.gif: 5 frames, .* 4 fps$/));
  }, 240_000);
});
