/**
 * The teacher's workflow composer (/pipelines/new, /workflows/:id/edit) as data: its flat form read into what was
 * typed (ComposerState), that state as the draft WorkflowsService checks and saves, a stored version as a state to
 * edit, and the page's model with each problem beside its field. Server-driven: every button posts the whole form
 * and the page comes back with what was typed, so nothing here keeps state between requests.
 *
 * Field names are flat (the urlencoded parser would make `steps[1][pipeline]` an object): `name`, `shortName`,
 * `description`, `stepCount`, and per step i (1-based) `s<i>_pipeline`, `s<i>_flag_<flag>` (checkbox) with
 * `s<i>_flags_shown=1` (so an absent box is off), `s<i>_fields_for` (the pipeline whose flags and parameters the form
 * showed: a changed pipeline starts from its own defaults), `s<i>_param_<param>` (empty: the pipeline's default),
 * `s<i>_expose_<param>` (checkbox: students set it, the value typed being their default), `s<i>_inputs` (`run` or
 * `previous`, steps after the first) and `s<i>_keep` (endings and product types, comma-separated). The button
 * `action`: `add-step`, `remove-step-<i>`, `preview` (the default: the Enter key, the script's pipeline change) or `save`.
 */
import { BadRequestException } from '@nestjs/common';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';
import { optionalIntegerParam, quoted } from '../common/request-parsing';
import { RegisteredPipeline } from '../pipeline-registry/pipeline-config.loader';
import { PipelineParamSpec, PipelineParamValue } from '../pipeline-sdk/pipeline-params';
import { paramInput } from '../pipeline-runs/pipeline-picker';
import { CheckedWorkflow, MAX_WORKFLOW_STEPS, WorkflowStepSpec } from './workflow-definition';
import { WorkflowVersion } from './workflow-version.entity';
import { WorkflowDraft } from './workflows.service';

/** One step as typed. */
export interface ComposerStep {
  /** The chosen pipeline's display name ('' when none is chosen yet). */
  pipeline: string;
  /** The flags as ticked; null when the form did not show this pipeline's flags (its defaults then). */
  flags: Record<string, boolean> | null;
  /** Values as typed, by parameter name; '' (or absent) leaves the pipeline's default. */
  params: Record<string, string>;
  /** Parameters the students set. */
  expose: string[];
  /** `previous` or `run` (as posted: anything else is refused by the check, beside the field). */
  inputs: string;
  /** Endings and product types, as typed. */
  keep: string;
}

/** The whole form as typed. */
export interface ComposerState {
  name: string;
  shortName: string;
  description: string;
  steps: ComposerStep[];
}

export type ComposerAction = 'add-step' | 'preview' | 'save' | { removeStep: number };

/** A step row with nothing chosen. */
export const emptyStep = (): ComposerStep => ({ pipeline: '', flags: null, params: {}, expose: [], inputs: 'previous', keep: '' });

/** The composer as /pipelines/new opens: one empty step. */
export const emptyComposer = (): ComposerState => ({ name: '', shortName: '', description: '', steps: [emptyStep()] });

const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const ON = new Set(['on', 'true', '1', 'yes']);

/**
 * Reads the posted form: what was typed, and the button pressed. Fields are read by the names the chosen pipeline
 * gives them (others are ignored); a value that is not one piece of text, a step count out of range and an unknown
 * action are a 400 (no form of the page sends them).
 */
