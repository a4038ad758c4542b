/**
 * Command pipelines: a program declared in the config file, run without a shell in its own process group.
 * Its stdout and stderr become the run's log, cancel stops the whole group, and the files it leaves in the run's
 * temp dir that match the declared globs become the outputs.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { isFitsFileName } from '../fits';
import { FrameReader } from '../teaching-pipelines/frames';
import {
  AsyncError,
  CancelledError,
  OutputType,
  PipelineClass,
  PipelineFlagSpecs,
  PipelineFlagValues,
  PipelineOutput,
  PipelineProcess,
} from '../pipeline-sdk/pipeline-process';
import { paramArgument, PipelineParamSpecs, PipelineParamValues } from '../pipeline-sdk/pipeline-params';

/** A pipeline declared wholly in the config file: a command line, its flags and which files it leaves behind. */
export interface CommandPipelineSpec {
  shortName: string;
  /** argv: the program, then its arguments, with placeholders (see `validateCommand`). Never run through a shell. */
  command: string[];
  allowedSuffixes?: string[];
  flags?: PipelineFlagSpecs;
  /** Typed parameters, passed with `{param:name}`. */
  params?: PipelineParamSpecs;
  /** Files in the temp dir to keep, by glob relative to it (`*`, `?`, `**` + `/`). */
  outputs?: Array<{ glob: string; outputType: OutputType; dataProductType?: string; tag?: string }>;
  description?: string;
  /** Recorded with each run; '1' when absent. */
  version?: string;
  /** Working directory, relative to the config file's folder; the run's temp dir when absent. */
  cwd?: string;
  /** Extra environment variables, on top of the portal's own. */
  env?: Record<string, string>;
}

/** Time between SIGTERM and SIGKILL when a run is cancelled. */
export const KILL_GRACE_MS = 3000;
/** A line longer than this (no newline in sight) is logged in pieces. */
const MAX_LINE_LENGTH = 64 * 1024;
const STDERR_TAIL_LINES = 5;

/** `{word}` or `{word:anything}`; other braces (`{}`, `{ a: 1 }`) are left alone. */
const PLACEHOLDER = /\{([A-Za-z]+)(?::([^{}]*))?\}/g;
const FLAG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER_HELP = 'known: {tmpdir}, {input}, {inputs}, {flag:name}, {flagvalue:name}, {param:name}';

/**
 * Checks every placeholder of a command line: `{tmpdir}`, `{input}` (the first input's path), `{inputs}` (a whole
 * argument: one argument per input), `{flag:name}` (a whole argument: `--name` when on, nothing when off),
 * `{flagvalue:name}` (`true`/`false`) and `{param:name}` (the parameter's value, inside one argument; a whole
 * argument that is only `{param:name}` is left out when an optional parameter has no value). Throws an Error
 * describing the first problem.
 */
export function validateCommand(command: string[], flags: PipelineFlagSpecs, params: PipelineParamSpecs = {}): void {
  if (!Array.isArray(command) || !command.length || command.some((part) => typeof part !== 'string')) {
    throw new Error('command must be a non-empty list of strings (the program, then its arguments)');
  }
  if (!command[0].trim()) throw new Error('the first element of command (the program) is empty');
  for (const element of command) {
    for (const match of element.matchAll(PLACEHOLDER)) {
      const [whole, kind, name] = match;
      if ((kind === 'tmpdir' || kind === 'input' || kind === 'inputs') && name === undefined) {
        if (kind === 'inputs' && element !== whole) throw new Error(`${whole} must be a whole argument, not part of "${element}"`);
        continue;
      }
      if ((kind === 'flag' || kind === 'flagvalue') && name !== undefined) {
        if (!FLAG_NAME.test(name)) throw new Error(`placeholder ${whole}: "${name}" is not a valid flag name`);
        if (!Object.prototype.hasOwnProperty.call(flags, name)) throw new Error(`placeholder ${whole} names an undeclared flag "${name}"`);
        if (kind === 'flag' && element !== whole) throw new Error(`${whole} must be a whole argument, not part of "${element}"`);
        continue;
      }
      if (kind === 'param' && name !== undefined) {
        if (!Object.prototype.hasOwnProperty.call(params, name)) throw new Error(`placeholder ${whole} names an undeclared parameter "${name}"`);
        continue;
      }
      throw new Error(`unknown placeholder ${whole} in "${element}" (${PLACEHOLDER_HELP})`);
    }
  }
}

