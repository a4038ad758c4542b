/**
 * The pipeline registry: reads pipelines.config.json, loads each entry (a builtin, a module exporting a class, or a
 * command) and checks it, so that a bad entry stops the portal at start-up with a message naming it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandPipelineSpec, createCommandPipeline } from './command-pipeline';
import { paramSpecProblems, PipelineParamSpecs } from '../pipeline-sdk/pipeline-params';
import { checkWorkflow, CheckedWorkflow } from '../workflows/workflow-definition';
import { AsyncError, isPipelineClass, OutputType, paramSpecsOf, PipelineClass, PipelineFlagSpecs, PipelineProcess } from '../pipeline-sdk/pipeline-process';

export interface RegisteredPipeline {
  /** Display name, as in the config file. */
  name: string;
  /** What runs record to find the pipeline again: the display name. */
  key: string;
  kind: 'class' | 'command' | 'remote';
  /** Class and command pipelines: what the runner instantiates (a remote pipeline's only refuses to run here). */
  pipelineClass: PipelineClass;
  /** Remote pipelines: the service, its secret's variable, how returned files map to outputs, the time limit. */
  remote?: RemoteServiceSpec;
  shortName: string;
  flags: PipelineFlagSpecs;
  /** Typed parameters: the class's (for this entry's options) or the command entry's. */
  params: PipelineParamSpecs;
  allowedSuffixes: string[];
  description: string;
  version: string;
  /** sha256 (hex) of the entry's canonical JSON (command pipelines) or of `${key}@${version}` (classes). */
  configHash: string;
  /** Settings from the config entry (`{"module": ..., "options": {...}}`), checked by the class; {} when none. */
  options: Record<string, unknown>;
}

/** A remote pipeline's service (`"kind": "remote"` entries). */
export interface RemoteServiceSpec {
  /** The service's base URL: tasks are POSTed to `{url}/tasks` and cancelled with DELETE `{url}/tasks/{runId}`. */
  url: string;
  /** The environment variable holding the secret shared with the service (never the secret itself). */
  secretEnv: string;
  /** How long a run may take, in seconds. */
  timeLimitSeconds: number;
  /** Which returned files are taken, by name, and as what; empty: any, as each file's event says. */
  outputs: Array<{ glob: string; outputType: OutputType; dataProductType?: string; tag?: string }>;
}

/** A config file the portal refuses to start with; the message names the entry. */
export class PipelineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineConfigError';
  }
}

const SHORT_NAME = /^[a-z0-9_-]+$/i;
const FLAG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OUTPUT_TYPES: OutputType[] = ['DataProduct', 'ReducedDatum'];
const REMOTE_KEYS = ['kind', 'shortName', 'url', 'secretEnv', 'timeLimitSeconds', 'allowedSuffixes', 'flags', 'params', 'outputs', 'description', 'version'];
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const COMMAND_KEYS = ['shortName', 'command', 'allowedSuffixes', 'flags', 'params', 'outputs', 'description', 'version', 'cwd', 'env'];
const OUTPUT_KEYS = ['glob', 'outputType', 'dataProductType', 'tag'];

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level, so that reordering an entry does not change its hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(entry: string, message: string): never {
  throw new PipelineConfigError(`Pipeline "${entry}": ${message}`);
}

function checkShortName(entry: string, shortName: unknown): string {
  if (shortName === undefined || shortName === null || shortName === '') fail(entry, 'shortName is missing or empty');
  if (typeof shortName !== 'string' || !SHORT_NAME.test(shortName)) {
    fail(entry, `shortName ${JSON.stringify(shortName)} may hold only letters, digits, _ and -`);
  }
  return shortName;
}

