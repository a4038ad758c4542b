/**
 * What a workflow is and when its declaration is sound: an ordered list of steps, each a registered pipeline with
 * fixed flag and parameter values, some parameters exposed to the student, and its inputs (the run's, or the step
 * before's outputs kept by ending or product type). Used for config entries at boot and for the composer's saves.
 */
import { checkParam, PipelineParamSpec, PipelineParamSpecs, PipelineParamValue } from '../pipeline-sdk/pipeline-params';
import { PipelineFlagSpecs, resolveFlags } from '../pipeline-sdk/pipeline-process';
import { PRODUCT_TYPES } from '../data-products/data-product.entity';

export type StepInputs = 'run' | 'previous';

/** One step as declared (config file, composer, workflow_versions.steps). */
export interface WorkflowStepSpec {
  /** A registered pipeline's display name (not another workflow). */
  pipeline: string;
  flags?: Record<string, boolean>;
  /** Fixed values; an exposed parameter's value here is its default for the student. */
  params?: Record<string, PipelineParamValue>;
  /** Parameters the student sets when starting the workflow, by the step pipeline's parameter names. */
  expose?: string[];
  /** The run's inputs (first step: always), or the previous step's outputs (later steps' default). */
  inputs?: StepInputs;
  /** From the previous step's outputs, keep only these endings or product types (default: what the pipeline takes). */
  keep?: { suffixes?: string[]; productTypes?: string[] };
}

/** A workflow as declared: its steps, with a short name for run identifiers and a description. */
export interface WorkflowSpec {
  shortName: string;
  description?: string;
  steps: WorkflowStepSpec[];
}

/** What checking needs of a registered pipeline. */
export interface StepPipeline {
  name: string;
  flags: PipelineFlagSpecs;
  params: PipelineParamSpecs;
  allowedSuffixes: string[];
}

/** A checked step: flags resolved, fixed values checked, inputs chosen. */
export interface CheckedStep {
  position: number;
  pipeline: string;
  flags: Record<string, boolean>;
  params: Record<string, PipelineParamValue>;
  expose: string[];
  inputs: StepInputs;
  keep: { suffixes?: string[]; productTypes?: string[] };
}

/** A sound workflow: its steps and the parameters the student may set (exposed name → step position). */
export interface CheckedWorkflow {
  shortName: string;
  description: string;
  steps: CheckedStep[];
  params: PipelineParamSpecs;
  exposedBy: Record<string, number>;
  /** What the first step takes: the endings a run's inputs may have. */
  allowedSuffixes: string[];
}

