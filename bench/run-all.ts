/**
 * `npm run bench`: every benchmark of issue 6 in turn — FITS (bench:fits, in its own processes), worker memory,
 * the event loop under heavy image work (issue 12), dispatch, log latency, pages, a class starting runs at once (issue 14) — printing a table per section with the goal beside each figure, and writing
 * bench/results/latest.json. Runs on the embedded default, or on DATABASE_URL + REDIS_URL when both are set (it
 * empties that database's tables, as the tests do). BENCH_QUICK=1: fewer iterations, same shape.
 * BENCH_ONLY=dispatch,pages runs some sections only. A slow figure never fails the run; an error does.
 *
 * Each section runs in a process of its own (this file with `--section NAME`) on a fresh embedded pair or scratch
 * DATA_DIR: sections do not share an event loop or a heap, and an app closed while Bull consumers on the embedded
 * Redis were running several jobs at once (which can leave one blocked there) ends with its process.
 */
import { fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { PROJECT_ROOT } from '../src/config/paths';
import { printClassroom, runClassroom } from './classroom.bench';
import { printDispatch, runDispatch } from './dispatch.bench';
import { printEventLoop, runEventLoop } from './event-loop.bench';
import { BenchEnv, startBenchEnv } from './lib/bench-portal';
import { QUICK } from './lib/stats';
import { printLogLatency, runLogLatency } from './log-latency.bench';
import { printMemory, runMemory } from './memory.bench';
import { printPages, runPages } from './pages.bench';

const RESULTS = path.join(PROJECT_ROOT, 'bench', 'results');
const SECTIONS = ['fits', 'memory', 'eventLoop', 'dispatch', 'logLatency', 'pages', 'classroom'] as const;
type Section = (typeof SECTIONS)[number];

const RUNNERS: Record<Exclude<Section, 'fits'>, { run(env: BenchEnv): Promise<unknown>; print(result: any): void }> = {
  memory: { run: runMemory, print: printMemory },
  eventLoop: { run: runEventLoop, print: printEventLoop },
  dispatch: { run: runDispatch, print: printDispatch },
  logLatency: { run: runLogLatency, print: printLogLatency },
  pages: { run: runPages, print: printPages },
  classroom: { run: runClassroom, print: printClassroom },
};

/** bench:fits in quick or full mode as asked, in its own processes; its results come back through fits.json. */
function runFits(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'bench', 'fits-bench.js')], { stdio: 'inherit', env: process.env });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench:fits exited with ${code}`));
      resolve(JSON.parse(fs.readFileSync(path.join(RESULTS, 'fits.json'), 'utf8')));
    });
  });
}

/** One section in a child process; resolves with its result. */
function runSectionProcess(name: Exclude<Section, 'fits'>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--section', name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: { ok: boolean; result?: unknown; error?: string } | undefined;
    child.on('message', (message) => (reply = message as typeof reply));
    child.on('exit', (code) => {
      if (reply?.ok) resolve(reply.result);
      else reject(new Error(reply?.error ?? `the ${name} process exited with ${code}`));
    });
  });
}

/** The child side: run the section, send the result, then close and exit whatever the closing throws. */
async function sectionChild(name: Exclude<Section, 'fits'>): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const env = await startBenchEnv();
  let reply: { ok: boolean; result?: unknown; error?: string };
  try {
    reply = { ok: true, result: await RUNNERS[name].run(env) };
  } catch (error) {
    console.error(`  ${name}: ${(error as Error).stack}`);
    reply = { ok: false, error: (error as Error).message };
  }
  await new Promise<void>((resolve) => process.send!(reply, () => resolve()));
  const quiet = (error: unknown) => console.warn(`  (${name}, while shutting down: ${(error as Error)?.message ?? error})`);
  process.on('uncaughtException', quiet);
  process.on('unhandledRejection', quiet);
  await env.close().catch(quiet);
  process.exit(0);
}

async function main() {
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : [...SECTIONS];
  const unknown = only.filter((name) => !SECTIONS.includes(name as Section));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  const began = Date.now();
  const mode = process.env.DATABASE_URL && process.env.REDIS_URL ? 'servers' : 'embedded';
  const results: Record<string, unknown> = {
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryMb: Math.round(os.totalmem() / 1024 / 1024),
      node: process.version,
      mode,
      loadAverageAtStart: os.loadavg().map((value) => Number(value.toFixed(2))),
    },
    quick: QUICK,
    at: new Date().toISOString(),
  };
  console.log(`Benchmarks (${mode}${QUICK ? ', quick' : ''}) on ${os.cpus().length} cores, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`);
  const failures: string[] = [];
  for (const name of SECTIONS) {
    if (!only.includes(name)) continue;
    const start = Date.now();
    console.log(`\n… ${name}`);
    try {
      const result = name === 'fits' ? await runFits() : await runSectionProcess(name);
      results[name] = result;
      if (name !== 'fits') RUNNERS[name].print(result);
      console.log(`  (${((Date.now() - start) / 1000).toFixed(0)} s)`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
      results[name] = { error: (error as Error).message };
      console.error(`  ${name} failed: ${(error as Error).message}`);
    }
  }

  results.totalSeconds = Math.round((Date.now() - began) / 1000);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`\nDone (${mode}${QUICK ? ', quick' : ''}): ${only.join(', ')} in ${results.totalSeconds} s; written to bench/results/latest.json`);
  if (failures.length) {
    console.error(`\n${failures.length} section(s) failed:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === '--section') {
  sectionChild(process.argv[3] as Exclude<Section, 'fits'>).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