function checkFlags(entry: string, flags: unknown): PipelineFlagSpecs {
  if (flags === undefined) return {};
  if (!isPlainObject(flags)) fail(entry, 'flags must be an object: {"name": {"default": false, "longName": "..."}}');
  for (const [name, spec] of Object.entries(flags)) {
    if (/\s/.test(name)) fail(entry, `flag name "${name}" contains whitespace`);
    if (!FLAG_NAME.test(name)) fail(entry, `flag name "${name}" must start with a letter or _ and hold only letters, digits and _`);
    if (!isPlainObject(spec)) fail(entry, `flag "${name}" must be an object with default and longName`);
    if (typeof spec.default !== 'boolean') fail(entry, `flag "${name}" needs a default of true or false (got ${JSON.stringify(spec.default)})`);
    if (typeof spec.longName !== 'string' || !spec.longName.trim()) fail(entry, `flag "${name}" needs a longName (the label students see)`);
  }
  return flags as unknown as PipelineFlagSpecs;
}

function checkParams(entry: string, params: unknown, flags: PipelineFlagSpecs): PipelineParamSpecs {
  const problems = paramSpecProblems(params, Object.keys(flags));
  if (problems.length) fail(entry, problems.join('; '));
  return (params ?? {}) as PipelineParamSpecs;
}

function checkSuffixes(entry: string, suffixes: unknown): string[] {
  if (suffixes === undefined) return [];
  if (!Array.isArray(suffixes) || suffixes.some((suffix) => typeof suffix !== 'string' || !suffix.startsWith('.') || suffix.length < 2)) {
    fail(entry, `allowedSuffixes must be a list of endings starting with '.', like [".fits", ".fits.gz"] (got ${JSON.stringify(suffixes)})`);
  }
  return suffixes as string[];
}

function checkOptionalString(entry: string, field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') fail(entry, `${field} must be a string`);
}

function checkCommandSpec(entry: string, value: Record<string, unknown>): CommandPipelineSpec {
  const unknownKeys = Object.keys(value).filter((key) => !COMMAND_KEYS.includes(key));
  if (unknownKeys.length) fail(entry, `unknown field(s) ${unknownKeys.join(', ')} (known: ${COMMAND_KEYS.join(', ')})`);
  const shortName = checkShortName(entry, value.shortName);
  const { command } = value;
  if (!Array.isArray(command) || !command.length || command.some((part) => typeof part !== 'string') || !String(command[0]).trim()) {
    fail(entry, 'command must be a non-empty list of strings: the program, then its arguments');
  }
  const flags = checkFlags(entry, value.flags);
  const params = checkParams(entry, value.params, flags);
  const allowedSuffixes = checkSuffixes(entry, value.allowedSuffixes);
  checkOutputs(entry, value.outputs, (where, glob) =>
    !glob.trim() ? `${where} needs a glob such as "*.csv"` : glob.startsWith('/') || glob.split('/').includes('..') ? `${where}: the glob must be relative to the run's temp dir` : null,
  );
  checkOptionalString(entry, 'description', value.description);
  checkOptionalString(entry, 'version', value.version);
  checkOptionalString(entry, 'cwd', value.cwd);
  if (value.env !== undefined && (!isPlainObject(value.env) || Object.values(value.env).some((v) => typeof v !== 'string'))) {
    fail(entry, 'env must be an object of strings: {"NAME": "value"}');
  }
  return { ...(value as unknown as CommandPipelineSpec), shortName, command: command as string[], flags, params, allowedSuffixes };
}

/**
 * An entry's `outputs`: a list of `{glob, outputType, dataProductType?, tag?}`. `globProblem` says what the kind
 * refuses in a glob (a command's are paths in its temp dir, a remote service's are file names).
 */
function checkOutputs(entry: string, outputs: unknown, globProblem: (where: string, glob: string) => string | null): RemoteServiceSpec['outputs'] {
  if (outputs === undefined) return [];
  if (!Array.isArray(outputs)) fail(entry, 'outputs must be a list of {"glob": "*.csv", "outputType": "DataProduct"}');
  for (const [i, output] of outputs.entries()) {
    const where = `outputs[${i}]`;
    if (!isPlainObject(output)) fail(entry, `${where} must be an object with glob and outputType`);
    const extra = Object.keys(output).filter((key) => !OUTPUT_KEYS.includes(key));
    if (extra.length) fail(entry, `${where}: unknown field(s) ${extra.join(', ')} (known: ${OUTPUT_KEYS.join(', ')})`);
    if (typeof output.glob !== 'string') fail(entry, `${where} needs a glob such as "*.csv"`);
    const problem = globProblem(where, output.glob);
    if (problem) fail(entry, problem);
    if (!OUTPUT_TYPES.includes(output.outputType as OutputType)) {
      fail(entry, `${where} has outputType ${JSON.stringify(output.outputType)}; use "DataProduct" or "ReducedDatum"`);
    }
    checkOptionalString(entry, `${where}.dataProductType`, output.dataProductType);
    checkOptionalString(entry, `${where}.tag`, output.tag);
  }
  return outputs as RemoteServiceSpec['outputs'];
}

