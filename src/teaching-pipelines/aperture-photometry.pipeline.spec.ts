import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePhotometryCsv } from '../reduced-data/photometry-csv.reader';
import { AsyncError } from '../pipeline-sdk/pipeline-process';
import { createTestContext, testParams } from '../pipeline-sdk/testing';
import { apertureFor, AperturePhotometryPipeline } from './aperture-photometry.pipeline';
import { tanWorldToPixel, writeSyntheticFrame } from './synthetic-frames';

const WCS = { crval: [250.0, 36.0] as [number, number], crpix: [60.5, 50.5] as [number, number], scaleDeg: 1 / 3600 };
const WCS_CARDS = {
  CTYPE1: 'RA---TAN',
  CTYPE2: 'DEC--TAN',
  CRVAL1: WCS.crval[0],
  CRVAL2: WCS.crval[1],
  CRPIX1: WCS.crpix[0],
  CRPIX2: WCS.crpix[1],
  CD1_1: -WCS.scaleDeg,
  CD1_2: 0,
  CD2_1: 0,
  CD2_2: WCS.scaleDeg,
};
const TARGET = { ra: 250.004, dec: 35.9975 };
const LOG_2 = 2.5 * Math.log10(2);

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-photometry-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Two frames 10 minutes apart: the target doubles in brightness; in the second frame thin cloud also dims
 * everything by 20 %. A comparison star stays constant, so only the differential magnitude shows the true change.
 */
function writeFrames(withWcs: boolean, filter = 'V'): string[] {
  const target = tanWorldToPixel(TARGET.ra, TARGET.dec, WCS);
  const frames = [
    { date: '2024-03-01T22:10:00', gain: 1, factor: 1 },
    { date: '2024-03-01T22:00:00', gain: 2 * 0.8, factor: 0.8 },
  ];
  return frames.map((frame, i) => {
    const file = path.join(dir, `frame${i + 1}.fits`);
    writeSyntheticFrame(file, {
      width: 120,
      height: 100,
      seed: i + 7,
      stars: [
        { x: target.x, y: target.y, flux: 20000 * frame.gain },
        { x: 25.2, y: 70.6, flux: 40000 * frame.factor },
      ],
      cards: { 'DATE-OBS': frame.date, EXPTIME: 30, FILTER: filter, ...(withWcs ? WCS_CARDS : {}) },
    });
    return file;
  });
}