export function readComposerForm(body: unknown, pipelineNamed: (name: string) => RegisteredPipeline | undefined): { state: ComposerState; action: ComposerAction } {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw new BadRequestException('The form cannot be read');
  const fields = (body ?? {}) as Record<string, unknown>;
  const text = (name: string): string => {
    if (!has(fields, name) || fields[name] === undefined || fields[name] === null) return '';
    const value = fields[name];
    if (typeof value !== 'string') throw new BadRequestException(`The field ${quoted(name)} must be one piece of text`);
    return value;
  };
  const stepCount = optionalIntegerParam(text('stepCount'), 'stepCount', { min: 1, max: MAX_WORKFLOW_STEPS }) ?? 1;
  const steps: ComposerStep[] = [];
  for (let position = 1; position <= stepCount; position++) {
    const field = (suffix: string) => text(`s${position}_${suffix}`);
    const name = field('pipeline').trim();
    const pipeline = name ? pipelineNamed(name) : undefined;
    const fieldsFor = field('fields_for');
    // The flags and values shown belonged to another pipeline (the select was changed): start from this one's defaults.
    const shown = pipeline !== undefined && (fieldsFor === '' || fieldsFor === pipeline.name);
    const step: ComposerStep = { ...emptyStep(), pipeline: name, inputs: position === 1 ? 'run' : field('inputs') || 'previous', keep: field('keep') };
    if (pipeline && shown) {
      if (field('flags_shown') !== '') step.flags = Object.fromEntries(Object.keys(pipeline.flags).map((flag) => [flag, ON.has(field(`flag_${flag}`).trim().toLowerCase())]));
      for (const param of Object.keys(pipeline.params)) {
        const value = field(`param_${param}`);
        if (value !== '') step.params[param] = value;
        if (ON.has(field(`expose_${param}`).trim().toLowerCase())) step.expose.push(param);
      }
    }
    steps.push(step);
  }
  const pressed = text('action').trim() || 'preview';
  let action: ComposerAction;
  const remove = /^remove-step-(\d{1,2})$/.exec(pressed);
  if (remove && Number(remove[1]) >= 1 && Number(remove[1]) <= steps.length) action = { removeStep: Number(remove[1]) };
  else if (pressed === 'add-step' || pressed === 'preview' || pressed === 'save') action = pressed;
  else throw new BadRequestException(`Unknown action ${quoted(pressed)}: the composer's buttons are add-step, remove-step-<n>, preview and save`);
  return { state: { name: text('name'), shortName: text('shortName'), description: text('description'), steps }, action };
}

/**
 * Adds or removes a step row. Returns a problem for the `steps` field when the row cannot be added (the most steps
 * a workflow may have); removing the only step leaves one empty row.
 */
export function applyStepAction(state: ComposerState, action: ComposerAction): string | undefined {
  if (action === 'add-step') {
    if (state.steps.length >= MAX_WORKFLOW_STEPS) return `A workflow has at most ${MAX_WORKFLOW_STEPS} steps`;
    state.steps.push(emptyStep());
  } else if (typeof action === 'object') {
    state.steps.splice(action.removeStep - 1, 1);
    if (!state.steps.length) state.steps.push(emptyStep());
    // The new first step works on the run's inputs.
    state.steps[0].inputs = 'run';
  }
  return undefined;
}

/** `.fits, photometry` → endings (starting with '.') and product types. */
export function keepFromText(text: string): { suffixes?: string[]; productTypes?: string[] } | undefined {
  const words = text.split(/[\s,]+/).filter(Boolean);
  if (!words.length) return undefined;
  const suffixes = words.filter((word) => word.startsWith('.'));
  const productTypes = words.filter((word) => !word.startsWith('.'));
  return { ...(suffixes.length ? { suffixes } : {}), ...(productTypes.length ? { productTypes } : {}) };
}

/** The state as WorkflowsService.check and save read it. `name`: the workflow being edited keeps its own. */
export function draftFrom(state: ComposerState, name = state.name): WorkflowDraft {
  return {
    name,
    shortName: state.shortName.trim(),
    description: state.description,
    steps: state.steps.map((step, index) => {
      const spec: Record<string, unknown> = { pipeline: step.pipeline };
      if (step.flags) spec.flags = step.flags;
      const params = Object.fromEntries(Object.entries(step.params).filter(([, value]) => value.trim() !== ''));
      if (Object.keys(params).length) spec.params = params;
      if (step.expose.length) spec.expose = step.expose;
      if (index > 0) spec.inputs = step.inputs;
      const keep = keepFromText(step.keep);
      if (keep) spec.keep = keep;
      return spec;
    }),
  };
}