export const MAX_WORKFLOW_STEPS = 10;
const SHORT_NAME = /^[a-z0-9_-]{1,60}$/i;
const STEP_KEYS = ['pipeline', 'flags', 'params', 'expose', 'inputs', 'keep'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/**
 * Checks a declaration against the registered pipelines. Problems are keyed by field (`shortName`, `steps`,
 * `steps.2.pipeline`, `steps.2.params.apertureRadius`, `steps.2.expose`, …) so the composer shows each beside its
 * input; none means `workflow` is set.
 */
export function checkWorkflow(
  raw: unknown,
  pipelineNamed: (name: string) => StepPipeline | undefined,
): { workflow: CheckedWorkflow; problems?: undefined } | { workflow?: undefined; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  if (!isRecord(raw)) return { problems: { steps: 'a workflow is {"shortName": "...", "steps": [...]}' } };
  const shortName = raw.shortName;
  if (typeof shortName !== 'string' || !SHORT_NAME.test(shortName)) problems.shortName = 'a short name of up to 60 letters, digits, _ and - is needed';
  if (raw.description !== undefined && typeof raw.description !== 'string') problems.description = 'must be text';
  const steps = raw.steps;
  if (!Array.isArray(steps) || !steps.length) {
    problems.steps = 'a workflow needs at least one step';
    return { problems };
  }
  if (steps.length > MAX_WORKFLOW_STEPS) problems.steps = `a workflow has at most ${MAX_WORKFLOW_STEPS} steps`;
  const checked: CheckedStep[] = [];
  const params: PipelineParamSpecs = {};
  const exposedBy: Record<string, number> = {};
  let firstSuffixes: string[] = [];
  steps.forEach((step: unknown, index) => {
    const position = index + 1;
    const at = (field: string) => `steps.${position}${field ? `.${field}` : ''}`;
    if (!isRecord(step)) {
      problems[at('')] = 'each step is {"pipeline": "Display name", ...}';
      return;
    }
    const unknownKeys = Object.keys(step).filter((key) => !STEP_KEYS.includes(key));
    if (unknownKeys.length) problems[at('')] = `unknown field(s) ${unknownKeys.join(', ')} (known: ${STEP_KEYS.join(', ')})`;
    const pipeline = typeof step.pipeline === 'string' ? pipelineNamed(step.pipeline) : undefined;
    if (!pipeline) {
      problems[at('pipeline')] = typeof step.pipeline === 'string' && step.pipeline ? `no pipeline is registered as "${step.pipeline}"` : 'choose a pipeline';
      return;
    }
    if (position === 1) firstSuffixes = pipeline.allowedSuffixes;
    let flags: Record<string, boolean> = {};
    if (step.flags !== undefined && !isRecord(step.flags)) problems[at('flags')] = 'must be an object of flag name → true or false';
    else {
      try {
        flags = resolveFlags(pipeline.flags, (step.flags as Record<string, unknown>) ?? {}).values;
      } catch (error) {
        problems[at('flags')] = (error as Error).message;
      }
    }
    const fixed: Record<string, PipelineParamValue> = {};
    if (step.params !== undefined && !isRecord(step.params)) problems[at('params')] = 'must be an object of parameter name → value';
    for (const [name, value] of Object.entries(isRecord(step.params) ? step.params : {})) {
      const spec = pipeline.params[name];
      if (!spec) {
        problems[at(`params.${name}`)] = `${pipeline.name} has no parameter ${name} (it has: ${Object.keys(pipeline.params).join(', ') || 'none'})`;
        continue;
      }
      const result = checkParam(spec, value);
      if ('error' in result) problems[at(`params.${name}`)] = `${spec.longName}: ${result.error}`;
      else fixed[name] = result.value;
    }
    const expose = step.expose ?? [];
    if (!Array.isArray(expose) || expose.some((name) => typeof name !== 'string')) {
      problems[at('expose')] = 'must be a list of parameter names';
    } else {
      for (const name of expose as string[]) {
        const spec = pipeline.params[name];
        if (!spec) {
          problems[at('expose')] = `${pipeline.name} has no parameter ${name}`;
        } else if (has(exposedBy, name)) {
          problems[at('expose')] = `${name} is already exposed by step ${exposedBy[name]}; a name may be exposed by one step only`;
        } else {
          exposedBy[name] = position;
          params[name] = exposedSpec(spec, has(fixed, name) ? fixed[name] : spec.default, position, pipeline.name);
        }
      }
    }
    const inputs = step.inputs ?? (position === 1 ? 'run' : 'previous');
    if (inputs !== 'run' && inputs !== 'previous') problems[at('inputs')] = 'must be "run" or "previous"';
    else if (position === 1 && inputs === 'previous') problems[at('inputs')] = 'the first step works on the run\'s inputs';
    const keep = step.keep ?? {};
    if (!isRecord(keep)) problems[at('keep')] = 'must be {"suffixes": [...], "productTypes": [...]}';
    else {
      const suffixes = keep.suffixes;
      const types = keep.productTypes;
      if (suffixes !== undefined && (!Array.isArray(suffixes) || suffixes.some((suffix) => typeof suffix !== 'string' || !/^\.[A-Za-z0-9._-]+$/.test(suffix)))) {
        problems[at('keep')] = 'suffixes must be endings starting with ".", like ".fits"';
      }
      if (types !== undefined && (!Array.isArray(types) || types.some((type) => !PRODUCT_TYPES.includes(type as never)))) {
        problems[at('keep')] = `product types must be among ${PRODUCT_TYPES.join(', ')}`;
      }
    }
    checked.push({
      position,
      pipeline: pipeline.name,
      flags,
      params: fixed,
      expose: Array.isArray(expose) ? (expose as string[]) : [],
      inputs: inputs === 'previous' ? 'previous' : 'run',
      keep: isRecord(keep) ? (keep as CheckedStep['keep']) : {},
    });
  });
  if (Object.keys(problems).length) return { problems };
  return {
    workflow: { shortName: shortName as string, description: (raw.description as string | undefined) ?? '', steps: checked, params, exposedBy, allowedSuffixes: firstSuffixes },
  };
}

/** An exposed parameter as the student sees it: the pipeline's, with the workflow's value as its default. */
function exposedSpec(spec: PipelineParamSpec, value: PipelineParamValue, position: number, pipeline: string): PipelineParamSpec {
  const help = `Step ${position}, ${pipeline}.${spec.help ? ` ${spec.help}` : ''}`;
  return { ...spec, default: value, help } as PipelineParamSpec;
}

/** The declaration a checked workflow is stored as (steps without their positions, values as checked). */
export function storedSteps(workflow: CheckedWorkflow): WorkflowStepSpec[] {
  return workflow.steps.map((step) => ({
    pipeline: step.pipeline,
    flags: step.flags,
    params: step.params,
    expose: step.expose,
    inputs: step.inputs,
    ...(step.keep.suffixes?.length || step.keep.productTypes?.length ? { keep: step.keep } : {}),
  }));
}

/**
 * A step's parameter values for one run: its fixed values, then the student's values of those it exposes; the
 * pipeline's defaults fill in the rest when the step is resolved against its pipeline.
 */
export function stepValues(step: CheckedStep, runParams: Record<string, PipelineParamValue>): Record<string, PipelineParamValue> {
  const values = { ...step.params };
  for (const name of step.expose) if (has(runParams, name)) values[name] = runParams[name];
  return values;
}
