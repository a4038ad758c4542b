/** Small helpers shared by the benchmarks: percentiles, rounding, tables, waiting. */

export const QUICK = process.env.BENCH_QUICK === '1';

export interface Percentiles {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentiles of `samples` (milliseconds); all zero when there are none. */
export function percentiles(samples: number[]): Percentiles {
  if (!samples.length) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    p50Ms: round(at(50)),
    p99Ms: round(at(99)),
    maxMs: round(sorted[sorted.length - 1]),
    meanMs: round(sum / sorted.length),
  };
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes on one machine. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Prints a titled table; the first column is left-aligned, the others right-aligned. */
export function printTable(title: string, head: string[], rows: Array<Array<string | number>>, notes: string[] = []): void {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(`\n## ${title}\n`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
  for (const note of notes) console.log(`  ${note}`);
}

/** "met" / "missed" beside a figure and its goal. */
export function verdict(met: boolean): string {
  return met ? 'met' : 'missed';
}

/** Progress notes, shown with BENCH_VERBOSE=1. */
export function progress(message: string): void {
  if (process.env.BENCH_VERBOSE === '1') console.log(`  [${new Date().toISOString().slice(11, 23)}] ${message}`);
}
