import * as fs from 'node:fs';
import * as path from 'node:path';
import { toCsv } from '../pipeline-sdk';
import { equatorialWcs, FitsImage, headerValue, imageStatistics, parseWcs } from '../fits';
import { writePng } from '../imaging';
import { countSaturated, detectSources, estimateFwhm } from '../photometry';
import { renderFrame } from '../imaging/fits-rendering';
import { PipelineParamSpecs, PipelineParamValues } from '../pipeline-sdk/pipeline-params';
import { PipelineFlagValues, PipelineOutput } from '../pipeline-sdk/pipeline-process';
import { exposureSeconds, FITS_SUFFIXES, FrameReader, keyword, observationStart, safeFileStem } from './frames';
import { ThreadedPipeline } from './threaded-pipeline';

export const INSPECT_COLUMNS = [
  'file', 'hdu', 'object', 'filter', 'exptime', 'date_obs', 'width', 'height', 'bitpix', 'wcs', 'center_ra', 'center_dec',
  'min', 'max', 'mean', 'median', 'stddev', 'saturation_level', 'saturated_pixels', 'fwhm_px', 'stars_measured',
] as const;
type InspectRow = Record<(typeof INSPECT_COLUMNS)[number], string | number | null>;

const PREVIEW_SIDE = 800;
/**
 * Stars for the seeing estimate are looked for in at most the central square of this side: 40 stars are found in
 * far less, and searching a whole 4096² frame would cost the worker two more frame-sized arrays (the worker aims to peak under 4× the frame).
 */
export const SEEING_REGION_SIDE = 1024;

/** The central SEEING_REGION_SIDE square of an image (the whole image when it is smaller). */
export function seeingRegion(width: number, height: number) {
  const x0 = Math.max(1, Math.floor((width - SEEING_REGION_SIDE) / 2) + 1);
  const y0 = Math.max(1, Math.floor((height - SEEING_REGION_SIDE) / 2) + 1);
  return { x0, y0, x1: Math.min(width, x0 + SEEING_REGION_SIDE - 1), y1: Math.min(height, y0 + SEEING_REGION_SIDE - 1) };
}

/**
 * The level at which the detector saturates: SATURATE (or SATLEVEL) from the header, else the largest value an
 * integer image can hold (65535 for unsigned 16-bit); null for floating-point images without the keyword.
 */
export function saturationLevel(image: FitsImage, headers: Array<{ cards: FitsImage['header']['cards'] }>): number | null {
  const declared = keyword(headers, 'SATURATE') ?? keyword(headers, 'SATLEVEL');
  if (typeof declared === 'number' && Number.isFinite(declared)) return declared;
  if (image.bitpix < 0) return null;
  const bzero = Number(headerValue(image.header.cards, 'BZERO') ?? 0);
  const bscale = Number(headerValue(image.header.cards, 'BSCALE') ?? 1);
  const rawMax = image.bitpix === 8 ? 255 : 2 ** (image.bitpix - 1) - 1;
  return bzero + bscale * rawMax;
}

const round = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

/** A first look at each frame: what the header says, pixel statistics, saturation and a rough seeing. */
export class InspectPipeline extends ThreadedPipeline {
  static shortName = 'inspect';
  static allowedSuffixes = FITS_SUFFIXES;
  static flags = {};
  static description = 'Per frame: header summary, pixel statistics, saturated pixels, seeing (FWHM); a table and a preview image';
  static params: PipelineParamSpecs = {
    saturation: {
      kind: 'number',
      default: null,
      min: 0,
      unit: 'ADU',
      longName: 'Saturation level',
      help: "Leave empty to use the header's SATURATE (or the largest value the image type holds); set it when you know your camera's level.",
    },
  };
  static version = '1';

