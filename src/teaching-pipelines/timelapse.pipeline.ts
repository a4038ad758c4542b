import * as path from 'node:path';
import { stretchToUint8, zscale } from '../fits';
import { fitPixels } from '../imaging/fits-rendering';
import { AnimationFormat, animationFormatAvailable, GrayFrame, writeAnimation } from '../imaging';
import { PipelineParamSpecs, PipelineParamValues } from '../pipeline-sdk/pipeline-params';
import { AsyncError, PipelineFlagValues, PipelineOutput } from '../pipeline-sdk/pipeline-process';
import { centreCrop, FITS_SUFFIXES, FrameReader, observationStart, safeFileStem, sampledMedian } from './frames';
import { ThreadedPipeline } from './threaded-pipeline';

/** tom_education's defaults: an animated GIF at 10 frames per second, 500 pixels on its longest side. */
export const TIMELAPSE_DEFAULTS = { format: 'gif' as AnimationFormat, fps: 10, size: 500 };
const FORMATS: AnimationFormat[] = ['gif', 'webp', 'mp4'];
const FORMAT_LABELS: Record<AnimationFormat, string> = { gif: 'Animated GIF', webp: 'Animated WebP', mp4: 'MP4 video' };
const CROP_FRACTION = 0.5;
const READ_CONCURRENCY = 3;

interface TimelapseOptions {
  format: AnimationFormat;
  fps: number;
  size: number;
}

interface PreparedFrame {
  name: string;
  date: Date | undefined;
  index: number;
  small: { data: Float32Array | Float64Array; width: number; height: number };
  limits: { z1: number; z2: number };
  background: number;
}

/**
 * An animation of a night's frames in time order (DATE-OBS of any HDU), each zscale-stretched, optionally with
 * the sky background of every frame brought to the first frame's level (so that changes in the sky do not
 * flicker and a variable star's changes show) and cropped to the centre.
 */
export class TimelapsePipeline extends ThreadedPipeline {
  static shortName = 'timelapse';
  static allowedSuffixes = FITS_SUFFIXES;
  static flags = {
    normaliseBackground: { default: false, longName: 'Normalise the background: same sky level and display range in every frame' },
    crop: { default: false, longName: 'Crop to the centre (half the width and height)' },
  };
  static description = 'Makes an animation (GIF, WebP or MP4) of the frames in the order they were taken';
  /** What a student may change; the config entry's options are the defaults. */
  static params = (options: Record<string, unknown>): PipelineParamSpecs => {
    const defaults = { ...TIMELAPSE_DEFAULTS, ...(options as Partial<TimelapseOptions>) };
    return {
      format: {
        kind: 'choice',
        default: defaults.format,
        longName: 'Animation format',
        help: 'GIF plays everywhere; WebP is smaller; MP4 is a video file.',
        options: FORMATS.filter((format) => format === defaults.format || animationFormatAvailable(format).available).map((format) => ({
          value: format,
          label: FORMAT_LABELS[format],
        })),
      },
      fps: { kind: 'integer', default: Math.round(defaults.fps), min: 1, max: 60, unit: 'frames/s', longName: 'Frames per second', help: 'Higher plays the night faster.' },
      size: { kind: 'integer', default: defaults.size, min: 16, max: 4096, unit: 'px', longName: 'Longest side', help: 'The animation is scaled so its longest side is this many pixels.' },
    };
  };
  static version = '1';

