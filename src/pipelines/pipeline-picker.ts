import { PipelinePreset } from './pipeline-preset.entity';
import { PipelineRun } from './pipeline-run.entity';
import { RegisteredPipeline } from './sdk/pipeline-registry';

/**
 * What the pipeline picker partial shows for each pipeline: its flags as checkboxes with their defaults, its
 * presets, and, for "Run again", the earlier run's pipeline and flags ticked.
 */
export function pickerChoices(pipelines: RegisteredPipeline[], presets: PipelinePreset[], rerun?: PipelineRun | null) {
  return pipelines.map((pipeline) => ({
    name: pipeline.name,
    shortName: pipeline.shortName,
    description: pipeline.description,
    allowedSuffixes: pipeline.allowedSuffixes,
    selected: rerun?.pipelineKey === pipeline.key,
    presets: presets.filter((preset) => preset.pipelineKey === pipeline.key),
    flagList: Object.entries(pipeline.flags).map(([name, spec]) => ({
      name,
      longName: spec.longName,
      checked: rerun?.pipelineKey === pipeline.key ? Boolean(rerun.flags[name]) : spec.default,
    })),
  }));
}
