import * as fs from 'node:fs';
import * as path from 'node:path';
import { toCsv } from '../pipeline-sdk';
import { TEXT_RULES } from '../pipeline-sdk';
import { CelestialWcs, equatorialWcs, FitsImage, noRaDecReason, parseWcs, Wcs } from '../fits';
import { aperturePhotometry, centroid, detectSources, differentialMagnitude, estimateFwhm, findBrightestSource, frameShift } from '../photometry';
import { PipelineParamSpecs, PipelineParamValues } from '../pipeline-sdk/pipeline-params';
import { AsyncError, PipelineFlagValues, PipelineOutput } from '../pipeline-sdk/pipeline-process';
import { saturationLevel } from './inspect.pipeline';
import { FITS_SUFFIXES, FrameReader, keyword, observationMidpoint, observationStart } from './frames';
import { ThreadedPipeline } from './threaded-pipeline';

const DEFAULT_FWHM = 4;
/** How far (pixels) a centroid may move the WCS position before we distrust it and keep the WCS position. */
const MAX_CENTROID_SHIFT = 5;

interface Aperture {
  radius: number;
  skyInner: number;
  skyOuter: number;
}

interface Comparison {
  /** Where it is: by RA/Dec when the frames have a WCS, else as an offset from the target in pixels. */
  ra?: number;
  dec?: number;
  dx: number;
  dy: number;
}

/** The first frame, against which later frames without a WCS are aligned. */
interface ReferenceFrame {
  image: FitsImage;
  target: { x: number; y: number };
}

interface FrameResult {
  file: string;
  time: Date;
  x: number;
  y: number;
  fwhm: number;
  aperture: Aperture;
  sky: number;
  flux: number;
  fluxError: number;
  magnitude: number;
  magnitudeError: number;
  differential?: { magnitude: number; error: number; comparisons: number };
  flags: string[];
}

/** The student's aperture: radius and sky annulus (inner and outer radius), in FWHM of the first frame or in pixels. */
export interface ApertureChoice {
  radius: number;
  annulusInner: number;
  annulusOuter: number;
  unit: 'fwhm' | 'px';
}

export const DEFAULT_APERTURE: ApertureChoice = { radius: 1.5, annulusInner: 2.5, annulusOuter: 4, unit: 'fwhm' };

/**
 * Aperture and sky annulus for the seeing. In pixels: as given. In FWHM (the default: radius 1.5, annulus from 2.5
 * to 4 FWHM): the radius is kept within 3 to 25 px, and the annulus keeps at least 3 px of gap and 5 px of width,
 * so a sharp frame still has sky pixels to measure.
 */
export function apertureFor(fwhm: number, choice: ApertureChoice = DEFAULT_APERTURE): Aperture {
  if (choice.unit === 'px') return { radius: choice.radius, skyInner: choice.annulusInner, skyOuter: choice.annulusOuter };
  const radius = Math.min(25, Math.max(3, choice.radius * fwhm));
  const skyInner = radius + Math.max(3, (choice.annulusInner - choice.radius) * fwhm);
  return { radius, skyInner, skyOuter: skyInner + Math.max(5, (choice.annulusOuter - choice.annulusInner) * fwhm) };
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '');

/**
 * A light curve from the student's own frames: for each frame, the target's position (from its RA/Dec through
 * the WCS, or the brightest source near the centre), aperture photometry with a local sky annulus, and an
 * instrumental magnitude (-2.5 log10 of the flux in electrons per second, plus 25) with its error. Optionally the
 * same for a few comparison stars, giving differential magnitudes that cancel changes in sky transparency.
 */
export class AperturePhotometryPipeline extends ThreadedPipeline {
  static shortName = 'aperture_photometry';
  static allowedSuffixes = FITS_SUFFIXES;
  static flags = {
    brightestWithoutWcs: { default: false, longName: 'Without a WCS, measure the brightest source near the centre' },
    comparisonStars: { default: false, longName: 'Also measure comparison stars and report differential magnitudes' },
  };
  static description = 'Measures the target in each frame (aperture photometry with a sky annulus) and adds the points to the light curve';
  static params: PipelineParamSpecs = {
    apertureRadius: {
      kind: 'number',
      default: DEFAULT_APERTURE.radius,
      min: 0.1,
      max: 100,
      longName: 'Aperture radius',
      help: 'How far from the star its light is counted. Too small loses light; too large adds sky noise. Try 1 to 3 FWHM.',
    },
    apertureUnit: {
      kind: 'choice',
      default: DEFAULT_APERTURE.unit,
      longName: 'Radii measured in',
      options: [
        { value: 'fwhm', label: "FWHM of the first frame's star (follows the seeing)" },
        { value: 'px', label: 'pixels' },
      ],
    },
    annulusInner: { kind: 'number', default: DEFAULT_APERTURE.annulusInner, min: 0.1, max: 200, longName: 'Sky annulus: inner radius', help: 'The sky is measured in a ring around the star, beyond the aperture.' },
    annulusOuter: { kind: 'number', default: DEFAULT_APERTURE.annulusOuter, min: 0.2, max: 300, longName: 'Sky annulus: outer radius' },
    comparisonCount: {
      kind: 'integer',
      default: 5,
      min: 1,
      max: 10,
      longName: 'Comparison stars (at most)',
      help: 'With comparison stars ticked: how many bright, unsaturated stars to measure against.',
    },
  };
  static version = '1';

