/**
 * Helpers to run a pipeline outside the portal: in a unit test, or from a script while writing one.
 *
 *   const run = createTestContext(['/data/frame1.fits']);
 *   const outputs = await new MyPipeline(run.context).doPipeline(tmpdir, { myFlag: true }, testParams(MyPipeline, { radius: 3 }));
 *   console.log(run.logs, run.statuses);
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveParams, PipelineParamValues } from './pipeline-params';
import { LogLevel, paramSpecsOf, PipelineClass, PipelineContext, PipelineInput, PipelineTargetInfo } from './pipeline-process';

export interface TestRun {
  context: PipelineContext;
  /** Every log line, in order. */
  logs: Array<{ level: LogLevel; text: string }>;
  /** Every status set, in order. */
  statuses: string[];
  /** Abort it to cancel the run. */
  controller: AbortController;
}

/** A PipelineInput for a file on disk (id = position + 1, sha256 computed, productType 'fits' or 'other'). */
export function inputFromFile(filePath: string, id = 1, originalName = path.basename(filePath)): PipelineInput {
  const sha256 = createHash('sha256').update(fs.readFileSync(filePath)).digest('hex');
  const productType = /\.(fits?|fts)(\.gz|\.fz)?$|\.fz$/i.test(originalName) ? 'fits' : 'other';
  return { id, path: path.resolve(filePath), originalName, sha256, productType };
}

/** A pipeline's parameter values as a run would get them: the defaults, with `values` (checked) on top. */
export function testParams(pipelineClass: Pick<PipelineClass, 'params'>, values: Record<string, unknown> = {}, options: Record<string, unknown> = {}): PipelineParamValues {
  return resolveParams(paramSpecsOf(pipelineClass, options), values).values;
}

/** A context recording logs and statuses; inputs are file paths or ready-made PipelineInputs. */
export function createTestContext(
  inputs: Array<string | PipelineInput>,
  target: Partial<PipelineTargetInfo> = {},
  options: Record<string, unknown> = {},
): TestRun {
  const logs: TestRun['logs'] = [];
  const statuses: string[] = [];
  const controller = new AbortController();
  const context: PipelineContext = {
    inputs: inputs.map((input, i) => (typeof input === 'string' ? inputFromFile(input, i + 1) : input)),
    target: { id: 1, name: 'Test target', type: 'sidereal', ra: null, dec: null, ...target },
    log: (level, text) => logs.push({ level, text }),
    setStatus: (text) => statuses.push(text),
    signal: controller.signal,
    options,
  };
  return { context, logs, statuses, controller };
}
