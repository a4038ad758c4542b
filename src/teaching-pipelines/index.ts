import { PipelineClass } from '../pipeline-sdk/pipeline-process';
import { AperturePhotometryPipeline } from './aperture-photometry.pipeline';
import { HeaderSummaryPipeline } from './header-summary.pipeline';
import { InspectPipeline } from './inspect.pipeline';
import { TimelapsePipeline } from './timelapse.pipeline';

/** Pipelines shipped with the portal, registered in the config as "builtin:<name>". */
export const BUILTIN_PIPELINES: Record<string, PipelineClass> = {
  'header-summary': HeaderSummaryPipeline,
  timelapse: TimelapsePipeline,
  'aperture-photometry': AperturePhotometryPipeline,
  inspect: InspectPipeline,
};
export { AperturePhotometryPipeline, HeaderSummaryPipeline, InspectPipeline, TimelapsePipeline };