/** A stored version as the composer shows it, to edit. */
export function stateFromVersion(version: WorkflowVersion): ComposerState {
  return {
    name: version.name,
    shortName: version.shortName,
    description: version.description,
    steps: version.steps.map((step: WorkflowStepSpec, index) => ({
      pipeline: step.pipeline,
      flags: step.flags ? { ...step.flags } : null,
      params: Object.fromEntries(Object.entries(step.params ?? {}).filter(([, value]) => value !== null).map(([name, value]) => [name, String(value)])),
      expose: [...(step.expose ?? [])],
      inputs: index === 0 ? 'run' : step.inputs ?? 'previous',
      keep: [...(step.keep?.suffixes ?? []), ...(step.keep?.productTypes ?? [])].join(', '),
    })),
  };
}

const valueText = (value: PipelineParamValue | undefined, spec?: PipelineParamSpec) =>
  value === null || value === undefined ? 'none' : `${value}${spec && 'unit' in spec && spec.unit ? ` ${spec.unit}` : ''}`;

/** What a parameter's limits are, in words: "from 1 to 10240 KiB, whole numbers". */
function rangeText(spec: PipelineParamSpec): string {
  if (spec.kind !== 'integer' && spec.kind !== 'number') return '';
  const unit = spec.unit ? ` ${spec.unit}` : '';
  const range =
    spec.min !== undefined && spec.max !== undefined ? `from ${spec.min} to ${spec.max}${unit}`
    : spec.min !== undefined ? `at least ${spec.min}${unit}`
    : spec.max !== undefined ? `at most ${spec.max}${unit}`
    : '';
  return [range, spec.kind === 'integer' ? 'a whole number' : '', spec.step !== undefined ? `in steps of ${spec.step}` : ''].filter(Boolean).join(', ');
}

/** One step's parameter row in the composer: its input (named s<i>_param_<name>), the expose box and any problem. */
function paramRow(position: number, name: string, spec: PipelineParamSpec, step: ComposerStep, error: string | undefined) {
  const value = step.params[name] ?? '';
  return {
    name,
    longName: spec.longName,
    help: spec.help ?? null,
    kind: spec.kind,
    field: `s${position}_param_${name}`,
    exposeField: `s${position}_expose_${name}`,
    value,
    exposed: step.expose.includes(name),
    defaultText: valueText(spec.default, spec),
    range: rangeText(spec),
    choice: spec.kind === 'choice',
    inputMode: spec.kind === 'integer' ? 'numeric' : spec.kind === 'number' ? 'decimal' : null,
    options: spec.kind === 'choice' ? spec.options.map((option) => ({ ...option, selected: option.value === value.trim() })) : [],
    maxLength: spec.kind === 'text' ? spec.maxLength ?? null : null,
    error: error ?? null,
  };
}

/** What a checked step works on, in words. */
function worksOn(step: CheckedWorkflow['steps'][number], pipeline: RegisteredPipeline | undefined): string {
  const takes = pipeline?.allowedSuffixes.length ? pipeline.allowedSuffixes.join(', ') : 'any file';
  if (step.position === 1) return `The run's inputs (files ending ${takes})`;
  if (step.inputs === 'run') return `The run's inputs again (those ending ${takes})`;
  const kept = [...(step.keep.suffixes ?? []), ...(step.keep.productTypes ?? [])];
  return `Step ${step.position - 1}'s outputs: ${kept.length ? `those with ${kept.join(', ')}` : `what ${step.pipeline} takes (${takes})`}`;
}

/**
 * A sound workflow as the preview and the version page show it: each step with its fixed flags and values, what
 * it works on, the parameters students set; and the form a student sees (disabled inputs, as the picker draws them).
 */
