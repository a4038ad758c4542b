import { PipelineClass } from '../pipeline-process';
import { HeaderSummaryPipeline } from './header-summary.pipeline';

/** Pipelines shipped with the portal, registered in the config as "builtin:<name>". */
export const BUILTIN_PIPELINES: Record<string, PipelineClass> = {
  'header-summary': HeaderSummaryPipeline,
};
