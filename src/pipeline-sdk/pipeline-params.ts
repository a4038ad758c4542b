/**
 * Typed parameters of a pipeline, beside its on/off flags: whole numbers, numbers, a choice among options, or a
 * line of text, each with a default, a long name and help. Declared by a class (`static params`) or a config entry;
 * checked once at boot (`paramSpecProblems`) and on every run (`resolveParams`). Pure: no framework imports.
 */
import { checkText, TEXT_RULES } from '../common/text';

interface ParamSpecBase {
  /** What the form shows beside the input. */
  longName: string;
  /** One or two sentences under the input: what the value changes, and what to try. */
  help?: string;
}

export interface NumberParamSpec extends ParamSpecBase {
  kind: 'integer' | 'number';
  /** `null`: optional, no value unless the student gives one. */
  default: number | null;
  min?: number;
  max?: number;
  /** Values go in steps of this from `min` (or from 0). */
  step?: number;
  /** Shown after the input: "px", "frames/s". */
  unit?: string;
}

export interface ChoiceOption {
  value: string;
  label: string;
}

export interface ChoiceParamSpec extends ParamSpecBase {
  kind: 'choice';
  default: string;
  options: ChoiceOption[];
}

export interface TextParamSpec extends ParamSpecBase {
  kind: 'text';
  /** `null`: optional. */
  default: string | null;
  /** A regular expression the whole value must match. */
  pattern?: string;
  /** At most this many characters (and never more than the text rule's limit). */
  maxLength?: number;
}

export type PipelineParamSpec = NumberParamSpec | ChoiceParamSpec | TextParamSpec;
export type PipelineParamSpecs = Record<string, PipelineParamSpec>;
export type PipelineParamValue = number | string | null;
export type PipelineParamValues = Record<string, PipelineParamValue>;
/** Where a run's value came from: the default, a preset, or the student (or the API / CLI caller). */
export type ParamSource = 'default' | 'preset' | 'user';

export const PARAM_KINDS = ['integer', 'number', 'choice', 'text'] as const;
/** The longest text value any parameter may take. */
export const PARAM_TEXT_MAX = TEXT_RULES.paramValue.max;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** A run's parameter values refused, with one message per parameter name. */
export class ParamsError extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(Object.entries(fields).map(([name, message]) => `${name}: ${message}`).join('; '));
    this.name = 'ParamsError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * What is wrong with a set of declarations, one message per problem (empty when they are sound): unknown kinds,
 * bad names, limits that contradict each other, a default that the parameter itself would refuse.
 * `flagNames`: a parameter may not share a flag's name.
 */
export function paramSpecProblems(specs: unknown, flagNames: string[] = []): string[] {
  if (specs === undefined) return [];
  if (!isRecord(specs)) return ['"params" must be an object of parameter name → declaration'];
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(specs)) {
    const where = `parameter "${name}"`;
    if (!NAME.test(name)) problems.push(`${where}: a name is a letter, then letters, digits or _ (at most 64)`);
    if (flagNames.includes(name)) problems.push(`${where}: a flag has the same name`);
    if (!isRecord(raw)) {
      problems.push(`${where}: must be an object with kind, default and longName`);
      continue;
    }
    if (!PARAM_KINDS.includes(raw.kind as (typeof PARAM_KINDS)[number])) {
      problems.push(`${where}: kind must be one of ${PARAM_KINDS.join(', ')}`);
      continue;
    }
    if (typeof raw.longName !== 'string' || !raw.longName.trim()) problems.push(`${where}: longName must be a non-empty string`);
    if (raw.help !== undefined && typeof raw.help !== 'string') problems.push(`${where}: help must be a string`);
    const spec = raw as unknown as PipelineParamSpec;
    if (spec.kind === 'integer' || spec.kind === 'number') {
      for (const key of ['min', 'max', 'step'] as const) {
        if (spec[key] !== undefined && !finite(spec[key])) problems.push(`${where}: ${key} must be a number`);
      }
      if (spec.unit !== undefined && typeof spec.unit !== 'string') problems.push(`${where}: unit must be a string`);
      if (finite(spec.step) && spec.step <= 0) problems.push(`${where}: step must be above 0`);
      if (spec.kind === 'integer') {
        for (const key of ['min', 'max', 'step'] as const) {
          if (finite(spec[key]) && !Number.isInteger(spec[key])) problems.push(`${where}: ${key} of a whole-number parameter must be whole`);
        }
      }
      if (finite(spec.min) && finite(spec.max) && spec.min > spec.max) problems.push(`${where}: min is above max`);
      if (spec.default !== null && !finite(spec.default)) problems.push(`${where}: default must be a number, or null for none`);
    } else if (spec.kind === 'choice') {
      if (!Array.isArray(spec.options) || spec.options.length === 0) {
        problems.push(`${where}: options must be a non-empty list of {value, label}`);
        continue;
      }
      const values = new Set<string>();
      for (const option of spec.options as unknown[]) {
        if (!isRecord(option) || typeof option.value !== 'string' || !option.value || typeof option.label !== 'string' || !option.label.trim()) {
          problems.push(`${where}: every option needs a non-empty value and label`);
          break;
        }
        if (values.has(option.value)) problems.push(`${where}: option "${option.value}" is listed twice`);
        values.add(option.value);
      }
      if (typeof spec.default !== 'string') problems.push(`${where}: default must be one of the options' values`);
    } else if (spec.kind === 'text') {
      if (spec.pattern !== undefined) {
        if (typeof spec.pattern !== 'string') problems.push(`${where}: pattern must be a string`);
        else {
          try {
            new RegExp(spec.pattern, 'u');
          } catch (error) {
            problems.push(`${where}: pattern is not a regular expression (${(error as Error).message})`);
          }
        }
      }
      if (spec.maxLength !== undefined && !(Number.isInteger(spec.maxLength) && spec.maxLength >= 1 && spec.maxLength <= PARAM_TEXT_MAX)) {
        problems.push(`${where}: maxLength must be a whole number from 1 to ${PARAM_TEXT_MAX}`);
      }
      if (spec.default !== null && typeof spec.default !== 'string') problems.push(`${where}: default must be a string, or null for none`);
    }
    // The default must pass the parameter's own check (when the declaration is otherwise sound).
    if (!problems.some((problem) => problem.startsWith(where)) && spec.default !== null) {
      const checked = checkParam(spec, spec.default);
      if ('error' in checked) problems.push(`${where}: its default is refused (${checked.error})`);
    }
  }
  return problems;
}

