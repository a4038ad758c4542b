import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as firstPath from '../pipelines/sdk';
import * as teaching from '../teaching-pipelines';
import * as sdk from './index';

const SRC = path.resolve(__dirname, '..');

/** Every module a source file imports, following relative imports: files under src/ and bare package names. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        continue;
      }
      const base = path.resolve(path.dirname(file), spec);
      const resolved = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
      if (!resolved) throw new Error(`${path.relative(SRC, file)} imports ${spec}, which is not a TypeScript module`);
      queue.push(resolved);
    }
  }
  return { files, packages };
}

const folderOf = (file: string) => path.relative(SRC, file).split(path.sep)[0];
const isNodeBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

describe('pipeline code layout', () => {
  it('the SDK imports only node built-ins and the pure CSV writer and text rule: authors can load it alone', () => {
    const { files, packages } = importGraph(path.join(SRC, 'pipeline-sdk', 'index.ts'));
    const outside = [...files].filter((file) => folderOf(file) !== 'pipeline-sdk').map((file) => path.relative(SRC, file));
    expect(outside.sort()).toEqual(['common/csv-writer.ts', 'common/text.ts']);
    expect([...packages].filter((name) => !isNodeBuiltin(name))).toEqual([]);
  });

  it('the teaching pipelines depend only on the SDK and the pure libraries (fits, photometry, imaging)', () => {
    const { files, packages } = importGraph(path.join(SRC, 'teaching-pipelines', 'index.ts'));
    const folders = new Set([...files].map(folderOf));
    const allowed = new Set(['teaching-pipelines', 'pipeline-sdk', 'fits', 'photometry', 'imaging', 'common']);
    expect([...folders].filter((folder) => !allowed.has(folder))).toEqual([]);
    // From common/, only what the SDK itself brings.
    const common = [...files].filter((file) => folderOf(file) === 'common').map((file) => path.relative(SRC, file));
    expect(common.sort()).toEqual(['common/csv-writer.ts', 'common/text.ts']);
    // sharp encodes images; ts-node only lets worker threads load TypeScript sources when run from src/.
    expect([...packages].filter((name) => !isNodeBuiltin(name)).sort()).toEqual(['sharp', 'ts-node']);
  });

  it("the SDK's first import path still gives pipelines written against it what it gave them", () => {
    const old = firstPath;
    expect(old.PipelineProcess).toBe(sdk.PipelineProcess);
    expect(old.AsyncError).toBe(sdk.AsyncError);
    expect(old.toCsv).toBe(sdk.toCsv);
    expect(old.TimelapsePipeline).toBe(teaching.TimelapsePipeline);
    expect(Object.keys(old.BUILTIN_PIPELINES).sort()).toEqual(['aperture-photometry', 'header-summary', 'inspect', 'timelapse']);
    expect(typeof old.createCommandPipeline).toBe('function');
    expect(typeof old.loadPipelineRegistry).toBe('function');
  });
});
