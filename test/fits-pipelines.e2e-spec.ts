import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { headerValue, readFitsHeaders } from '../src/fits';
import { readAnimationInfo } from '../src/imaging';
import { createTarget, FIXTURES, LoggedIn, logOf, startTestPortal, TestPortal, uploadOne, waitForRun } from './utils/test-app';

const M13_FRAMES = [1, 2, 3, 4, 5].map((n) => path.join(FIXTURES, 'm13-blue-2013-05-05', `M13_blue_000${n}.fits.gz`));

/** HorseHead's pixel at FITS (x, y) straight from the file's bytes: the header reader gives where the data starts. */
async function horseHeadPixel(x: number, y: number): Promise<number> {
  const file = path.join(FIXTURES, 'HorseHead.fits');
  const [primary] = await readFitsHeaders(file);
  const bytes = fs.readFileSync(file);
  const raw = bytes.readInt16BE(primary.dataOffset + 2 * ((y - 1) * primary.naxis[0] + (x - 1)));
  return Number(headerValue(primary.cards, 'BZERO') ?? 0) + Number(headerValue(primary.cards, 'BSCALE') ?? 1) * raw;
}

/** A FITS file whose only HDU has no data: a valid upload, but nothing to preview. */
function headerOnlyFits(): Buffer {
  const block = Buffer.alloc(2880, ' ');
  ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0', 'END'].forEach((card, i) => block.write(card, i * 80, 'latin1'));
  return block;
}