/**
 * The argv for one run: placeholders replaced, `{inputs}` expanded to one argument per input, `{flag:x}` turned
 * into `--x` or dropped, `{param:x}` replaced by the value within its one argument (never split, never a shell's).
 * Substituted paths and values are never scanned again, so a file name or a value cannot inject placeholders.
 */
export function buildArgv(
  command: string[],
  tmpdir: string,
  inputs: string[],
  flags: PipelineFlagValues,
  specs: PipelineFlagSpecs = {},
  params: PipelineParamValues = {},
): string[] {
  const flagValue = (name: string) => flags[name] ?? specs[name]?.default ?? false;
  const argv: string[] = [];
  for (const element of command) {
    if (element === '{inputs}') {
      argv.push(...inputs);
      continue;
    }
    const alone = /^\{param:([^{}]*)\}$/.exec(element);
    if (alone && (params[alone[1]] ?? null) === null) continue;
    const flag = /^\{flag:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(element);
    if (flag) {
      if (flagValue(flag[1])) argv.push(`--${flag[1]}`);
      continue;
    }
    argv.push(
      element.replace(PLACEHOLDER, (whole: string, kind: string, name: string | undefined) => {
        if (kind === 'tmpdir' && name === undefined) return tmpdir;
        if (kind === 'input' && name === undefined) return inputs[0] ?? '';
        if (kind === 'flagvalue' && name !== undefined) return String(Boolean(flagValue(name)));
        if (kind === 'param' && name !== undefined) return paramArgument(params[name] ?? null);
        return whole;
      }),
    );
  }
  return argv;
}

/** A glob (`*`, `?`, `**` + `/`, a final `**`) as a regular expression over '/'-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*' && (glob[i + 2] === '/' || i + 2 === glob.length) && (i === 0 || glob[i - 1] === '/')) {
      if (glob[i + 2] === '/') {
        source += '(?:[^/]+/)*'; // zero or more directories
        i += 2;
      } else {
        source += '.*'; // a final '**': everything below
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Does the '/'-separated relative path match the glob? */
export function matchGlob(glob: string, relativePath: string): boolean {
  return globToRegExp(glob).test(relativePath);
}

/** Regular files under `dir` as sorted '/'-separated relative paths; symbolic links are skipped. */
export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (current: string, prefix: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(current, entry.name), relative);
      else if (entry.isFile()) files.push(relative);
    }
  };
  walk(dir, '');
  return files.sort();
}

/**
 * The files under `dir` matching each glob, in glob order, each glob's matches sorted; a file matched by several
 * globs is listed once, for the first.
 */
export function matchOutputs<T extends { glob: string }>(dir: string, outputs: T[]): Array<{ file: string; output: T }> {
  const files = listFiles(dir);
  const taken = new Set<string>();
  const matches: Array<{ file: string; output: T }> = [];
  for (const output of outputs) {
    const pattern = globToRegExp(output.glob);
    for (const file of files) {
      if (taken.has(file) || !pattern.test(file)) continue;
      taken.add(file);
      matches.push({ file, output });
    }
  }
  return matches;
}

