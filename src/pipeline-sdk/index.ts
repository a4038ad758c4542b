/**
 * The pipeline SDK: what a pipeline author needs, and nothing of the portal's framework. `PipelineProcess` and its
 * context, the output types, `AsyncError`, the test helpers and the portal's one CSV writer. Plain TypeScript
 * (node built-ins and the pure CSV writer only), so pipelines can be written and tested without the portal running.
 */
export * from './pipeline-process';
export * from './pipeline-params';
export { createTestContext, inputFromFile, testParams } from './testing';
export type { TestRun } from './testing';
// The portal's one CSV writer (formula-safe cells, quoting): write pipelines' CSV outputs with it.
export { csvCell, csvRow, toCsv } from '../common/csv-writer';
export type { CsvValue } from '../common/csv-writer';
// The portal's limits on texts it stores (a light-curve filter name, say), so outputs fit them.
export { TEXT_RULES } from '../common/text';