/** A remote entry: the service's URL, the name of its secret's variable (never the secret), a time limit. */
function checkRemoteSpec(entry: string, value: Record<string, unknown>) {
  const unknownKeys = Object.keys(value).filter((key) => !REMOTE_KEYS.includes(key));
  if (unknownKeys.length) fail(entry, `unknown field(s) ${unknownKeys.join(', ')} (known: ${REMOTE_KEYS.join(', ')})`);
  const shortName = checkShortName(entry, value.shortName);
  let url: URL | undefined;
  try {
    url = new URL(String(value.url ?? ''));
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    fail(entry, `url must be the service's base address, like "http://gpu-box.school.example:4100" (got ${JSON.stringify(value.url)})`);
  }
  if (typeof value.secretEnv !== 'string' || !ENV_NAME.test(value.secretEnv)) {
    fail(entry, 'secretEnv must name the environment variable that holds the shared secret, like "REMOTE_SECRET" (the secret never goes in this file)');
  }
  const limit = value.timeLimitSeconds ?? 3600;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 7 * 24 * 3600) fail(entry, 'timeLimitSeconds must be a whole number of seconds from 1 to 604800');
  const flags = checkFlags(entry, value.flags);
  const params = checkParams(entry, value.params, flags);
  const allowedSuffixes = checkSuffixes(entry, value.allowedSuffixes);
  checkOptionalString(entry, 'description', value.description);
  checkOptionalString(entry, 'version', value.version);
  const remote: RemoteServiceSpec = { url: url.href.replace(/\/+$/, ''), secretEnv: value.secretEnv, timeLimitSeconds: limit, outputs: checkOutputs(entry, value.outputs, (where, glob) => (!glob.trim() || glob.includes('/') ? `${where} needs a glob of file names such as "*.csv"` : null)) };
  return { shortName, flags, params, allowedSuffixes, remote, description: (value.description as string | undefined) ?? '', version: (value.version as string | undefined) ?? '1' };
}

/** What a remote pipeline's class does if anything tries to run it here: the runner hands remote runs to their service. */
function remotePipelineClass(entry: string, spec: ReturnType<typeof checkRemoteSpec>): PipelineClass {
  class RemotePipeline extends PipelineProcess {
    static shortName = spec.shortName;
    static flags = spec.flags;
    static params = spec.params;
    static allowedSuffixes = spec.allowedSuffixes;
    static description = spec.description;
    static version = spec.version;
    async doPipeline(): Promise<never> {
      throw new AsyncError(`${entry} runs on its service, not in this process`);
    }
  }
  return RemotePipeline;
}