describe('AperturePhotometryPipeline', () => {
  it('writes its CSVs through the one CSV writer: a FILTER card that looks like a formula is text, and read back as it was', async () => {
    const filter = '=HYPERLINK("http://evil.example","V")';
    const run = createTestContext(writeFrames(true, filter), { name: 'Test star', ...TARGET });
    const [points, details] = await new AperturePhotometryPipeline(run.context).doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: false });
    const text = fs.readFileSync(points.path, 'utf8');
    // Shortened to the light curve's 32 characters for a filter, " instrumental" included; the apostrophe keeps it text.
    expect(text.split('\n')[1]).toMatch(/,"'=HYPERLINK\(""http:\/\/ instrumental"$/);
    const parsed = parsePhotometryCsv(text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.points.map((point) => point.filter)).toEqual(['=HYPERLINK("http:// instrumental', '=HYPERLINK("http:// instrumental']);
    expect(fs.readFileSync(details.path, 'utf8').split('\n')[1].startsWith('frame2.fits,')).toBe(true);
  });

  it('finds the target through the WCS, measures each frame and writes points in time order', async () => {
    const run = createTestContext(writeFrames(true), { name: 'Test star', ...TARGET });
    const outputs = await new AperturePhotometryPipeline(run.context).doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: false });
    expect(outputs.map((o) => [path.basename(o.path), o.outputType])).toEqual([
      ['aperture_photometry.csv', 'ReducedDatum'],
      ['aperture_photometry_details.csv', 'DataProduct'],
    ]);
    const { points, errors } = parsePhotometryCsv(fs.readFileSync(outputs[0].path, 'utf8'));
    expect(errors).toEqual([]);
    // Sorted by time; each at DATE-OBS + 15 s (half of EXPTIME).
    expect(points.map((p) => p.timestamp.toISOString())).toEqual(['2024-03-01T22:00:15.000Z', '2024-03-01T22:10:15.000Z']);
    expect(points.every((p) => p.filter === 'V instrumental')).toBe(true);
    // 1.6× brighter in the earlier frame: 0.51 mag.
    expect(points[1].magnitude! - points[0].magnitude!).toBeCloseTo(2.5 * Math.log10(1.6), 1);
    // 20000 e- in 30 s: -2.5 log10(20000 / 30) + 25.
    expect(points[1].magnitude!).toBeCloseTo(25 - 2.5 * Math.log10(20000 / 30), 1);
    expect(points.every((p) => p.error! > 0 && p.error! < 0.05)).toBe(true);
    const frameLines = run.logs.filter((line) => /^Frame \d\/2 frame\d\.fits: target at x=/.test(line.text));
    expect(frameLines).toHaveLength(2);
    const target = tanWorldToPixel(TARGET.ra, TARGET.dec, WCS);
    expect(frameLines[0].text).toContain(`x=${target.x.toFixed(1)}`);
  });

  it('reports differential magnitudes against comparison stars, which cancel the cloud', async () => {
    const run = createTestContext(writeFrames(true), { name: 'Test star', ...TARGET });
    const outputs = await new AperturePhotometryPipeline(run.context).doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: true });
    const { points } = parsePhotometryCsv(fs.readFileSync(outputs[0].path, 'utf8'));
    const differential = points.filter((p) => p.filter === 'V differential');
    expect(differential).toHaveLength(2);
    // Only the differential series goes to the light curve then; the instrumental one stays in the details CSV.
    expect(points).toHaveLength(2);
    expect(fs.readFileSync(outputs[1].path, 'utf8')).toContain('differential_magnitude');
    // The target really doubled: 0.753 mag, whatever the cloud did.
    expect(differential[1].magnitude! - differential[0].magnitude!).toBeCloseTo(LOG_2, 1);
    expect(Math.abs(differential[1].magnitude! - differential[0].magnitude! - LOG_2)).toBeLessThan(0.03);
    expect(run.logs.some((line) => line.text.startsWith('Comparison stars: 1'))).toBe(true);
  });

  it('without a WCS, asks for the brightest-source flag, and with it measures the brightest source near the centre', async () => {
    const files = writeFrames(false);
    const refused = new AperturePhotometryPipeline(createTestContext(files, { name: 'Test star', ...TARGET }).context);
    const error = await refused.doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: false }).catch((e) => e);
    expect(error).toBeInstanceOf(AsyncError);
    expect(error.message).toMatch(/frame2\.fits has no WCS.*Tick “Without a WCS, measure the brightest source near the centre”/);

    const run = createTestContext(files, { name: 'Test star' });
    const outputs = await new AperturePhotometryPipeline(run.context).doPipeline(dir, { brightestWithoutWcs: true, comparisonStars: false });
    const { points } = parsePhotometryCsv(fs.readFileSync(outputs[0].path, 'utf8'));
    expect(points).toHaveLength(2);
    const target = tanWorldToPixel(TARGET.ra, TARGET.dec, WCS);
    expect(run.logs.find((line) => line.text.startsWith('Frame 1/2'))!.text).toContain(`x=${target.x.toFixed(1)}`);
  });

  it('refuses a target outside the frame and a frame without a time', async () => {
    const files = writeFrames(true);
    const away = new AperturePhotometryPipeline(createTestContext(files, { name: 'Far', ra: 251, dec: 36 }).context);
    await expect(away.doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: false })).rejects.toThrow(/Far \(RA 251\.00000°, Dec 36\.00000°\) lies outside this frame/);

    const undated = path.join(dir, 'undated.fits');
    writeSyntheticFrame(undated, { width: 40, height: 40, stars: [{ x: 20, y: 20, flux: 5000 }], cards: WCS_CARDS });
    const noTime = new AperturePhotometryPipeline(createTestContext([undated], { name: 'T', ...TARGET }).context);
    await expect(noTime.doPipeline(dir, { brightestWithoutWcs: true, comparisonStars: false })).rejects.toThrow(/undated\.fits: no DATE-OBS or MJD-OBS/);
  });

  it('scales the aperture and sky annulus with the seeing, within bounds', () => {
    expect(apertureFor(4)).toEqual({ radius: 6, skyInner: 10, skyOuter: 16 });
    expect(apertureFor(1).radius).toBe(3);
    expect(apertureFor(40).radius).toBe(25);
    // The student's radii in FWHM, and in pixels as given.
    expect(apertureFor(4, { radius: 2, annulusInner: 4, annulusOuter: 6, unit: 'fwhm' })).toEqual({ radius: 8, skyInner: 16, skyOuter: 24 });
    expect(apertureFor(4, { radius: 5, annulusInner: 9, annulusOuter: 14, unit: 'px' })).toEqual({ radius: 5, skyInner: 9, skyOuter: 14 });
  });

  it("measures with the student's aperture in pixels and counts at most the comparison stars asked for", async () => {
    const frames = writeFrames(true);
    const params = testParams(AperturePhotometryPipeline, { apertureUnit: 'px', apertureRadius: '4.5', annulusInner: 8, annulusOuter: 13, comparisonCount: 1 });
    const run = createTestContext(frames, { name: 'Test star', ...TARGET });
    const outputs = await new AperturePhotometryPipeline(run.context).doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: true }, params);
    const [header, ...rows] = fs.readFileSync(outputs[1].path, 'utf8').trim().split('\n').map((line) => line.split(','));
    const column = (name: string) => rows.map((row) => row[header.indexOf(name)]);
    expect(column('aperture_px')).toEqual(['4.50', '4.50']);
    expect(column('sky_inner_px')).toEqual(['8.00', '8.00']);
    expect(column('sky_outer_px')).toEqual(['13.00', '13.00']);
    expect(column('comparisons')).toEqual(['1', '1']);

    // A smaller aperture leaves out some of the star's light: a fainter instrumental magnitude than the default's.
    const small = createTestContext(frames, { name: 'Test star', ...TARGET });
    const tiny = await new AperturePhotometryPipeline(small.context).doPipeline(fs.mkdtempSync(path.join(dir, 'tiny-')), { brightestWithoutWcs: false, comparisonStars: false }, { ...params, apertureRadius: 1.5 });
    const usual = createTestContext(frames, { name: 'Test star', ...TARGET });
    const whole = await new AperturePhotometryPipeline(usual.context).doPipeline(fs.mkdtempSync(path.join(dir, 'whole-')), { brightestWithoutWcs: false, comparisonStars: false });
    const magnitude = (file: string) => parsePhotometryCsv(fs.readFileSync(file, 'utf8')).points[0].magnitude!;
    expect(magnitude(tiny[0].path) - magnitude(whole[0].path)).toBeGreaterThan(0.1);
  });

  it('refuses a sky annulus that does not lie outside the aperture', async () => {
    const run = createTestContext(writeFrames(true), { name: 'Test star', ...TARGET });
    const params = testParams(AperturePhotometryPipeline, { apertureRadius: 3, annulusInner: 2.5 });
    const failure = new AperturePhotometryPipeline(run.context).doPipeline(dir, { brightestWithoutWcs: false, comparisonStars: false }, params);
    await expect(failure).rejects.toThrow(AsyncError);
    await expect(failure).rejects.toThrow('The sky annulus must start beyond the aperture: its inner radius (2.5) is not larger than the aperture radius (3)');
  });
});
