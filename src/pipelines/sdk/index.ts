/**
 * The pipeline SDK: the base class teachers extend, command pipelines, the registry and the builtins.
 * Plain TypeScript (node built-ins only), so pipelines can be written and tested without the portal running.
 */
export * from './pipeline-process';
export * from './command-pipeline';
export * from './pipeline-registry';
export { createTestContext, inputFromFile } from './testing';
// The portal's one CSV writer (formula-safe cells, quoting): write pipelines' CSV outputs with it.
export { csvCell, csvRow, toCsv } from '../../common/csv-writer';
export type { CsvValue } from '../../common/csv-writer';
export type { TestRun } from './testing';
export { BUILTIN_PIPELINES } from './builtins';
export { HeaderSummaryPipeline } from './builtins/header-summary.pipeline';
export { TimelapsePipeline } from './builtins/timelapse.pipeline';
export { AperturePhotometryPipeline } from './builtins/aperture-photometry.pipeline';
export { InspectPipeline } from './builtins/inspect.pipeline';
