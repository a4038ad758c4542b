import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { createTestContext, testParams } from '../pipeline-sdk/testing';
import { INSPECT_COLUMNS, InspectPipeline, SEEING_REGION_SIDE, seeingRegion } from './inspect.pipeline';
import { writeSyntheticFrame } from './synthetic-frames';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('InspectPipeline', () => {
  it('summarises each frame: header, statistics, saturation, seeing and WCS, as CSV, JSON and a PNG preview', async () => {
    // Known answers: stars of sigma 2 px (FWHM 4.71 px); the first peaks at 200 + 40000 / (8π) ≈ 1791, and its
    // centre and four nearest neighbours (≈ 1604) pass SATURATE = 1500, the diagonal ones (≈ 1439) do not.
    const synthetic = path.join(dir, 'synthetic.fits');
    const stars = [
      { x: 30, y: 30, flux: 40000, sigma: 2 },
      { x: 80, y: 40, flux: 20000, sigma: 2 },
      { x: 50, y: 75, flux: 25000, sigma: 2 },
    ];
    writeSyntheticFrame(synthetic, { width: 100, height: 90, sky: 200, noise: 2, stars, cards: { OBJECT: 'Test field', FILTER: 'R', EXPTIME: 12.5, 'DATE-OBS': '2024-01-02T03:04:05', SATURATE: 1500 } });
    const run = createTestContext([synthetic, path.join(FIXTURES, 'HorseHead.fits')]);
    const outputs = await new InspectPipeline(run.context).doPipeline(dir, {});
    expect(outputs.map((o) => [path.basename(o.path), o.dataProductType])).toEqual([
      ['inspect.csv', 'other'],
      ['inspect.json', 'other'],
      ['synthetic_preview.png', 'image'],
      ['HorseHead_preview.png', 'image'],
    ]);
    const { frames } = JSON.parse(fs.readFileSync(outputs[1].path, 'utf8'));
    expect(frames[0]).toMatchObject({
      file: 'synthetic.fits',
      object: 'Test field',
      filter: 'R',
      exptime: 12.5,
      date_obs: '2024-01-02T03:04:05.000Z',
      width: 100,
      height: 90,
      bitpix: -32,
      wcs: 'none',
      saturation_level: 1500,
      saturated_pixels: 5,
      // The saturated star is left out of the seeing estimate.
      stars_measured: 2,
    });
    expect(frames[0].fwhm_px).toBeGreaterThan(4.71 * 0.9);
    expect(frames[0].fwhm_px).toBeLessThan(4.71 * 1.1);
    expect(frames[0].median).toBeCloseTo(200, 0);

    expect(frames[1]).toMatchObject({ file: 'HorseHead.fits', width: 891, height: 893, bitpix: 16, wcs: 'celestial', saturation_level: 32767 });
    expect(frames[1].center_ra).toBeGreaterThan(84);
    expect(frames[1].center_ra).toBeLessThan(86);

    const csv = fs.readFileSync(outputs[0].path, 'utf8').trim().split('\n');
    expect(csv[0]).toBe(INSPECT_COLUMNS.join(','));
    expect(csv).toHaveLength(3);
    const png = await sharp(outputs[3].path).metadata();
    expect(png.height).toBe(800);
    expect(Math.abs(png.width! - 798.2)).toBeLessThan(1);
    expect(run.logs.filter((line) => /^(synthetic|HorseHead)\.fits: /.test(line.text))).toHaveLength(2);
  });

  it("takes the student's saturation level over the header's", async () => {
    const synthetic = path.join(dir, 'saturating.fits');
    writeSyntheticFrame(synthetic, { width: 60, height: 60, sky: 200, noise: 2, stars: [{ x: 30, y: 30, flux: 40000, sigma: 2 }], cards: { SATURATE: 1500 } });
    const outputs = await new InspectPipeline(createTestContext([synthetic]).context).doPipeline(dir, {}, testParams(InspectPipeline, { saturation: '1700' }));
    const { frames } = JSON.parse(fs.readFileSync(outputs[1].path, 'utf8'));
    // 200 + 40000 / (8π) ≈ 1791 at the centre, its four neighbours ≈ 1604: only the centre passes 1700.
    expect(frames[0]).toMatchObject({ saturation_level: 1700, saturated_pixels: 1 });
  });

  it('writes header values that look like formulas as text', async () => {
    const frame = path.join(dir, 'formula.fits');
    writeSyntheticFrame(frame, { width: 40, height: 40, cards: { OBJECT: '=HYPERLINK("http://evil.example","M13")', FILTER: '+V', EXPTIME: 5 } });
    const [csv] = await new InspectPipeline(createTestContext([frame]).context).doPipeline(dir, {});
    const row = fs.readFileSync(csv.path, 'utf8').split('\n')[1];
    expect(row.startsWith(`formula.fits,0,"'=HYPERLINK(""http://evil.example"",""M13"")",'+V,5,`)).toBe(true);
  });
});

describe('seeingRegion', () => {
  it('is the central square of a large frame and the whole of a small one', () => {
    expect(SEEING_REGION_SIDE).toBe(1024);
    expect(seeingRegion(4096, 4096)).toEqual({ x0: 1537, y0: 1537, x1: 2560, y1: 2560 });
    expect(seeingRegion(1391, 1039)).toEqual({ x0: 184, y0: 8, x1: 1207, y1: 1031 });
    expect(seeingRegion(500, 300)).toEqual({ x0: 1, y0: 1, x1: 500, y1: 300 });
  });
});
