import { PipelinePreset } from './pipeline-preset.entity';
import { RegisteredPipeline } from '../pipeline-registry/pipeline-config.loader';

/** What the picker opens with: an earlier run's pipeline and flags ("Run again"), or an assignment's pipeline and preset. */
export interface PickerPrefill {
  pipelineKey: string;
  /** Flags set (others keep their defaults). */
  flags: Record<string, boolean>;
  presetId?: number | null;
}

/**
 * What the pipeline picker partial shows for each pipeline: its flags as checkboxes with their defaults, its
 * presets, and the prefill's pipeline, preset and flags ticked.
 */
export function pickerChoices(pipelines: RegisteredPipeline[], presets: PipelinePreset[], prefill?: PickerPrefill | null) {
  return pipelines.map((pipeline) => ({
    name: pipeline.name,
    shortName: pipeline.shortName,
    description: pipeline.description,
    allowedSuffixes: pipeline.allowedSuffixes,
    selected: prefill?.pipelineKey === pipeline.key,
    presets: presets
      .filter((preset) => preset.pipelineKey === pipeline.key)
      .map((preset) => ({ id: preset.id, name: preset.name, flags: preset.flags, selected: prefill?.pipelineKey === pipeline.key && prefill.presetId === preset.id })),
    flagList: Object.entries(pipeline.flags).map(([name, spec]) => ({
      name,
      longName: spec.longName,
      checked: prefill?.pipelineKey === pipeline.key && name in prefill.flags ? Boolean(prefill.flags[name]) : spec.default,
    })),
  }));
}