export function workflowSummary(workflow: CheckedWorkflow, pipelineNamed: (name: string) => RegisteredPipeline | undefined) {
  return {
    allowedSuffixes: workflow.allowedSuffixes,
    steps: workflow.steps.map((step) => {
      const pipeline = pipelineNamed(step.pipeline);
      const spec = (name: string) => pipeline?.params[name];
      return {
        position: step.position,
        pipeline: step.pipeline,
        worksOn: worksOn(step, pipeline),
        flags: Object.entries(step.flags).map(([name, on]) => ({ name, on, longName: pipeline?.flags[name]?.longName ?? name })),
        fixed: Object.entries(step.params)
          .filter(([name]) => !step.expose.includes(name))
          .map(([name, value]) => ({ name, longName: spec(name)?.longName ?? name, value: valueText(value, spec(name)) })),
        exposed: step.expose.map((name) => ({ name, longName: spec(name)?.longName ?? name, value: valueText(workflow.params[name]?.default, spec(name)) })),
      };
    }),
    studentForm: Object.entries(workflow.params).map(([name, spec]) => paramInput(name, spec, spec.default)),
  };
}

/** Problems by field (WorkflowsService.check's keys) placed beside their inputs; those with no input listed apart. */
export function composerView(
  state: ComposerState,
  pipelines: RegisteredPipeline[],
  problems: Record<string, string>,
) {
  const placed = new Set<string>();
  const take = (key: string) => {
    if (!has(problems, key)) return null;
    placed.add(key);
    return problems[key];
  };
  const errors = { name: take('name'), shortName: take('shortName'), description: take('description'), steps: take('steps') };
  const steps = state.steps.map((step, index) => {
    const position = index + 1;
    const at = (field: string) => take(`steps.${position}${field ? `.${field}` : ''}`);
    const pipeline = pipelines.find((candidate) => candidate.name === step.pipeline);
    const stepErrors = { step: at(''), pipeline: at('pipeline'), flags: at('flags'), params: at('params'), expose: at('expose'), inputs: at('inputs'), keep: at('keep') };
    const params = pipeline ? Object.entries(pipeline.params).map(([name, spec]) => paramRow(position, name, spec, step, at(`params.${name}`) ?? undefined)) : [];
    return {
      position,
      previous: position - 1,
      first: position === 1,
      options: pipelines.map((candidate) => ({ name: candidate.name, selected: candidate.name === step.pipeline })),
      // A name no pipeline has (typed by hand, or a pipeline since removed): kept in the select, so it is seen.
      unknownPipeline: step.pipeline && !pipeline ? step.pipeline : null,
      pipeline: pipeline ? { name: pipeline.name, description: pipeline.description, takes: pipeline.allowedSuffixes.length ? pipeline.allowedSuffixes.join(', ') : 'any file' } : null,
      flags: pipeline
        ? Object.entries(pipeline.flags).map(([name, spec]) => ({
            name,
            longName: spec.longName,
            field: `s${position}_flag_${name}`,
            checked: step.flags && has(step.flags, name) ? step.flags[name] : spec.default,
            defaultText: spec.default ? 'on' : 'off',
          }))
        : [],
      params,
      inputs: { previous: step.inputs !== 'run', run: step.inputs === 'run', other: step.inputs !== 'run' && step.inputs !== 'previous' ? step.inputs : null },
      keep: step.keep,
      errors: stepErrors,
      hasErrors: Object.values(stepErrors).some(Boolean) || params.some((param) => param.error),
    };
  });
  const count = Object.keys(problems).length;
  return {
    values: { name: state.name, shortName: state.shortName, description: state.description },
    errors,
    steps,
    stepCount: steps.length,
    canAdd: steps.length < MAX_WORKFLOW_STEPS,
    canRemove: steps.length > 1,
    maxSteps: MAX_WORKFLOW_STEPS,
    problemCount: count,
    problemSummary: count ? `${count} problem${count === 1 ? '' : 's'}, shown beside ${count === 1 ? 'its field' : 'their fields'}` : '',
    otherProblems: Object.entries(problems)
      .filter(([key]) => !placed.has(key))
      .map(([field, message]) => ({ field, message })),
  };
}

/** The product types a step may keep, for the composer's hint. */
export const KEEP_PRODUCT_TYPES = PRODUCT_TYPES.join(', ');
