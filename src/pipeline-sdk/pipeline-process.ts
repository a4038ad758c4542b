/**
 * The base class a teacher extends to write a pipeline, and the types the portal's runner hands it.
 * Plain TypeScript: no framework imports, so a pipeline can be written and tested on its own.
 */
import type { PipelineParamSpecs, PipelineParamValues } from './pipeline-params';

export interface PipelineFlagSpec {
  default: boolean;
  longName: string;
}
export type PipelineFlagSpecs = Record<string, PipelineFlagSpec>;
export type PipelineFlagValues = Record<string, boolean>;

export interface PipelineInput {
  id: number;
  /** Absolute path of the stored file; read it, never change it. */
  path: string;
  originalName: string;
  sha256: string;
  productType: string;
}

export interface PipelineTargetInfo {
  id: number;
  name: string;
  type: 'sidereal' | 'non_sidereal';
  ra: number | null;
  dec: number | null;
}

export type OutputType = 'DataProduct' | 'ReducedDatum';

export interface PipelineOutput {
  path: string;
  outputType: OutputType;
  tag?: string;
  dataProductType?: string;
}

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/**
 * Pixel budgets for reading frames: one frame, and all the frames of a run together. The portal passes its
 * settings (PIPELINE_MAX_FRAME_PIXELS, PIPELINE_MAX_RUN_PIXELS); the builtins' FrameReader holds a run to them.
 */
export interface FrameLimits {
  maxFramePixels: number;
  maxRunPixels: number;
}

export interface PipelineContext {
  inputs: PipelineInput[];
  target: PipelineTargetInfo;
  log(level: LogLevel, text: string): void;
  setStatus(text: string): void;
  signal: AbortSignal;
  /** The entry's "options" from the pipeline config (checked at boot by the class's static checkOptions). */
  options?: Record<string, unknown>;
  /** Pixel budgets for the frames this run reads; the builtins' defaults when absent. */
  limits?: FrameLimits;
}

/*
 * `instanceof` for the SDK's classes also recognises objects made by another copy of this module (a teacher's plain
 * JS pipeline may require the compiled SDK in dist/ while the portal runs from its sources, e.g. under Jest): each
 * class marks its prototype with a registered symbol, and `instanceof` on the base class checks that mark.
 */
const BRANDS = {
  asyncError: Symbol.for('astro-edu-portal.pipelines.AsyncError'),
  cancelledError: Symbol.for('astro-edu-portal.pipelines.CancelledError'),
  pipelineProcess: Symbol.for('astro-edu-portal.pipelines.PipelineProcess'),
};

/** True when `value` inherits `brand` (from the base class's prototype, which itself does not count). */
function inheritsBrand(value: unknown, brand: symbol): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return brand in value && !Object.prototype.hasOwnProperty.call(value, brand);
}

function brandedInstanceOf(base: unknown, cls: unknown, brand: symbol, value: unknown): boolean {
  if (cls !== base) return Function.prototype[Symbol.hasInstance].call(cls, value);
  return inheritsBrand(value, brand);
}

/** A failure whose message is shown to the student as it is: say what went wrong and what to do. */
export class AsyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AsyncError';
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(AsyncError, this, BRANDS.asyncError, value);
  }
}
Object.defineProperty(AsyncError.prototype, BRANDS.asyncError, { value: true });

/** Thrown when the run was cancelled (or timed out) while the pipeline was working. */
export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(CancelledError, this, BRANDS.cancelledError, value);
  }
}
Object.defineProperty(CancelledError.prototype, BRANDS.cancelledError, { value: true });

/**
 * The base class of every pipeline. Subclass it, set the static fields and implement `doPipeline`; the portal
 * (or a test) constructs it with a context and calls `doPipeline(tmpdir, flags)` once.
 */
export abstract class PipelineProcess {
  /** Short machine name: letters, digits, _ and -. Used in run identifiers. */
  static shortName: string;
  /** File name endings this pipeline accepts, e.g. ['.fits', '.fits.gz']; [] accepts any file. */
  static allowedSuffixes: string[] = [];
  /** Boolean options the student can tick when starting a run. */
  static flags: PipelineFlagSpecs = {};
  /**
   * Typed values the student can set (numbers, choices, text; see pipeline-params.ts). A function of the config
   * entry's "options" when the defaults come from them (the timelapse's frame rate, say).
   */
  static params: PipelineParamSpecs | ((options: Record<string, unknown>) => PipelineParamSpecs) = {};
  static description = '';
  /** Bump it when the pipeline's results change; it is recorded with every run. */
  static version = '1';

  static [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(PipelineProcess, this, BRANDS.pipelineProcess, value);
  }

  readonly inputs: PipelineInput[];
  readonly target: PipelineTargetInfo;
  readonly signal: AbortSignal;
  /** Settings from the config entry's "options", e.g. a timelapse's format and frame rate. */
  readonly options: Record<string, unknown>;
  private currentStatus = '';

  constructor(protected readonly context: PipelineContext) {
    this.inputs = context.inputs;
    this.target = context.target;
    this.signal = context.signal;
    this.options = context.options ?? {};
  }