/** Splits a stream into lines (\n or \r\n, UTF-8 safe across chunks); `flush` hands over a last partial line. */
function lineSplitter(onLine: (line: string) => void) {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const take = (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    while (pending.length > MAX_LINE_LENGTH) {
      onLine(pending.slice(0, MAX_LINE_LENGTH));
      pending = pending.slice(MAX_LINE_LENGTH);
    }
  };
  return {
    push: (chunk: Buffer) => take(decoder.write(chunk)),
    flush() {
      take(decoder.end());
      if (pending) onLine(pending.endsWith('\r') ? pending.slice(0, -1) : pending);
      pending = '';
    },
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Is any process of the group still running? Zombies (dead, waiting to be reaped; orphans stay so where PID 1 does
 * not reap) do not count. Uses /proc where there is one; elsewhere any member, zombie or not, counts.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the group has no running process, or the deadline (a Date.now() value) passes. */
async function waitForGroupExit(pgid: number, deadline: number): Promise<boolean> {
  while (processGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
  return true;
}

export interface RunCommandOptions {
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onStdout(line: string): void;
  onStderr(line: string): void;
  /** Between SIGTERM and SIGKILL on cancel (default KILL_GRACE_MS). */
  graceMs?: number;
}

export interface RunCommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The signal aborted while the command ran; its whole process group has been stopped. */
  cancelled: boolean;
}

/**
 * Runs a program without a shell, as the leader of a new process group, streaming its output line by line.
 * When `signal` aborts: SIGTERM to the group, SIGKILL after `graceMs` if anything is still running; resolves once
 * the group is gone. When the program exits by itself, processes it left behind in its group are stopped too.
 * Rejects with the spawn error (ENOENT, EACCES, ...) if the program could not be started.
 */
export function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const graceMs = options.graceMs ?? KILL_GRACE_MS;
  return new Promise<RunCommandResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(options.program, options.args, {
        cwd: options.cwd,
        env: options.env,
        detached: true, // its own process group, so a cancel reaches its children too
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false,
      });
    } catch (error) {
      reject(error);
      return;
    }
    const pgid = child.pid;
    const out = lineSplitter(options.onStdout);
    const err = lineSplitter(options.onStderr);
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));

    let settled = false;
    let cancelledAt: number | undefined;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, action: () => void) => {
      const timer = setTimeout(action, ms);
      timer.unref();
      timers.push(timer);
    };
    const cleanUp = () => {
      options.signal.removeEventListener('abort', onAbort);
      for (const timer of timers) clearTimeout(timer);
    };
    const finish = (code: number | null, exitSignal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      out.flush();
      err.flush();
      const cancelled = cancelledAt !== undefined;
      if (!cancelled || pgid === undefined) {
        cleanUp();
        resolve({ code, signal: exitSignal, cancelled });
        return;
      }
      // Cancelled: wait for the rest of the group, up to the grace period, then kill what is left.
      void (async () => {
        if (!(await waitForGroupExit(pgid, cancelledAt! + graceMs))) {
          signalGroup(pgid, 'SIGKILL');
          await waitForGroupExit(pgid, Date.now() + 1000);
        }
        cleanUp();
        resolve({ code, signal: exitSignal, cancelled });
      })();
    };
    // If a process that escaped the group still holds our pipes, 'close' never comes: stop reading and finish.
    const abandonPipes = (code: number | null, exitSignal: NodeJS.Signals | null) => {
      child.stdout!.destroy();
      child.stderr!.destroy();
      finish(code, exitSignal);
    };

    function onAbort() {
      if (cancelledAt !== undefined || settled || pgid === undefined) return;
      cancelledAt = Date.now();
      signalGroup(pgid, 'SIGTERM');
      later(graceMs, () => signalGroup(pgid, 'SIGKILL'));
      later(graceMs + 2000, () => abandonPipes(child.exitCode, child.signalCode));
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();

    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      cleanUp();
      if (pgid !== undefined) signalGroup(pgid, 'SIGKILL');
      reject(error);
    });
    child.on('exit', (code, exitSignal) => {
      if (cancelledAt !== undefined || pgid === undefined) return;
      // The program is done; anything it left running in its group goes too.
      if (processGroupAlive(pgid)) {
        signalGroup(pgid, 'SIGTERM');
        // Not cleared when the run finishes: whatever ignores SIGTERM is killed after the grace period.
        setTimeout(() => processGroupAlive(pgid) && signalGroup(pgid, 'SIGKILL'), graceMs).unref();
      }
      later(graceMs + 2000, () => abandonPipes(code, exitSignal));
    });
    child.on('close', (code, exitSignal) => finish(code, exitSignal));
  });
}