function loadClass(entry: string, reference: string, baseDir: string, builtins: Record<string, PipelineClass>): PipelineClass {
  if (reference.startsWith('builtin:')) {
    const builtinName = reference.slice('builtin:'.length);
    if (!Object.prototype.hasOwnProperty.call(builtins, builtinName)) {
      fail(entry, `unknown builtin "${reference}" (known: ${Object.keys(builtins).map((b) => `builtin:${b}`).join(', ') || 'none'})`);
    }
    return builtins[builtinName];
  }
  const hash = reference.lastIndexOf('#');
  const modulePath = hash >= 0 ? reference.slice(0, hash) : reference;
  const exportName = hash >= 0 ? reference.slice(hash + 1) : undefined;
  if (!modulePath.trim()) fail(entry, `"${reference}" names no module; use "builtin:name" or "./path/module.js#ExportName"`);
  if (exportName !== undefined && !exportName) fail(entry, `"${reference}" has an empty export name after '#'`);
  const resolved = path.resolve(baseDir, modulePath);
  try {
    require.resolve(resolved);
  } catch {
    fail(entry, `module ${modulePath} not found (looked for ${resolved})`);
  }
  let loaded: unknown;
  try {
    loaded = require(resolved);
  } catch (error) {
    fail(entry, `module ${modulePath} failed to load: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
  }
  let candidate: unknown;
  if (exportName !== undefined) {
    if (!isPlainObject(loaded) && typeof loaded !== 'function') fail(entry, `module ${modulePath} exports nothing named "${exportName}"`);
    if (!(exportName in (loaded as object))) fail(entry, `module ${modulePath} has no export "${exportName}"`);
    candidate = (loaded as Record<string, unknown>)[exportName];
  } else {
    candidate = isPipelineClass(loaded) ? loaded : (loaded as { default?: unknown } | null)?.default;
  }
  if (!isPipelineClass(candidate)) {
    fail(entry, `${exportName ? `export "${exportName}" of ` : ''}module ${modulePath} is not a class extending PipelineProcess`);
  }
  return candidate;
}

function checkClassStatics(entry: string, pipelineClass: PipelineClass, options: Record<string, unknown> = {}): PipelineParamSpecs {
  checkShortName(entry, pipelineClass.shortName);
  const flags = checkFlags(entry, pipelineClass.flags);
  let params: unknown;
  try {
    params = paramSpecsOf(pipelineClass, options);
  } catch (error) {
    fail(entry, `static params: ${(error as Error).message}`);
  }
  checkSuffixes(entry, pipelineClass.allowedSuffixes);
  if (typeof pipelineClass.version !== 'string' || !pipelineClass.version) fail(entry, 'static version must be a non-empty string');
  if (typeof pipelineClass.description !== 'string') fail(entry, 'static description must be a string');
  return checkParams(entry, params, flags);
}

/**
 * Reads and validates the config file; any problem is a PipelineConfigError naming the entry.
 * Module paths and a command's `cwd` and `./program` resolve against the config file's folder.
 */
export function loadPipelineRegistry(configPath: string, builtins: Record<string, PipelineClass>): Map<string, RegisteredPipeline> {
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new PipelineConfigError(`Cannot read the pipeline config ${configPath}: ${(error as Error).message}`);
  }
  if (!isPlainObject(config) || !isPlainObject(config.pipelines)) {
    throw new PipelineConfigError(`${configPath}: expected {"pipelines": {"Display name": ...}}`);
  }
  const baseDir = path.dirname(path.resolve(configPath));
  const registry = new Map<string, RegisteredPipeline>();
  const byShortName = new Map<string, string>();
  for (const [name, value] of Object.entries(config.pipelines)) {
    if (!name.trim()) throw new PipelineConfigError(`${configPath}: a pipeline has an empty display name`);
    let pipelineClass: PipelineClass;
    let kind: 'class' | 'command' | 'remote';
    let remote: RemoteServiceSpec | undefined;
    let configHash: string;
    let options: Record<string, unknown> = {};
    let params: PipelineParamSpecs;
    if (typeof value === 'string') {
      pipelineClass = loadClass(name, value, baseDir, builtins);
      params = checkClassStatics(name, pipelineClass);
      kind = 'class';
      configHash = sha256(`${name}@${pipelineClass.version}`);
    } else if (isPlainObject(value) && 'module' in value) {
      const unknownKeys = Object.keys(value).filter((key) => key !== 'module' && key !== 'options');
      if (unknownKeys.length) fail(name, `unknown key(s) ${unknownKeys.join(', ')} (a class entry has "module" and "options")`);
      if (typeof value.module !== 'string') fail(name, '"module" must be a string such as "builtin:timelapse"');
      if (value.options !== undefined && !isPlainObject(value.options)) fail(name, '"options" must be an object');
      pipelineClass = loadClass(name, value.module, baseDir, builtins);
      options = (value.options as Record<string, unknown> | undefined) ?? {};
      if (typeof pipelineClass.checkOptions === 'function') {
        let problem: string | void;
        try {
          problem = pipelineClass.checkOptions(options);
        } catch (error) {
          problem = (error as Error).message;
        }
        if (problem) fail(name, `options: ${problem}`);
      } else if (Object.keys(options).length) {
        fail(name, `options given, but ${value.module} takes none`);
      }
      // After the options are known good: parameters may take their defaults from them.
      params = checkClassStatics(name, pipelineClass, options);
      kind = 'class';
      configHash = sha256(`${name}@${pipelineClass.version}:${canonicalJson(options)}`);
    } else if (isPlainObject(value) && value.kind === 'remote') {
      const spec = checkRemoteSpec(name, value);
      params = spec.params;
      pipelineClass = remotePipelineClass(name, spec);
      remote = spec.remote;
      kind = 'remote';
      configHash = sha256(canonicalJson(value));
    } else if (isPlainObject(value)) {
      if (value.kind !== undefined) fail(name, `unknown kind ${JSON.stringify(value.kind)} (an object entry is a command, or "kind": "remote")`);
      const spec = checkCommandSpec(name, value);
      params = spec.params ?? {};
      try {
        pipelineClass = createCommandPipeline(name, spec, baseDir);
      } catch (error) {
        fail(name, (error as Error).message);
      }
      kind = 'command';
      configHash = sha256(canonicalJson(value));
    } else {
      fail(name, 'expected "builtin:name", "./module.js#ExportName" or a command pipeline object');
    }
    const shortName = pipelineClass.shortName;
    const clash = byShortName.get(shortName.toLowerCase());
    if (clash !== undefined) throw new PipelineConfigError(`Pipelines "${clash}" and "${name}" share the shortName "${shortName}"`);
    byShortName.set(shortName.toLowerCase(), name);
    registry.set(name, {
      name,
      key: name,
      kind,
      pipelineClass,
      shortName,
      flags: pipelineClass.flags ?? {},
      params,
      allowedSuffixes: pipelineClass.allowedSuffixes ?? [],
      description: pipelineClass.description ?? '',
      version: pipelineClass.version ?? '1',
      configHash,
      options,
      ...(remote ? { remote } : {}),
    });
  }
  return registry;
}

/** A workflow declared in the config file (`"workflows": {"Display name": {"shortName": ..., "steps": [...]}}`), checked. */
export interface ConfigWorkflow {
  name: string;
  workflow: CheckedWorkflow;
}

/**
 * The config file's workflows, each checked against the registered pipelines: a problem stops the portal at
 * start-up with a message naming the workflow and the field, as for pipelines.
 */
export function loadConfigWorkflows(configPath: string, pipelines: Map<string, RegisteredPipeline>): ConfigWorkflow[] {
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as { workflows?: unknown };
  if (config.workflows === undefined) return [];
  if (!isPlainObject(config.workflows)) throw new PipelineConfigError(`${configPath}: "workflows" must be an object of display name → workflow`);
  return Object.entries(config.workflows).map(([name, raw]) => {
    if (!name.trim() || name.length > 100) throw new PipelineConfigError(`${configPath}: a workflow's display name must be 1 to 100 characters`);
    if (pipelines.has(name)) throw new PipelineConfigError(`Workflow "${name}": a pipeline has that name`);
    const checked = checkWorkflow(raw, (stepName) => pipelines.get(stepName));
    if (checked.problems) {
      throw new PipelineConfigError(`Workflow "${name}": ${Object.entries(checked.problems).map(([field, problem]) => `${field}: ${problem}`).join('; ')}`);
    }
    const clash = [...pipelines.values()].find((pipeline) => pipeline.shortName.toLowerCase() === checked.workflow.shortName.toLowerCase());
    if (clash) throw new PipelineConfigError(`Workflow "${name}" and pipeline "${clash.name}" share the shortName "${checked.workflow.shortName}"`);
    return { name, workflow: checked.workflow };
  });
}