  async work(tmpdir: string, _flags: PipelineFlagValues, params: PipelineParamValues): Promise<PipelineOutput[]> {
    const saturationOverride = typeof params.saturation === 'number' ? params.saturation : null;
    const rows: InspectRow[] = [];
    const previewNames = new Set<string>();
    const outputs: PipelineOutput[] = [];
    const total = this.inputs.length;
    const frames = new FrameReader(this.context.limits);
    await frames.checkRun(this.inputs);
    for (const [index, input] of this.inputs.entries()) {
      this.throwIfCancelled();
      this.updateStatus(`Inspecting frame ${index + 1}/${total}`);
      const image = await frames.read(input);
      const headers = [image.header, ...(image.hduIndex > 0 ? await frames.headers(input) : [])];
      const stats = imageStatistics(image.data);
      const wcs = parseWcs(image.header.cards);
      const centre = equatorialWcs(wcs)?.pixToWorld((image.width + 1) / 2, (image.height + 1) / 2) ?? null;
      const level = saturationOverride ?? saturationLevel(image, headers);
      const saturated = level === null ? null : countSaturated(image, level);
      const sources = detectSources(image, { threshold: 5, maxSources: 40, region: seeingRegion(image.width, image.height) }).filter((source) => level === null || source.peak < level * 0.9);
      const seeing = sources.length ? estimateFwhm(image, sources) : null;
      const date = observationStart(headers);
      const row: InspectRow = {
        file: input.originalName,
        hdu: image.hduIndex,
        object: (keyword(headers, 'OBJECT') as string | undefined) ?? null,
        filter: (keyword(headers, 'FILTER') as string | undefined) ?? null,
        exptime: exposureSeconds(headers) || null,
        date_obs: date ? date.toISOString() : null,
        width: image.width,
        height: image.height,
        bitpix: image.bitpix,
        wcs: !wcs ? 'none' : wcs.celestial ? 'celestial' : `not celestial (${wcs.ctype.join(', ')})`,
        center_ra: round(centre?.ra, 6),
        center_dec: round(centre?.dec, 6),
        min: round(stats.min, 4),
        max: round(stats.max, 4),
        mean: round(stats.mean, 4),
        median: round(stats.median, 4),
        stddev: round(stats.stdDev, 4),
        saturation_level: level,
        saturated_pixels: saturated,
        fwhm_px: round(seeing?.fwhm, 2),
        stars_measured: seeing?.measured ?? 0,
      };
      rows.push(row);
      this.log(
        `${input.originalName}: ${image.width}×${image.height}, median ${row.median}, ` +
          `${saturated === null ? 'no saturation level known' : `${saturated} saturated pixel(s)`}, ` +
          `FWHM ${row.fwhm_px === null ? 'not measured (no stars found)' : `${row.fwhm_px} px from ${row.stars_measured} star(s)`}, WCS ${row.wcs}`,
      );
      let stem = safeFileStem(input.originalName.replace(/\.(fits?|fts)(\.gz|\.fz)?$|\.fz$/i, ''));
      if (previewNames.has(stem)) stem = `${stem}_${index + 1}`;
      previewNames.add(stem);
      const preview = path.join(tmpdir, `${stem}_preview.png`);
      await writePng(renderFrame(image, { maxSide: PREVIEW_SIDE }), preview, { maxSide: PREVIEW_SIDE });
      outputs.push({ path: preview, outputType: 'DataProduct', dataProductType: 'image', tag: 'inspect_preview' });
    }
    this.throwIfCancelled();
    const csv = path.join(tmpdir, 'inspect.csv');
    // OBJECT and FILTER come from the frames' headers as written: the CSV writer keeps formulas from running.
    await fs.promises.writeFile(csv, toCsv(INSPECT_COLUMNS, rows.map((row) => INSPECT_COLUMNS.map((column) => row[column]))));
    const json = path.join(tmpdir, 'inspect.json');
    await fs.promises.writeFile(json, JSON.stringify({ frames: rows }, null, 2) + '\n');
    this.log(`Wrote inspect.csv and inspect.json (${rows.length} frame(s)) and ${outputs.length} preview(s)`);
    return [
      { path: csv, outputType: 'DataProduct', dataProductType: 'other', tag: 'inspect' },
      { path: json, outputType: 'DataProduct', dataProductType: 'other', tag: 'inspect' },
      ...outputs,
    ];
  }
}
