import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILTIN_PIPELINES } from '../teaching-pipelines';
import { HeaderSummaryPipeline } from '../teaching-pipelines/header-summary.pipeline';
import { canonicalJson, loadPipelineRegistry, PipelineConfigError } from './pipeline-config.loader';
import { createTestContext } from '../pipeline-sdk/testing';

const REPO = path.resolve(__dirname, '../..');
const SDK = JSON.stringify(path.join(__dirname, '../pipeline-sdk/pipeline-process'));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-registry-'));
  const module = (name: string, source: string) => fs.writeFileSync(path.join(dir, name), source);
  const pipelineClass = (className: string, shortName: string) =>
    `class ${className} extends PipelineProcess { async doPipeline() { return []; } }\n` +
    `${className}.shortName = ${JSON.stringify(shortName)}; ${className}.allowedSuffixes = ['.fits']; ${className}.flags = {};\n`;
  module('named.js', `const { PipelineProcess } = require(${SDK});\n${pipelineClass('MyPipeline', 'my_pipeline')}module.exports = { MyPipeline };\n`);
  module('whole.js', `const { PipelineProcess } = require(${SDK});\n${pipelineClass('Whole', 'whole')}module.exports = Whole;\n`);
  module('default.js', `const { PipelineProcess } = require(${SDK});\n${pipelineClass('Def', 'def')}exports.default = Def;\n`);
  module(
    'with-options.js',
    `const { PipelineProcess } = require(${SDK});\n${pipelineClass('Tuned', 'tuned')}` +
      "Tuned.checkOptions = (o) => (o.fps !== undefined && !(o.fps > 0) ? 'fps must be a number above 0' : undefined);\n" +
      'Tuned.prototype.doPipeline = async function () { return [{ path: String(this.options.fps), outputType: "DataProduct" }]; };\n' +
      'module.exports = { Tuned };\n',
  );
  module('plain.js', 'class NotAPipeline { async doPipeline() { return []; } }\nmodule.exports = { NotAPipeline, answer: 42 };\n');
  module('broken.js', "require('./does-not-exist-either');\n");
  module(
    'bad-statics.js',
    `const { PipelineProcess } = require(${SDK});\n${pipelineClass('NoName', '')}${pipelineClass('BadFlag', 'bad_flag')}` +
      "BadFlag.flags = { 'sky level': { default: false, longName: 'x' } };\nmodule.exports = { NoName, BadFlag };\n",
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(pipelines: unknown): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ pipelines }));
  return file;
}

function configError(pipelines: unknown): PipelineConfigError {
  try {
    loadPipelineRegistry(writeConfig(pipelines), BUILTIN_PIPELINES);
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineConfigError);
    return error as PipelineConfigError;
  }
  throw new Error('the config was accepted');
}

const command = (extra: Record<string, unknown> = {}) => ({ shortName: 'cmd', command: ['node', '--version'], ...extra });

