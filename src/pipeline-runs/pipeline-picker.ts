import { PipelinePreset } from './pipeline-preset.entity';
import { isWorkflow, RegisteredEntry } from '../pipeline-registry/pipeline-registry.service';
import { PipelineParamSpec } from '../pipeline-sdk/pipeline-params';

/**
 * What the picker opens with: an earlier run's pipeline, flags and parameters ("Run again"), an assignment's
 * pipeline and preset, or a refused start's choices with a message per refused parameter.
 */
export interface PickerPrefill {
  pipelineKey: string;
  /** Flags set (others keep their defaults). */
  flags: Record<string, boolean>;
  /** Parameter values (others show their defaults); text as typed after a refusal. */
  params?: Record<string, unknown>;
  presetId?: number | null;
  /** Parameter name → why its value was refused. */
  errors?: Record<string, string>;
}

/** One parameter's input: its kind's control, limits, the value to show and any refusal. */
export function paramInput(name: string, spec: PipelineParamSpec, value: unknown, error?: string) {
  const shown = value === null || value === undefined ? '' : String(value);
  const base = { name, kind: spec.kind, longName: spec.longName, help: spec.help ?? null, value: shown, error: error ?? null, optional: spec.default === null };
  if (spec.kind === 'choice') {
    return { ...base, choice: true, options: spec.options.map((option) => ({ ...option, selected: option.value === shown })) };
  }
  if (spec.kind === 'text') return { ...base, text: true, pattern: spec.pattern ?? null, maxLength: spec.maxLength ?? null };
  return {
    ...base,
    number: true,
    min: spec.min ?? null,
    max: spec.max ?? null,
    // The browser's own check follows the step; "any" for numbers without one, 1 for whole numbers.
    step: spec.step ?? (spec.kind === 'integer' ? 1 : 'any'),
    unit: spec.unit ?? null,
  };
}

/**
 * What the pipeline picker partial shows for each pipeline: its flags as checkboxes with their defaults, its
 * parameters as inputs of their kind, its presets, and the prefill's pipeline, preset, flags and values.
 */
export function pickerChoices(pipelines: RegisteredEntry[], presets: PipelinePreset[], prefill?: PickerPrefill | null) {
  return pipelines.map((pipeline) => {
    const mine = prefill?.pipelineKey === pipeline.key ? prefill : null;
    return {
      name: pipeline.name,
      shortName: pipeline.shortName,
      description: pipeline.description,
      allowedSuffixes: pipeline.allowedSuffixes,
      // A workflow's steps, named in the picker so the student sees what will run.
      steps: isWorkflow(pipeline) ? pipeline.steps.map((step) => ({ position: step.position, pipeline: step.pipeline })) : null,
      selected: Boolean(mine),
      presets: presets
        .filter((preset) => preset.pipelineKey === pipeline.key)
        .map((preset) => ({ id: preset.id, name: preset.name, flags: preset.flags, params: preset.params ?? {}, selected: Boolean(mine) && mine!.presetId === preset.id })),
      flagList: Object.entries(pipeline.flags).map(([name, spec]) => ({
        name,
        longName: spec.longName,
        checked: mine && name in mine.flags ? Boolean(mine.flags[name]) : spec.default,
      })),
      paramList: Object.entries(pipeline.params).map(([name, spec]) =>
        paramInput(name, spec, mine?.params && name in mine.params ? mine.params[name] : spec.default, mine?.errors?.[name]),
      ),
    };
  });
}