  /**
   * Does the work, writing files into `tmpdir` (deleted after the run), and returns the files to keep.
   * `params` holds every declared parameter's value, already checked (null: an optional one left empty); the
   * portal always passes it, a test may leave it out (`withDefaults(params)` fills in the defaults).
   * Throw an AsyncError for a failure the student should read.
   */
  abstract doPipeline(tmpdir: string, flags: PipelineFlagValues, params?: PipelineParamValues): Promise<PipelineOutput[]>;

  /** Every declared parameter's value: `params` as given, each one missing at its default (for this entry's options). */
  protected withDefaults(params: PipelineParamValues = {}): PipelineParamValues {
    const specs = paramSpecsOf(this.constructor as PipelineClass, this.options);
    return { ...Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, spec.default])), ...params };
  }

  /** Writes to the run's log: one log line per line of `message` (a final newline adds no empty line). */
  log(message: string, level: LogLevel = 'info'): void {
    const lines = String(message).split(/\r?\n/);
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) this.context.log(level, line);
  }

  /** Sets the short status text shown on the run's page ("Reading frame 3/5"; an "i/n" in it draws a progress bar). */
  updateStatus(text: string): void {
    this.currentStatus = text;
    this.context.setStatus(text);
  }

  /** Shows `text` as the status while `work` runs, then the status from before (even if `work` throws). */
  async withStatus<T>(text: string, work: () => Promise<T>): Promise<T> {
    const previous = this.currentStatus;
    this.updateStatus(text);
    try {
      return await work();
    } finally {
      this.updateStatus(previous);
    }
  }

  /** Throws a CancelledError when the run was cancelled or timed out; call it between steps of long work. */
  throwIfCancelled(): void {
    if (this.signal.aborted) throw new CancelledError();
  }
}
Object.defineProperty(PipelineProcess.prototype, BRANDS.pipelineProcess, { value: true });

/** A concrete pipeline class, with its static fields. */
export type PipelineClass = (new (context: PipelineContext) => PipelineProcess) & {
  shortName: string;
  allowedSuffixes: string[];
  flags: PipelineFlagSpecs;
  params?: PipelineParamSpecs | ((options: Record<string, unknown>) => PipelineParamSpecs);
  description: string;
  version: string;
  /** Checks a config entry's "options" at boot: returns (or throws) a message saying what is wrong, or nothing. */
  checkOptions?: (options: Record<string, unknown>) => string | void;
};

/** A class's parameter declarations for a config entry's options (`static params`, an object or a function of them). */
export function paramSpecsOf(pipelineClass: Pick<PipelineClass, 'params'>, options: Record<string, unknown> = {}): PipelineParamSpecs {
  const params = pipelineClass.params;
  return (typeof params === 'function' ? params(options) : params) ?? {};
}

/** Is `value` a class extending PipelineProcess (not PipelineProcess itself)? */
export function isPipelineClass(value: unknown): value is PipelineClass {
  return typeof value === 'function' && value.prototype instanceof PipelineProcess;
}

/** Case-insensitive suffix check ('.fits', '.fits.gz'); an empty list allows any file. */
export function hasAllowedSuffix(fileName: string, allowedSuffixes: string[]): boolean {
  if (!allowedSuffixes.length) return true;
  const lower = fileName.toLowerCase();
  return allowedSuffixes.some((suffix) => lower.endsWith(suffix.toLowerCase()));
}

const TRUE_WORDS = new Set(['true', 'on']);
const FALSE_WORDS = new Set(['false', 'off']);

/**
 * The flag values for a run: each flag's default, overridden by what was asked for. Values are booleans or the
 * strings 'true'/'false'/'on'/'off'; unknown flag names are refused with an Error naming them.
 * `sources[name]` is 'user' when the value asked for differs from the default (forms send every flag), else 'default'.
 */
export function resolveFlags(
  specs: PipelineFlagSpecs,
  requested: Record<string, unknown>,
): { values: PipelineFlagValues; sources: Record<string, 'default' | 'user'> } {
  const asked = requested ?? {};
  const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
  const unknown = Object.keys(asked).filter((name) => !has(specs, name));
  if (unknown.length) {
    const known = Object.keys(specs).join(', ') || 'none';
    throw new Error(`Unknown flag${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${known})`);
  }
  const values: PipelineFlagValues = {};
  const sources: Record<string, 'default' | 'user'> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (has(asked, name) && asked[name] !== undefined) {
      const raw = asked[name];
      const word = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
      const value = raw === true || (word !== undefined && TRUE_WORDS.has(word)) ? true : raw === false || (word !== undefined && FALSE_WORDS.has(word)) ? false : null;
      if (value === null) throw new Error(`Flag ${name} must be true or false, not ${JSON.stringify(raw)}`);
      values[name] = value;
      sources[name] = value === spec.default ? 'default' : 'user';
    } else {
      values[name] = spec.default;
      sources[name] = 'default';
    }
  }
  return { values, sources };
}