  async work(tmpdir: string, flags: PipelineFlagValues, params: PipelineParamValues): Promise<PipelineOutput[]> {
    const choice: ApertureChoice = {
      radius: Number(params.apertureRadius),
      annulusInner: Number(params.annulusInner),
      annulusOuter: Number(params.annulusOuter),
      unit: params.apertureUnit === 'px' ? 'px' : 'fwhm',
    };
    if (!(choice.annulusInner > choice.radius)) {
      throw new AsyncError(`The sky annulus must start beyond the aperture: its inner radius (${choice.annulusInner}) is not larger than the aperture radius (${choice.radius})`);
    }
    if (!(choice.annulusOuter > choice.annulusInner)) {
      throw new AsyncError(`The sky annulus's outer radius (${choice.annulusOuter}) must be larger than its inner radius (${choice.annulusInner})`);
    }
    const comparisonCount = Number(params.comparisonCount);
    const total = this.inputs.length;
    const results: FrameResult[] = [];
    let comparisons: Comparison[] | null = null;
    let filterName: string | undefined;
    let reference: ReferenceFrame | null = null;
    let fixedAperture: { fwhm: number; aperture: Aperture } | null = null;

    // In time order, so that "the first frame" (where stars are chosen) is the first one taken.
    const frames = new FrameReader(this.context.limits);
    await frames.checkRun(this.inputs);
    const dated = await Promise.all(this.inputs.map(async (input) => ({ input, start: observationStart(await frames.headers(input)) })));
    dated.sort((a, b) => (a.start?.getTime() ?? Infinity) - (b.start?.getTime() ?? Infinity));
    for (const [index, { input }] of dated.entries()) {
      this.throwIfCancelled();
      this.updateStatus(`Measuring frame ${index + 1}/${total}`);
      const image = await frames.read(input);
      const headers = [image.header, ...(image.hduIndex > 0 ? await frames.headers(input) : [])];
      const time = observationMidpoint(headers);
      if (!time) throw new AsyncError(`${input.originalName}: no DATE-OBS or MJD-OBS in the header, so the frame has no time for the light curve`);
      const filter = keyword(headers, 'FILTER');
      filterName ??= typeof filter === 'string' && filter.trim() ? filter.trim() : 'unfiltered';

      const headerWcs = parseWcs(image.header.cards);
      const wcs = equatorialWcs(headerWcs);
      let shift = { dx: 0, dy: 0 };
      if (reference && !wcs) {
        if (image.width !== reference.image.width || image.height !== reference.image.height) {
          throw new AsyncError(`${input.originalName} is ${image.width}×${image.height} pixels but the first frame is ${reference.image.width}×${reference.image.height}; without a WCS the frames must match to be aligned`);
        }
        const found = frameShift(reference.image, image);
        if (!found) throw new AsyncError(`${input.originalName}: could not line this frame up with the first one (too few stars in common); without a WCS the frames must overlap`);
        shift = found;
      }
      const position: { x: number; y: number } = reference && !wcs ? this.follow(image, reference.target, shift) : this.locateTarget(image, wcs, headerWcs, input.originalName, flags);
      reference ??= { image, target: position };
      // One aperture for the whole series, sized on the first frame: magnitudes from apertures of different sizes
      // would differ by the light each leaves out, which is not what a light curve should show.
      if (!fixedAperture) {
        const seeing = estimateFwhm(image, [position]);
        const firstFwhm = seeing && Number.isFinite(seeing.fwhm) && seeing.fwhm > 0.5 ? seeing.fwhm : DEFAULT_FWHM;
        fixedAperture = { fwhm: firstFwhm, aperture: apertureFor(firstFwhm, choice) };
      }
      const { fwhm, aperture } = fixedAperture;
      const gainValue = keyword(headers, 'GAIN') ?? keyword(headers, 'EGAIN');
      const gain = typeof gainValue === 'number' && gainValue > 0 ? gainValue : 1;
      const exposure = Number(keyword(headers, 'EXPTIME') ?? keyword(headers, 'EXPOSURE') ?? 0);
      // Per second, so frames of different exposure times give comparable magnitudes.
      const zeroPoint = 25 + (exposure > 0 ? 2.5 * Math.log10(exposure) : 0);
      const measure = (x: number, y: number) => aperturePhotometry(image, { x, y, ...aperture, gain, zeroPoint });
      const target = measure(position.x, position.y);
      if (!(target.flux > 0)) {
        throw new AsyncError(`${input.originalName}: no light from the target above the sky at x=${position.x.toFixed(1)}, y=${position.y.toFixed(1)} (is it in this frame?)`);
      }

      const result: FrameResult = {
        file: input.originalName,
        time,
        x: position.x,
        y: position.y,
        fwhm,
        aperture,
        sky: target.sky,
        flux: target.flux,
        fluxError: target.fluxError,
        magnitude: target.instrumentalMagnitude,
        magnitudeError: target.magnitudeError,
        flags: target.flags,
      };

      if (flags.comparisonStars) {
        comparisons ??= this.chooseComparisons(image, wcs, position, aperture, saturationLevel(image, headers), comparisonCount);
        const measured = comparisons
          .map((star) => {
            const guess =
              star.ra !== undefined && wcs
                ? wcs.worldToPix(star.ra, star.dec!)
                : { x: reference!.target.x + star.dx + shift.dx, y: reference!.target.y + star.dy + shift.dy };
            const refined = centroid(image, guess.x, guess.y, { box: 7 });
            const at = refined && Math.hypot(refined.x - guess.x, refined.y - guess.y) < MAX_CENTROID_SHIFT ? refined : guess;
            return measure(at.x, at.y);
          })
          .filter((star) => star.flux > 0 && !star.flags.includes('off-image'));
        if (!measured.length) throw new AsyncError(`${input.originalName}: none of the comparison stars could be measured`);
        const differential = differentialMagnitude(
          { instrumentalMagnitude: target.instrumentalMagnitude, magnitudeError: target.magnitudeError },
          measured.map((star) => ({ instrumentalMagnitude: star.instrumentalMagnitude, magnitudeError: star.magnitudeError })),
        );
        result.differential = { magnitude: differential.magnitude, error: differential.error, comparisons: measured.length };
      }

      results.push(result);
      const moved = index > 0 && !wcs ? ` (shift ${shift.dx.toFixed(1)}, ${shift.dy.toFixed(1)} px from the first frame)` : '';
      this.log(
        `Frame ${index + 1}/${total} ${input.originalName}: target at x=${position.x.toFixed(1)} y=${position.y.toFixed(1)}${moved}, ` +
          `FWHM ${fwhm.toFixed(1)} px, aperture ${aperture.radius.toFixed(1)} px, sky ${target.sky.toFixed(1)}, ` +
          `mag ${target.instrumentalMagnitude.toFixed(3)} ± ${target.magnitudeError.toFixed(3)}` +
          (result.differential ? `, differential ${result.differential.magnitude.toFixed(3)} ± ${result.differential.error.toFixed(3)} (${result.differential.comparisons} comparison stars)` : '') +
          (target.flags.length ? ` [${target.flags.join(', ')}]` : ''),
      );
    }

    this.throwIfCancelled();
    results.sort((a, b) => a.time.getTime() - b.time.getTime());
    // The series' filter is the header's FILTER plus " differential" / " instrumental", shortened to the light
    // curve's filter limit (the text rule), so a long FILTER card cannot fail the run.
    const series = (kind: string) => `${Array.from(filterName ?? 'unfiltered').slice(0, TEXT_RULES.filter.max - kind.length - 1).join('').trim()} ${kind}`;
    const points: Array<Array<string | number>> = [];
    for (const r of results) {
      // With comparison stars the light curve gets the differential magnitudes only: instrumental ones (about 17)
      // and differential ones (about 0) on one axis would flatten both; the details CSV keeps the instrumental.
      if (!flags.comparisonStars) points.push([r.time.toISOString(), fixed(r.magnitude, 4), fixed(r.magnitudeError, 4), series('instrumental')]);
      if (r.differential) points.push([r.time.toISOString(), fixed(r.differential.magnitude, 4), fixed(r.differential.error, 4), series('differential')]);
    }
    const pointsFile = path.join(tmpdir, 'aperture_photometry.csv');
    await fs.promises.writeFile(pointsFile, toCsv(['time', 'magnitude', 'error', 'filter'], points));

    const detailColumns = ['file', 'time', 'x', 'y', 'fwhm_px', 'aperture_px', 'sky_inner_px', 'sky_outer_px', 'sky', 'flux', 'flux_error', 'magnitude', 'magnitude_error', 'differential_magnitude', 'differential_error', 'comparisons', 'flags'];
    const details = results.map((r) => [
      r.file, r.time.toISOString(), fixed(r.x, 2), fixed(r.y, 2), fixed(r.fwhm, 2), fixed(r.aperture.radius, 2), fixed(r.aperture.skyInner, 2),
      fixed(r.aperture.skyOuter, 2), fixed(r.sky, 3), fixed(r.flux, 2), fixed(r.fluxError, 2), fixed(r.magnitude, 4), fixed(r.magnitudeError, 4),
      r.differential ? fixed(r.differential.magnitude, 4) : '', r.differential ? fixed(r.differential.error, 4) : '', r.differential?.comparisons ?? '',
      r.flags.join(' '),
    ]);
    const detailsFile = path.join(tmpdir, 'aperture_photometry_details.csv');
    await fs.promises.writeFile(detailsFile, toCsv(detailColumns, details));
    this.log(`Measured ${results.length} frame(s); the points go to the light curve as "${series(flags.comparisonStars ? 'differential' : 'instrumental')}"`);
    return [
      { path: pointsFile, outputType: 'ReducedDatum' },
      { path: detailsFile, outputType: 'DataProduct', dataProductType: 'other', tag: 'aperture_photometry' },
    ];
  }

