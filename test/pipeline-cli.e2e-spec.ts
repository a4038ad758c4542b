import * as path from 'node:path';
import { createTarget, FIXTURES, spawnBuilt, startTestPortal, TestPortal } from './utils/test-app';
import { ensureBuilt } from './utils/built-dist';

/** `npm run cli -- ...`, from the TypeScript sources, against the test portal. */
function cli(portal: TestPortal, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnBuilt(portal, 'cli', args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pipeline CLI (e2e)', () => {
  let portal: TestPortal;
  let targetId: number;

  beforeAll(async () => {
    await ensureBuilt();
    portal = await startTestPortal();
    // The CLI runs as the first admin unless told otherwise (--as USER).
    const admin = await portal.login('cli-admin', 'admin');
    targetId = await createTarget(admin, { name: 'Horsehead Nebula', aliases: 'Barnard 33', ra: '85.2458', dec: '-2.4583' });
  }, 300_000);
  afterAll(() => portal.close());

  it('lists the registry as JSON', async () => {
    const result = await cli(portal, ['pipeline:list', '--json']);
    expect(result.code).toBe(0);
    const list = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(list).toContainEqual(expect.objectContaining({ name: 'FITS header summary', shortName: 'header_summary' }));
  }, 60_000);

  it('runs a pipeline on local files, prints the log, records the run and its outputs, exits 0', async () => {
    const result = await cli(portal, [
      'pipeline:run', '--pipeline', 'FITS header summary', '--target', 'barnard 33', '--flag', 'allHdus=true', '--json',
      path.join(FIXTURES, 'HorseHead.fits'),
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Reading frame 1/1: HorseHead.fits');
    const summary = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ state: 'succeeded', failureMessage: null });
    expect(summary.outputs).toEqual([expect.objectContaining({ outputType: 'DataProduct', name: 'header_summary.csv' })]);
    const [run] = await portal.dataSource.query('SELECT target_id, flags, state FROM pipeline_runs WHERE id = $1', [summary.runId]);
    expect(run).toEqual({ target_id: targetId, flags: { allHdus: true }, state: 'succeeded' });
    const inputs = await portal.dataSource.query(`SELECT original_name FROM data_products WHERE target_id = $1 ORDER BY id`, [targetId]);
    expect(inputs.map((row: { original_name: string }) => row.original_name)).toEqual(['HorseHead.fits', 'header_summary.csv']);
  }, 60_000);

  it('exits non-zero with the reason when the run fails or the request is wrong', async () => {
    const failed = await cli(portal, ['pipeline:run', '--pipeline', 'FITS header summary', '--target', 'Horsehead Nebula', '--json', path.join(FIXTURES, 'README.md')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('takes only .fits');
    const unknownTarget = await cli(portal, ['pipeline:run', '--pipeline', 'FITS header summary', '--target', 'Nowhere', path.join(FIXTURES, 'HorseHead.fits')]);
    expect(unknownTarget.code).toBe(1);
    expect(unknownTarget.stderr).toContain('There is no target called "Nowhere"');
    // A student may not run on (nor add files to) the admin's private target.
    await portal.login('cli-student', 'student');
    const before = await portal.dataSource.query('SELECT (SELECT count(*) FROM data_products) AS products, (SELECT count(*) FROM pipeline_runs) AS runs');
    const refused = await cli(portal, ['pipeline:run', '--pipeline', 'FITS header summary', '--target', 'Horsehead Nebula', '--as', 'cli-student', path.join(FIXTURES, 'HorseHead.fits')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cli-student may not see the target "Horsehead Nebula"');
    expect(await portal.dataSource.query('SELECT (SELECT count(*) FROM data_products) AS products, (SELECT count(*) FROM pipeline_runs) AS runs')).toEqual(before);
  }, 90_000);
});