  static checkOptions(options: Record<string, unknown>): string | void {
    const unknown = Object.keys(options).filter((key) => !['format', 'fps', 'size'].includes(key));
    if (unknown.length) return `unknown option(s) ${unknown.join(', ')} (known: format, fps, size)`;
    const { format, fps, size } = { ...TIMELAPSE_DEFAULTS, ...options } as Record<string, unknown>;
    if (!FORMATS.includes(format as AnimationFormat)) return `format must be one of ${FORMATS.join(', ')}, not ${JSON.stringify(format)}`;
    if (typeof fps !== 'number' || !(fps >= 1 && fps <= 60)) return 'fps must be a number from 1 to 60';
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 16 || size > 4096) return 'size must be a whole number of pixels from 16 to 4096';
    const availability = animationFormatAvailable(format as AnimationFormat);
    if (!availability.available) return `format ${format} cannot be written on this machine: ${availability.reason}`;
  }

  /** The config's options, then the run's parameters. */
  private settings(params: PipelineParamValues): TimelapseOptions {
    const given = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== null));
    return { ...TIMELAPSE_DEFAULTS, ...(this.options as Partial<TimelapseOptions>), ...(given as Partial<TimelapseOptions>) };
  }

  async work(tmpdir: string, flags: PipelineFlagValues, params: PipelineParamValues): Promise<PipelineOutput[]> {
    const settings = this.settings(params);
    const total = this.inputs.length;
    if (total < 2) throw new AsyncError('A timelapse needs at least two frames: tick more of them');
    const reader = new FrameReader(this.context.limits);
    await reader.checkRun(this.inputs);

    // Frames are read a few at a time: gzip inflation runs on libuv's threads, so both cores are used.
    let started = 0;
    const prepared: PreparedFrame[] = new Array(total);
    const sizes: Array<{ width: number; height: number }> = new Array(total);
    let failed = false;
    const work = async () => {
      while (started < total && !failed) {
        const index = started++;
        const input = this.inputs[index];
        this.throwIfCancelled();
        this.updateStatus(`Processing frame ${index + 1}/${total}`);
        this.log(`Processing frame ${index + 1}/${total}: ${input.originalName}`);
        const image = await reader.read(input);
        sizes[index] = { width: image.width, height: image.height };
        const mismatch = sizes.findIndex((size) => size && (size.width !== image.width || size.height !== image.height));
        if (mismatch >= 0) {
          const [a, b] = mismatch < index ? [index, mismatch] : [mismatch, index];
          throw new AsyncError(
            `${this.inputs[a].originalName} is ${sizes[a].width}×${sizes[a].height} pixels but ${this.inputs[b].originalName} is ` +
              `${sizes[b].width}×${sizes[b].height}; all frames of a timelapse must be the same size`,
          );
        }
        // The date may sit in the primary header while the image is in an extension: look in every header.
        const date = observationStart([image.header, ...(image.hduIndex > 0 ? await reader.headers(input) : [])]);
        const region = flags.crop ? centreCrop(image.data, image.width, image.height, CROP_FRACTION) : image;
        prepared[index] = {
          name: input.originalName,
          date,
          index,
          limits: zscale(region.data, region.width, region.height),
          background: flags.normaliseBackground ? sampledMedian(region.data) : 0,
          small: fitPixels(region.data, region.width, region.height, settings.size),
        };
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(READ_CONCURRENCY, total) }, () =>
        work().catch((error) => {
          failed = true; // the other readers stop after their current frame
          throw error;
        }),
      ),
    );
    const frames = [...prepared];

    const undated = frames.filter((frame) => !frame.date);
    if (undated.length) {
      this.log(`No DATE-OBS or MJD-OBS in ${undated.map((f) => f.name).join(', ')}: these go last, in the order they were ticked`, 'warning');
    }
    frames.sort((a, b) => (a.date && b.date ? a.date.getTime() - b.date.getTime() : a.date ? -1 : b.date ? 1 : a.index - b.index));

    this.throwIfCancelled();
    const reference = frames[0];
    const rendered: GrayFrame[] = frames.map((frame) => {
      let { data } = frame.small;
      let limits = frame.limits;
      if (flags.normaliseBackground) {
        // Shift this frame's sky to the first frame's and show every frame with the first frame's range.
        const offset = reference.background - frame.background;
        if (Number.isFinite(offset) && offset !== 0) data = data.map((value) => value + offset) as typeof data;
        limits = reference.limits;
      }
      const pixels = stretchToUint8(data, frame.small.width, frame.small.height, { ...limits, mapping: 'linear', flipY: true });
      return { width: frame.small.width, height: frame.small.height, pixels };
    });

    const stem = safeFileStem(`${this.target.name}_timelapse_${(reference.date ?? new Date()).toISOString().slice(0, 10)}`);
    const file = path.join(tmpdir, `${stem}.${settings.format}`);
    const written = await this.withStatus(`Writing the ${settings.format.toUpperCase()}`, () =>
      writeAnimation(rendered, file, { format: settings.format, fps: settings.fps, size: settings.size }),
    );
    this.log(`Wrote ${path.basename(file)}: ${written.frameCount} frames, ${written.width}×${written.height} px, ${settings.fps} fps`);
    return [{ path: file, outputType: 'DataProduct', dataProductType: 'timelapse', tag: 'timelapse' }];
  }
}