function resolveProgram(program: string, baseDir: string): string {
  if (program === 'node') return process.execPath;
  if (program.startsWith('./') || program.startsWith('../')) return path.resolve(baseDir, program);
  return program;
}

/** A PipelineProcess class running `spec.command`; placeholders are checked here (an Error for a bad one). */
export function createCommandPipeline(name: string, spec: CommandPipelineSpec, baseDir: string): PipelineClass {
  const flags = spec.flags ?? {};
  const params = spec.params ?? {};
  validateCommand(spec.command, flags, params);
  const command = [...spec.command];
  if (command[0] === 'node' && spec.cwd === undefined && /^\.\.?\//.test(command[1] ?? '')) {
    // node would look for the script in the run's temp dir, which starts empty.
    throw new Error(`node resolves ${command[1]} against its working directory, the run's empty temp dir when cwd is not set; add "cwd": "." to run it from the config file's folder`);
  }
  const outputs = (spec.outputs ?? []).map((output) => ({ ...output }));
  const program = resolveProgram(command[0], baseDir);
  const cwd = spec.cwd !== undefined ? path.resolve(baseDir, spec.cwd) : undefined;
  const env = { ...(spec.env ?? {}) };

  class CommandPipeline extends PipelineProcess {
    static shortName = spec.shortName;
    static allowedSuffixes = [...(spec.allowedSuffixes ?? [])];
    static flags = flags;
    static params = params;
    static description = spec.description ?? '';
    static version = spec.version ?? '1';

    async doPipeline(tmpdir: string, values: PipelineFlagValues, given?: PipelineParamValues): Promise<PipelineOutput[]> {
      this.throwIfCancelled();
      // The run's pixel budgets hold for every pipeline: FITS inputs are checked from their headers before the
      // program starts (a program reading a 10^10-pixel bomb would take the worker's machine down with it).
      const fitsInputs = this.inputs.filter((input) => isFitsFileName(input.originalName));
      if (fitsInputs.length) await new FrameReader(this.context.limits).checkRun(fitsInputs, { skipUnreadable: true });
      const argv = buildArgv(command, tmpdir, this.inputs.map((input) => input.path), values, flags, this.withDefaults(given));
      const workDir = cwd ?? tmpdir;
      if (!fs.statSync(workDir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new AsyncError(`The pipeline's working directory does not exist: ${spec.cwd}`);
      }
      // The template, not the argv: server paths stay out of the log students read.
      this.log(`Running ${command.join(' ')} on ${this.inputs.length} input(s)`, 'debug');
      const stderrTail: string[] = [];
      let result: RunCommandResult;
      try {
        result = await runCommand({
          program,
          args: argv.slice(1),
          cwd: workDir,
          env: { ...process.env, ...env, PIPELINE_TMPDIR: tmpdir },
          signal: this.signal,
          onStdout: (line) => this.log(line, 'info'),
          onStderr: (line) => {
            if (line.trim()) {
              stderrTail.push(line);
              if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
            }
            this.log(line, 'warning');
          },
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new AsyncError(`Command not found: ${command[0]}`);
        if (code === 'EACCES') throw new AsyncError(`Command is not executable: ${command[0]}`);
        throw error;
      }
      if (result.cancelled || this.signal.aborted) throw new CancelledError();
      if (result.code !== 0) {
        const how = result.code === null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
        throw new AsyncError(`Command ${how}${stderrTail.length ? `:\n${stderrTail.join('\n')}` : ''}`);
      }
      return matchOutputs(tmpdir, outputs).map(({ file, output }) => {
        const produced: PipelineOutput = { path: path.join(tmpdir, ...file.split('/')), outputType: output.outputType };
        if (output.dataProductType !== undefined) produced.dataProductType = output.dataProductType;
        if (output.tag !== undefined) produced.tag = output.tag;
        return produced;
      });
    }
  }
  Object.defineProperty(CommandPipeline, 'name', { value: `CommandPipeline(${name})` });
  return CommandPipeline;
}