/** One value for one parameter: given as JSON (number / string / null) or as form or CLI text. */
export function checkParam(spec: PipelineParamSpec, raw: unknown): { value: PipelineParamValue } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  if (raw === null || raw === undefined || text === '') {
    if (spec.default === null) return { value: null };
    return { error: 'a value is needed' };
  }
  if (spec.kind === 'integer' || spec.kind === 'number') {
    const value = typeof raw === 'number' ? raw : text !== undefined && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(value)) return { error: spec.kind === 'integer' ? 'must be a whole number' : 'must be a number' };
    if (spec.kind === 'integer' && !Number.isInteger(value)) return { error: 'must be a whole number' };
    if (spec.min !== undefined && value < spec.min) return { error: `must be at least ${spec.min}${spec.unit ? ` ${spec.unit}` : ''}` };
    if (spec.max !== undefined && value > spec.max) return { error: `must be at most ${spec.max}${spec.unit ? ` ${spec.unit}` : ''}` };
    if (spec.step !== undefined) {
      const steps = (value - (spec.min ?? 0)) / spec.step;
      if (Math.abs(steps - Math.round(steps)) > 1e-9 * Math.max(1, Math.abs(steps))) {
        return { error: `must go in steps of ${spec.step} from ${spec.min ?? 0}` };
      }
    }
    return { value };
  }
  if (typeof raw !== 'string') return { error: 'must be text' };
  if (spec.kind === 'choice') {
    const option = spec.options.find((candidate) => candidate.value === text);
    return option ? { value: option.value } : { error: `must be one of ${spec.options.map((candidate) => candidate.value).join(', ')}` };
  }
  const textSpec = spec as TextParamSpec;
  const cleaned = checkText(raw, 'paramValue');
  if (cleaned.error !== undefined) return { error: cleaned.error.replace(/^The value /, '') };
  const value = cleaned.value;
  const max = Math.min(textSpec.maxLength ?? PARAM_TEXT_MAX, PARAM_TEXT_MAX);
  if ([...value].length > max) return { error: `must be at most ${max} characters` };
  if (textSpec.pattern !== undefined && !new RegExp(`^(?:${textSpec.pattern})$`, 'u').test(value)) return { error: `must match ${textSpec.pattern}` };
  return { value };
}

/**
 * The values of a run: each parameter's default, then `preset`'s, then what was asked. Unknown names and refused
 * values throw one ParamsError naming every bad field. `sources` says where each value came from.
 */
export function resolveParams(
  specs: PipelineParamSpecs,
  requested: Record<string, unknown> | undefined,
  preset: Record<string, unknown> = {},
): { values: PipelineParamValues; sources: Record<string, ParamSource> } {
  const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
  const asked = requested ?? {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(asked)) {
    if (!has(specs, name)) errors[name] = `unknown parameter (known: ${Object.keys(specs).join(', ') || 'none'})`;
  }
  const values: PipelineParamValues = {};
  const sources: Record<string, ParamSource> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const from: ParamSource = has(asked, name) && asked[name] !== undefined ? 'user' : has(preset, name) ? 'preset' : 'default';
    const raw = from === 'user' ? asked[name] : from === 'preset' ? preset[name] : spec.default;
    const checked = checkParam(spec, raw);
    if ('error' in checked) {
      errors[name] = checked.error;
      continue;
    }
    values[name] = checked.value;
    // A value equal to the default is the default, wherever it was typed (forms send every field).
    sources[name] = from !== 'default' && checked.value === spec.default ? 'default' : from;
  }
  if (Object.keys(errors).length) throw new ParamsError(errors);
  return { values, sources };
}

/** The text a value is passed as on a command line: numbers as JavaScript writes them, no value as "". */
export function paramArgument(value: PipelineParamValue): string {
  return value === null ? '' : String(value);
}