  /** Where the target chosen on the first frame is on a later frame without a WCS: shifted, then centroided. */
  private follow(image: FitsImage, first: { x: number; y: number }, shift: { dx: number; dy: number }): { x: number; y: number } {
    const guess = { x: first.x + shift.dx, y: first.y + shift.dy };
    const refined = centroid(image, guess.x, guess.y, { box: 7 });
    return refined && Math.hypot(refined.x - guess.x, refined.y - guess.y) < 2 ? refined : guess;
  }

  /** The target's pixel position in this frame, or an AsyncError saying what the student can do. */
  private locateTarget(image: FitsImage, wcs: CelestialWcs | null, headerWcs: Wcs | null, name: string, flags: PipelineFlagValues): { x: number; y: number } {
    const { ra, dec } = this.target;
    if (wcs && ra !== null && dec !== null) {
      const guess = wcs.worldToPix(ra, dec);
      if (!(guess.x >= 0.5 && guess.x <= image.width + 0.5 && guess.y >= 0.5 && guess.y <= image.height + 0.5)) {
        throw new AsyncError(`${name}: ${this.target.name} (RA ${ra.toFixed(5)}°, Dec ${dec.toFixed(5)}°) lies outside this frame (x=${guess.x.toFixed(0)}, y=${guess.y.toFixed(0)})`);
      }
      const refined = centroid(image, guess.x, guess.y, { box: 9 });
      return refined && Math.hypot(refined.x - guess.x, refined.y - guess.y) < MAX_CENTROID_SHIFT ? refined : guess;
    }
    if (flags.brightestWithoutWcs) {
      // Chosen once, on the first frame; later frames follow it by their shift (see follow()).
      const centre = { x: (image.width + 1) / 2, y: (image.height + 1) / 2 };
      const found = findBrightestSource(image, { ...centre, radius: Math.min(image.width, image.height) / 4 });
      if (!found) throw new AsyncError(`${name}: no source found near the centre of the frame`);
      return centroid(image, found.x, found.y, { box: 9 }) ?? found;
    }
    const why = wcs ? `cannot be used: ${this.target.name} has no RA/Dec` : headerWcs ? `has a WCS without RA/Dec (${noRaDecReason(headerWcs)})` : 'has no WCS';
    throw new AsyncError(`${name} ${why}, so the target cannot be found by its position. Tick “${AperturePhotometryPipeline.flags.brightestWithoutWcs.longName}” to measure the brightest source near the centre instead.`);
  }

  /** Up to `count` bright, unsaturated, isolated stars away from the target, chosen on the first frame. */
  private chooseComparisons(image: FitsImage, wcs: CelestialWcs | null, target: { x: number; y: number }, aperture: Aperture, saturation: number | null, count: number): Comparison[] {
    const margin = aperture.skyOuter + 2;
    const candidates = detectSources(image, { threshold: 5, maxSources: 60, border: Math.ceil(margin) })
      .filter((source) => Math.hypot(source.x - target.x, source.y - target.y) > 2 * aperture.skyOuter)
      .filter((source) => saturation === null || source.peak < 0.8 * saturation);
    const chosen: Comparison[] = [];
    for (const source of candidates) {
      if (chosen.length >= count) break;
      const star: Comparison = { dx: source.x - target.x, dy: source.y - target.y };
      if (wcs) Object.assign(star, wcs.pixToWorld(source.x, source.y));
      chosen.push(star);
    }
    if (!chosen.length) throw new AsyncError('No comparison stars found: no bright, unsaturated stars away from the target in the first frame');
    this.log(`Comparison stars: ${chosen.length}, chosen on the first frame`);
    return chosen;
  }
}