describe('loadPipelineRegistry', () => {
  it("loads the repository's pipelines.config.json", () => {
    const registry = loadPipelineRegistry(path.join(REPO, 'pipelines.config.json'), BUILTIN_PIPELINES);
    expect([...registry.keys()]).toEqual(['FITS header summary', 'Timelapse', 'Aperture photometry', 'Inspect frames', 'Frame byte count (command example)', 'Frame checksums (remote example)']);
    expect(registry.get('Frame checksums (remote example)')).toMatchObject({
      kind: 'remote',
      shortName: 'remote_checksums',
      remote: { url: 'http://127.0.0.1:4100', secretEnv: 'REMOTE_EXAMPLE_SECRET', timeLimitSeconds: 600, outputs: [{ glob: '*.csv', outputType: 'DataProduct', dataProductType: 'other', tag: 'remote_checksums' }] },
      params: { pauseMs: expect.objectContaining({ kind: 'integer', default: 0 }) },
    });
    expect(registry.get('Timelapse')!.options).toEqual({ format: 'gif', fps: 10, size: 500 });

    const summary = registry.get('FITS header summary')!;
    expect(summary).toMatchObject({
      name: 'FITS header summary',
      key: 'FITS header summary',
      kind: 'class',
      pipelineClass: HeaderSummaryPipeline,
      shortName: 'header_summary',
      flags: { allHdus: { default: false, longName: 'Summarise every HDU, not just the first image' } },
      allowedSuffixes: ['.fits', '.fit', '.fts', '.fits.gz', '.fits.fz', '.fz'],
      version: '1',
      configHash: sha256('FITS header summary@1'),
    });

    const byteCount = registry.get('Frame byte count (command example)')!;
    const entry = JSON.parse(fs.readFileSync(path.join(REPO, 'pipelines.config.json'), 'utf8')).pipelines['Frame byte count (command example)'];
    expect(byteCount).toMatchObject({
      kind: 'command',
      shortName: 'byte_count',
      flags: { verbose: { default: false, longName: 'Print a line as the file is read' } },
      params: { everyKiB: expect.objectContaining({ kind: 'integer', default: 100, min: 1, max: 10240, unit: 'KiB' }) },
      allowedSuffixes: ['.fits', '.fits.gz', '.fz', '.csv'],
      version: '1',
      configHash: sha256(canonicalJson(entry)),
    });
    expect(byteCount.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(byteCount.pipelineClass.shortName).toBe('byte_count');
  });

  it("gives every pipeline its typed parameters: the builtins', the timelapse's defaults from its options, a command entry's", () => {
    const registry = loadPipelineRegistry(path.join(REPO, 'pipelines.config.json'), BUILTIN_PIPELINES);
    expect(Object.keys(registry.get('Aperture photometry')!.params)).toEqual(['apertureRadius', 'apertureUnit', 'annulusInner', 'annulusOuter', 'comparisonCount']);
    expect(registry.get('Aperture photometry')!.params.comparisonCount).toMatchObject({ kind: 'integer', default: 5, min: 1, max: 10 });
    expect(registry.get('Inspect frames')!.params.saturation).toMatchObject({ kind: 'number', default: null });
    expect(registry.get('FITS header summary')!.params).toEqual({});
    const timelapse = loadPipelineRegistry(writeConfig({ Slow: { module: 'builtin:timelapse', options: { fps: 3, size: 200 } } }), BUILTIN_PIPELINES).get('Slow')!;
    expect(timelapse.params.fps).toMatchObject({ kind: 'integer', default: 3 });
    expect(timelapse.params.size).toMatchObject({ kind: 'integer', default: 200 });
    expect(timelapse.params.format).toMatchObject({ kind: 'choice', default: 'gif' });
    const withParams = loadPipelineRegistry(
      writeConfig({ X: command({ command: ['node', '-e', '0', '--level={param:level}'], params: { level: { kind: 'choice', default: 'low', longName: 'Level', options: [{ value: 'low', label: 'Low' }, { value: 'high', label: 'High' }] } } }) }),
      {},
    ).get('X')!;
    expect(withParams.params.level).toMatchObject({ kind: 'choice', default: 'low' });
    expect(withParams.pipelineClass.params).toBe(withParams.params);
  });

  it('refuses bad parameter declarations at boot, naming the entry and the parameter', () => {
    expect(configError({ X: command({ params: { radius: { kind: 'float', default: 1, longName: 'R' } } }) }).message).toBe(
      'Pipeline "X": parameter "radius": kind must be one of integer, number, choice, text',
    );
    expect(configError({ X: command({ params: { n: { kind: 'integer', default: 20, max: 10, longName: 'N' } } }) }).message).toBe(
      'Pipeline "X": parameter "n": its default is refused (must be at most 10)',
    );
    expect(configError({ X: command({ flags: { n: { default: false, longName: 'F' } }, params: { n: { kind: 'integer', default: 1, longName: 'N' } } }) }).message).toBe(
      'Pipeline "X": parameter "n": a flag has the same name',
    );
    expect(configError({ X: command({ command: ['node', '{param:missing}'] }) }).message).toBe('Pipeline "X": placeholder {param:missing} names an undeclared parameter "missing"');
    expect(configError({ X: command({ params: [] }) }).message).toBe('Pipeline "X": "params" must be an object of parameter name → declaration');
  });

  it("hashes a command entry's canonical JSON: key order does not matter, content does", () => {
    const a = loadPipelineRegistry(writeConfig({ X: { shortName: 'x', command: ['node', '-v'], description: 'd' } }), {}).get('X')!;
    const b = loadPipelineRegistry(writeConfig({ X: { description: 'd', command: ['node', '-v'], shortName: 'x' } }), {}).get('X')!;
    const c = loadPipelineRegistry(writeConfig({ X: { description: 'e', command: ['node', '-v'], shortName: 'x' } }), {}).get('X')!;
    expect(a.configHash).toBe(b.configHash);
    expect(a.configHash).not.toBe(c.configHash);
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null,"d":true}]}');
  });

  it('loads classes from modules relative to the config file: named, module.exports and default exports', async () => {
    const registry = loadPipelineRegistry(
      writeConfig({ Named: './named.js#MyPipeline', Whole: './whole.js', Default: './default.js', Summary: 'builtin:header-summary' }),
      BUILTIN_PIPELINES,
    );
    expect([...registry.values()].map((p) => [p.name, p.kind, p.shortName])).toEqual([
      ['Named', 'class', 'my_pipeline'],
      ['Whole', 'class', 'whole'],
      ['Default', 'class', 'def'],
      ['Summary', 'class', 'header_summary'],
    ]);
    const Named = registry.get('Named')!.pipelineClass;
    await expect(new Named(createTestContext([]).context).doPipeline(dir, {})).resolves.toEqual([]);
    expect(registry.get('Named')!.configHash).toBe(sha256('Named@1'));
  });

  it('passes a class entry\'s options to the class, checked at boot', async () => {
    const registry = loadPipelineRegistry(writeConfig({ Tuned: { module: './with-options.js#Tuned', options: { fps: 5 } } }), BUILTIN_PIPELINES);
    const tuned = registry.get('Tuned')!;
    expect(tuned.options).toEqual({ fps: 5 });
    expect(tuned.configHash).toBe(sha256('Tuned@1:{"fps":5}'));
    const outputs = await new tuned.pipelineClass(createTestContext([], {}, tuned.options).context).doPipeline(dir, {});
    expect(outputs[0].path).toBe('5');

    expect(configError({ Tuned: { module: './with-options.js#Tuned', options: { fps: -1 } } }).message).toBe(
      'Pipeline "Tuned": options: fps must be a number above 0',
    );
    expect(configError({ Named: { module: './named.js#MyPipeline', options: { fps: 5 } } }).message).toContain('takes none');
    expect(configError({ Tuned: { module: './with-options.js#Tuned', option: {} } }).message).toContain('unknown key(s) option');
    expect(configError({ Tuned: { module: 42 } }).message).toContain('"module" must be a string');
  });

  it('refuses an unreadable file, invalid JSON and a file without "pipelines"', () => {
    expect(() => loadPipelineRegistry(path.join(dir, 'missing.json'), {})).toThrow(PipelineConfigError);
    expect(() => loadPipelineRegistry(path.join(dir, 'missing.json'), {})).toThrow(/Cannot read the pipeline config/);
    const invalid = path.join(dir, 'invalid.json');
    fs.writeFileSync(invalid, '{ "pipelines": { "A": "builtin:header-summary", } }');
    expect(() => loadPipelineRegistry(invalid, BUILTIN_PIPELINES)).toThrow(/Cannot read the pipeline config .*invalid\.json/);
    const empty = path.join(dir, 'empty.json');
    fs.writeFileSync(empty, '{ "pipes": {} }');
    expect(() => loadPipelineRegistry(empty, {})).toThrow(/expected \{"pipelines"/);
  });

  it('names the entry for unknown builtins and modules that do not give a pipeline class', () => {
    expect(configError({ Summary: 'builtin:header-summry' }).message).toBe(
      'Pipeline "Summary": unknown builtin "builtin:header-summry" (known: builtin:header-summary, builtin:timelapse, builtin:aperture-photometry, builtin:inspect)',
    );
    expect(configError({ Missing: './nowhere.js#X' }).message).toMatch(/^Pipeline "Missing": module \.\/nowhere\.js not found/);
    expect(configError({ Broken: './broken.js#X' }).message).toMatch(/^Pipeline "Broken": module \.\/broken\.js failed to load: Cannot find module '\.\/does-not-exist-either'/);
    expect(configError({ NoExport: './named.js#OtherPipeline' }).message).toBe('Pipeline "NoExport": module ./named.js has no export "OtherPipeline"');
    expect(configError({ Plain: './plain.js#NotAPipeline' }).message).toBe(
      'Pipeline "Plain": export "NotAPipeline" of module ./plain.js is not a class extending PipelineProcess',
    );
    expect(configError({ Number: './plain.js#answer' }).message).toMatch(/^Pipeline "Number": export "answer" .* is not a class extending PipelineProcess/);
    expect(configError({ NoDefault: './plain.js' }).message).toBe('Pipeline "NoDefault": module ./plain.js is not a class extending PipelineProcess');
    expect(configError({ Weird: 42 }).message).toMatch(/^Pipeline "Weird": expected "builtin:name"/);
  });

  it('checks the static fields of classes', () => {
    expect(configError({ NoName: './bad-statics.js#NoName' }).message).toBe('Pipeline "NoName": shortName is missing or empty');
    expect(configError({ BadFlag: './bad-statics.js#BadFlag' }).message).toBe('Pipeline "BadFlag": flag name "sky level" contains whitespace');
  });

  it('checks shortName', () => {
    expect(configError({ Cmd: { command: ['node', '-v'] } }).message).toBe('Pipeline "Cmd": shortName is missing or empty');
    expect(configError({ Cmd: command({ shortName: '' }) }).message).toBe('Pipeline "Cmd": shortName is missing or empty');
    expect(configError({ Cmd: command({ shortName: 'byte count!' }) }).message).toBe(
      'Pipeline "Cmd": shortName "byte count!" may hold only letters, digits, _ and -',
    );
    expect(configError({ Cmd: command({ shortName: 7 }) }).message).toMatch(/shortName 7 may hold only/);
  });

  it('refuses duplicate shortNames, naming both entries', () => {
    expect(configError({ 'First one': command({ shortName: 'same' }), 'Second one': command({ shortName: 'same' }) }).message).toBe(
      'Pipelines "First one" and "Second one" share the shortName "same"',
    );
    expect(configError({ Builtin: 'builtin:header-summary', Copy: command({ shortName: 'Header_Summary' }) }).message).toMatch(
      /"Builtin" and "Copy" share the shortName/,
    );
  });

  it('checks flags', () => {
    const flag = (name: string, spec: unknown) => configError({ Cmd: command({ flags: { [name]: spec } }) }).message;
    expect(flag('sky level', { default: false, longName: 'x' })).toBe('Pipeline "Cmd": flag name "sky level" contains whitespace');
    expect(flag('2pass', { default: false, longName: 'x' })).toMatch(/^Pipeline "Cmd": flag name "2pass" must start with a letter or _/);
    expect(flag('sky-level', { default: false, longName: 'x' })).toMatch(/flag name "sky-level" must start/);
    expect(flag('sky', { default: 'false', longName: 'x' })).toBe('Pipeline "Cmd": flag "sky" needs a default of true or false (got "false")');
    expect(flag('sky', { longName: 'x' })).toMatch(/flag "sky" needs a default of true or false/);
    expect(flag('sky', { default: true })).toBe('Pipeline "Cmd": flag "sky" needs a longName (the label students see)');
    expect(flag('sky', { default: true, longName: '  ' })).toMatch(/needs a longName/);
    expect(flag('sky', true)).toMatch(/flag "sky" must be an object/);
    expect(configError({ Cmd: command({ flags: ['sky'] }) }).message).toMatch(/flags must be an object/);
  });

  it('checks allowedSuffixes', () => {
    expect(configError({ Cmd: command({ allowedSuffixes: '.fits' }) }).message).toMatch(/^Pipeline "Cmd": allowedSuffixes must be a list of endings starting with '\.'/);
    expect(configError({ Cmd: command({ allowedSuffixes: ['.fits', 'fits.gz'] }) }).message).toMatch(/allowedSuffixes must be a list/);
    expect(configError({ Cmd: command({ allowedSuffixes: ['.fits', 3] }) }).message).toMatch(/allowedSuffixes must be a list/);
  });

  it('checks command', () => {
    const message = 'Pipeline "Cmd": command must be a non-empty list of strings: the program, then its arguments';
    expect(configError({ Cmd: command({ command: 'node script.js' }) }).message).toBe(message);
    expect(configError({ Cmd: command({ command: [] }) }).message).toBe(message);
    expect(configError({ Cmd: command({ command: ['node', 3] }) }).message).toBe(message);
    expect(configError({ Cmd: { shortName: 'cmd' } }).message).toBe(message);
    expect(configError({ Cmd: command({ command: ['node', '{outdir}'] }) }).message).toMatch(/^Pipeline "Cmd": unknown placeholder \{outdir\}/);
    expect(configError({ Cmd: command({ command: ['node', '{flag:verbose}'] }) }).message).toMatch(/^Pipeline "Cmd": placeholder \{flag:verbose\} names an undeclared flag/);
    expect(configError({ Cmd: command({ command: ['node', './script.js'] }) }).message).toMatch(/^Pipeline "Cmd": node resolves \.\/script\.js .* add "cwd": "\."/);
  });

  it('checks remote entries: the address, the name of the secret\'s variable (never a secret), the time limit, outputs, fields', () => {
    const remote = (extra: Record<string, unknown> = {}) => ({ kind: 'remote', shortName: 'far', url: 'https://gpu.example:4100/', secretEnv: 'FAR_SECRET', ...extra });
    const loaded = loadPipelineRegistry(writeConfig({ Far: remote() }), BUILTIN_PIPELINES).get('Far')!;
    expect(loaded).toMatchObject({ kind: 'remote', remote: { url: 'https://gpu.example:4100', secretEnv: 'FAR_SECRET', timeLimitSeconds: 3600, outputs: [] } });
    expect(configError({ Far: remote({ url: 'ftp://gpu.example' }) }).message).toMatch(/^Pipeline "Far": url must be the service's base address/);
    expect(configError({ Far: remote({ url: 'http://gpu.example/?token=1' }) }).message).toMatch(/url must be the service's base address/);
    expect(configError({ Far: remote({ secretEnv: 'sk-live-abc123' }) }).message).toMatch(/secretEnv must name the environment variable/);
    expect(configError({ Far: remote({ timeLimitSeconds: 0 }) }).message).toMatch(/timeLimitSeconds must be a whole number of seconds from 1 to 604800/);
    expect(configError({ Far: remote({ outputs: [{ glob: 'out/*.csv', outputType: 'DataProduct' }] }) }).message).toMatch(/outputs\[0\] needs a glob of file names/);
    expect(configError({ Far: remote({ secret: 'abc' }) }).message).toMatch(/^Pipeline "Far": unknown field\(s\) secret/);
    expect(configError({ Far: remote({ kind: 'grid' }) }).message).toMatch(/unknown kind "grid"/);
  });

  it('checks outputs and the other fields', () => {
    expect(configError({ Cmd: command({ outputs: [{ glob: '*.csv', outputType: 'Photometry' }] }) }).message).toBe(
      'Pipeline "Cmd": outputs[0] has outputType "Photometry"; use "DataProduct" or "ReducedDatum"',
    );
    expect(configError({ Cmd: command({ outputs: [{ glob: '*.csv' }] }) }).message).toMatch(/outputs\[0\] has outputType undefined/);
    expect(configError({ Cmd: command({ outputs: [{ outputType: 'DataProduct' }] }) }).message).toMatch(/outputs\[0\] needs a glob/);
    expect(configError({ Cmd: command({ outputs: [{ glob: '../*.csv', outputType: 'DataProduct' }] }) }).message).toMatch(/relative to the run's temp dir/);
    expect(configError({ Cmd: command({ outputs: { glob: '*.csv' } }) }).message).toMatch(/outputs must be a list/);
    expect(configError({ Cmd: command({ output: [] }) }).message).toMatch(/^Pipeline "Cmd": unknown field\(s\) output/);
    expect(configError({ Cmd: command({ env: { A: 1 } }) }).message).toMatch(/env must be an object of strings/);
    expect(configError({ Cmd: command({ cwd: 5 }) }).message).toBe('Pipeline "Cmd": cwd must be a string');
  });
});