describe('FITS previews and the teaching pipelines (e2e)', () => {
  let portal: TestPortal;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let m13Id: number;
  let horseheadId: number;
  let frameIds: number[];
  let horseheadImageId: number;
  let aiaId: number;

  const startRun = async (targetId: number, pipeline: string, productIds: number[], flags: Record<string, string> = {}) => {
    const response = await alice.agent
      .post(`/targets/${targetId}/pipeline-runs`)
      .type('form')
      .send({ pipeline, productIds: productIds.map(String), _csrf: alice.csrf, ...flags })
      .expect(303);
    return Number(/\/pipeline\/(\d+)/.exec(response.headers.location)![1]);
  };

  const outputsOf = (groupId: number) =>
    portal.dataSource.query(
      `SELECT p.id, p.original_name, p.product_type, p.stored_path FROM data_products p
       JOIN data_product_group_members m ON m.data_product_id = p.id WHERE m.group_id = $1 ORDER BY p.original_name`,
      [groupId],
    );

  async function waitForPreviews(ids: number[], timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await portal.dataSource.query('SELECT id, thumbnail_path, preview_error FROM data_products WHERE id = ANY($1)', [ids]);
      if (rows.length === ids.length && rows.every((row: any) => row.thumbnail_path || row.preview_error)) return rows;
      if (Date.now() > deadline) throw new Error(`previews not made: ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    portal = await startTestPortal();
    alice = await portal.login('alice', 'student');
    bob = await portal.login('bob', 'student');
    m13Id = await createTarget(alice, { name: 'M13', ra: '250.4235', dec: '36.4613', visibility: 'public' });
    horseheadId = await createTarget(alice, { name: 'Horsehead', ra: '85.2458', dec: '-2.4583', visibility: 'private' });
    frameIds = [];
    for (const frame of M13_FRAMES) frameIds.push(await uploadOne(alice, m13Id, frame, path.basename(frame), 'fits_image'));
    horseheadImageId = await uploadOne(alice, horseheadId, path.join(FIXTURES, 'HorseHead.fits'), 'HorseHead.fits', 'fits_image');
    aiaId = await uploadOne(alice, horseheadId, path.join(FIXTURES, 'aia_171_level1.fits'), 'aia_171_level1.fits', 'fits_image');
  });
  afterAll(() => portal.close());

  it('makes a thumbnail of every FITS upload in the worker and shows it on the target page and in the gallery', async () => {
    const rows = await waitForPreviews([...frameIds, horseheadImageId, aiaId]);
    expect(rows.every((row: any) => row.thumbnail_path && !row.preview_error)).toBe(true);

    const thumbnail = await alice.agent.get(`/data-products/${frameIds[0]}/thumbnail.png`).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/png');
    const meta = await sharp(thumbnail.body).metadata();
    // 1392×1040 scaled to fit 400 px: 400 × 298.9.
    expect(meta.width).toBe(400);
    expect(Math.abs(meta.height! - 299)).toBeLessThanOrEqual(1);

    const page = await alice.agent.get(`/targets/${m13Id}`).expect(200);
    for (const id of frameIds) expect(page.text).toContain(`/data-products/${id}/thumbnail.png`);
    const gallery = await alice.agent.get(`/targets/${m13Id}/gallery`).expect(200);
    for (const id of frameIds) {
      expect(gallery.text).toContain(`name="productIds" value="${id}"`);
      expect(gallery.text).toContain(`/data-products/${id}/thumbnail.png`);
    }
    expect(gallery.text).toContain('id="run-pipeline"');
  });

  it('records why a FITS file without an image has no preview', async () => {
    const id = await uploadOne(alice, m13Id, headerOnlyFits(), 'empty.fits', 'fits_image');
    const [row] = await waitForPreviews([id]);
    expect(row.thumbnail_path).toBeNull();
    expect(row.preview_error).toMatch(/^No preview: .*image/);
    const missing = await alice.agent.get(`/data-products/${id}/thumbnail.png`).set('Accept', 'application/json').expect(404);
    expect(missing.body.message).toMatch(/No preview/);
    const page = await alice.agent.get(`/targets/${m13Id}`).expect(200);
    expect(page.text).toContain('no preview');
    await alice.agent.post(`/data-products/${id}/delete`).type('form').send({ _csrf: alice.csrf }).expect(303);
  });

  it('serves a larger preview with a chosen stretch, and the pixel value and RA/Dec under the pointer', async () => {
    const page = await alice.agent.get(`/data-products/${horseheadImageId}`).expect(200);
    expect(page.text).toContain('id="fits-preview"');
    expect(page.text).toContain('data-celestial="true"');
    for (const stretch of ['zscale', 'minmax', 'p99']) expect(page.text).toContain(`<option value="${stretch}">`);

    const preview = await alice.agent.get(`/data-products/${horseheadImageId}/preview.png?stretch=p99&mapping=asinh&size=300`).expect(200);
    const meta = await sharp(preview.body).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(300);
    await alice.agent.get(`/data-products/${horseheadImageId}/preview.png?stretch=rainbow`).set('Accept', 'application/json').expect(400);

    const reading = (await alice.agent.get(`/data-products/${horseheadImageId}/pixel?x=100&y=200`).expect(200)).body;
    expect(reading.value).toBe(await horseHeadPixel(100, 200));
    const [primary] = await readFitsHeaders(path.join(FIXTURES, 'HorseHead.fits'));
    const atReference = (
      await alice.agent.get(`/data-products/${horseheadImageId}/pixel?x=${headerValue(primary.cards, 'CRPIX1')}&y=${headerValue(primary.cards, 'CRPIX2')}`).expect(200)
    ).body;
    expect(atReference.ra).toBeCloseTo(Number(headerValue(primary.cards, 'CRVAL1')), 8);
    expect(atReference.dec).toBeCloseTo(Number(headerValue(primary.cards, 'CRVAL2')), 8);

    // The Sun's helioprojective WCS is not RA/Dec: values, but no sky position.
    const aiaPage = await alice.agent.get(`/data-products/${aiaId}`).expect(200);
    expect(aiaPage.text).toContain('data-celestial="false"');
    const aiaReading = (await alice.agent.get(`/data-products/${aiaId}/pixel?x=64&y=64`).expect(200)).body;
    expect(typeof aiaReading.value).toBe('number');
    expect(aiaReading.ra).toBeUndefined();
  });

  it('keeps the previews of a private target private', async () => {
    await bob.agent.get(`/data-products/${horseheadImageId}/thumbnail.png`).expect(403);
    await bob.agent.get(`/data-products/${horseheadImageId}/preview.png`).expect(403);
    await bob.agent.get(`/data-products/${horseheadImageId}/pixel?x=1&y=1`).expect(403);
    await bob.agent.get(`/targets/${horseheadId}/gallery`).expect(403);
  });

  it('makes a timelapse GIF of the M13 frames in time order and shows it on the target page', async () => {
    const shuffled = [frameIds[3], frameIds[0], frameIds[4], frameIds[2], frameIds[1]];
    const runId = await startRun(m13Id, 'Timelapse', shuffled);
    const run = await waitForRun(portal, runId, ['succeeded', 'failed'], 60_000);
    expect(run.failure_message).toBeNull();
    expect(run.state).toBe('succeeded');
    const log = await logOf(portal, runId);
    for (let i = 1; i <= 5; i++) expect(log.some((line) => line.startsWith(`Processing frame ${i}/5`))).toBe(true);

    const [output] = await outputsOf(run.output_group_id);
    expect(output.product_type).toBe('timelapse');
    expect(output.original_name).toMatch(/^M13_timelapse_2013-05-05\.gif$/);
    const info = await readAnimationInfo(path.join(portal.dataDir, output.stored_path));
    expect(info).toMatchObject({ format: 'gif', frameCount: 5, width: 500 });
    expect(Math.abs(info.height - 373.6)).toBeLessThan(1);

    const page = await alice.agent.get(`/targets/${m13Id}`).expect(200);
    expect(page.text).toContain('id="latest-timelapse"');
    expect(page.text).toContain(`<img src="/data-products/${output.id}/view"`);
    const view = await alice.agent.get(`/data-products/${output.id}/view`).expect(200);
    expect(view.headers['content-type']).toBe('image/gif');
    await alice.agent.get(`/data-products/${frameIds[0]}/view`).set('Accept', 'application/json').expect(404);
  });

  it('fails a timelapse of frames of different sizes with a message saying so, storing nothing', async () => {
    const other = await uploadOne(alice, m13Id, path.join(FIXTURES, 'HorseHead.fits'), 'HorseHead.fits', 'fits_image');
    const before = await portal.dataSource.query('SELECT count(*)::int AS n FROM data_products');
    const runId = await startRun(m13Id, 'Timelapse', [frameIds[0], other]);
    const run = await waitForRun(portal, runId, ['succeeded', 'failed'], 30_000);
    expect(run.state).toBe('failed');
    expect(run.failure_message).toMatch(
      /^(M13_blue_0001\.fits\.gz is 1392×1040 pixels but HorseHead\.fits is 891×893|HorseHead\.fits is 891×893 pixels but M13_blue_0001\.fits\.gz is 1392×1040); all frames of a timelapse must be the same size$/,
    );
    const after = await portal.dataSource.query('SELECT count(*)::int AS n FROM data_products');
    expect(after[0].n).toBe(before[0].n);
    await alice.agent.post(`/data-products/${other}/delete`).type('form').send({ _csrf: alice.csrf }).expect(303);
  });

  it('measures aperture photometry of the M13 frames into points on the light curve, in time order', async () => {
    const runId = await startRun(m13Id, 'Aperture photometry', [...frameIds].reverse(), { 'flag:aperture_photometry:brightestWithoutWcs': 'on' });
    const run = await waitForRun(portal, runId, ['succeeded', 'failed'], 60_000);
    expect(run.failure_message).toBeNull();
    const log = await logOf(portal, runId);
    expect(log.filter((line) => /^Frame \d\/5 M13_blue_000\d\.fits\.gz: target at x=/.test(line))).toHaveLength(5);

    const points = await portal.dataSource.query(
      `SELECT timestamp, value FROM reduced_data WHERE target_id = $1 AND source_name = $2 ORDER BY timestamp`,
      [m13Id, run.identifier],
    );
    expect(points).toHaveLength(5);
    // Each time is DATE-OBS plus half the 5 s exposure.
    const starts = await Promise.all(M13_FRAMES.map(async (file) => String(headerValue((await readFitsHeaders(file))[0].cards, 'DATE-OBS'))));
    expect(points.map((p: any) => p.timestamp.toISOString())).toEqual(starts.map((start) => new Date(`${start}Z`).getTime() + 2500).map((ms) => new Date(ms).toISOString()));
    const magnitudes = points.map((p: any) => p.value.magnitude);
    for (const point of points) {
      expect(point.value.filter).toBe('unfiltered instrumental');
      expect(point.value.error).toBeGreaterThan(0);
      expect(point.value.error).toBeLessThan(0.3);
    }
    // The same source five times, 12 s apart, followed by the frames' drift: the magnitudes agree within their
    // errors (these are shallow 5 s frames; the source is faint against the cluster's glow).
    const largestError = Math.max(...points.map((p: any) => p.value.error));
    expect(Math.max(...magnitudes) - Math.min(...magnitudes)).toBeLessThan(4 * largestError);
    expect(magnitudes.every((m: number) => m > 5 && m < 25)).toBe(true);

    const page = await alice.agent.get(`/targets/${m13Id}`).expect(200);
    expect(page.text).toContain(`data-src="/targets/${m13Id}/light-curve.json"`);
    const curve = (await alice.agent.get(`/targets/${m13Id}/light-curve.json`).expect(200)).body;
    const series = curve.series.find((s: { filter: string }) => s.filter === 'unfiltered instrumental');
    expect(series.mag).toEqual(magnitudes);
    const [details] = await outputsOf(run.output_group_id);
    expect(details.original_name).toBe('aperture_photometry_details.csv');
  });

  it('tells the student what to do when a frame has no WCS and the brightest-source flag is off', async () => {
    const m13Wcs = headerValue((await readFitsHeaders(M13_FRAMES[0]))[0].cards, 'CTYPE1');
    // The test needs frames without a WCS; if the fixture gains one, this must fail, not pass having checked nothing.
    expect(m13Wcs).toBeUndefined();
    const runId = await startRun(m13Id, 'Aperture photometry', [frameIds[0]]);
    const run = await waitForRun(portal, runId, ['succeeded', 'failed'], 30_000);
    expect(run.state).toBe('failed');
    expect(run.failure_message).toMatch(/has no WCS.*Tick “Without a WCS, measure the brightest source near the centre”/);
  });

  it('inspects frames into a CSV and JSON table and PNG previews', async () => {
    const runId = await startRun(horseheadId, 'Inspect frames', [horseheadImageId, aiaId]);
    const run = await waitForRun(portal, runId, ['succeeded', 'failed'], 60_000);
    expect(run.failure_message).toBeNull();
    const outputs = await outputsOf(run.output_group_id);
    expect(outputs.map((o: any) => o.original_name)).toEqual(['HorseHead_preview.png', 'aia_171_level1_preview.png', 'inspect.csv', 'inspect.json']);
    const json = JSON.parse(fs.readFileSync(path.join(portal.dataDir, outputs[3].stored_path), 'utf8'));
    expect(json.frames[0]).toMatchObject({ file: 'HorseHead.fits', width: 891, height: 893, bitpix: 16, wcs: 'celestial' });
    expect(json.frames[1].wcs).toMatch(/^not celestial/);
    expect(json.frames[0].fwhm_px).toBeGreaterThan(1);
    const png = await sharp(path.join(portal.dataDir, outputs[0].stored_path)).metadata();
    expect(Math.max(png.width!, png.height!)).toBeLessThanOrEqual(800);
    const csv = fs.readFileSync(path.join(portal.dataDir, outputs[2].stored_path), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0].split(',')).toContain('saturated_pixels');
  });

  it('offers the group page as a gallery to tick frames for a new group or a pipeline run', async () => {
    const group = await alice.agent
      .post('/groups')
      .type('form')
      .send({ name: 'm13-night', productIds: frameIds.map(String), _csrf: alice.csrf })
      .expect(303);
    const groupId = Number(/\/groups\/(\d+)/.exec(group.headers.location)![1]);
    const page = await alice.agent.get(`/groups/${groupId}`).expect(200);
    for (const id of frameIds) expect(page.text).toContain(`name="productIds" value="${id}"`);
    expect(page.text).toContain(`formaction="/targets/${m13Id}/pipeline-runs"`);
  });
});
