/**
 * `npm run bench:fits`: times the FITS path (reading, zscale, previews, timelapses) on the sample files and on a
 * generated 4096×4096 float32 frame. Each case runs in its own child process (a long-lived worker's situation:
 * warmed up, modules loaded), repeated; the table gives the median and the process's peak RSS.
 * BENCH_QUICK=1 runs fewer repetitions. Results also go to bench/results/fits.json.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/config/paths';
import * as fits from '../src/fits';
import { encodePng } from '../src/imaging';
import { TimelapsePipeline } from '../src/teaching-pipelines/timelapse.pipeline';
import { createTestContext } from '../src/pipeline-sdk/testing';
import { renderFrame } from '../src/imaging/fits-rendering';

const ROOT = PROJECT_ROOT;
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const QUICK = process.env.BENCH_QUICK === '1';
const REPEATS = QUICK ? 3 : 9;
const WARMUPS = QUICK ? 1 : 2;
const BIG_SIDE = 4096;

interface CaseResult {
  name: string;
  medianMs: number;
  minMs: number;
  runs: number;
  peakRssMb: number;
  baselineRssMb: number;
}

const m13 = [1, 2, 3, 4, 5].map((n) => path.join(FIXTURES, 'm13-blue-2013-05-05', `M13_blue_000${n}.fits.gz`));
const eit = fs.existsSync(path.join(FIXTURES, 'eit-195-2004-03-01'))
  ? fs.readdirSync(path.join(FIXTURES, 'eit-195-2004-03-01')).sort().map((name) => path.join(FIXTURES, 'eit-195-2004-03-01', name))
  : [];

/** The cases, by name; each returns the work to time once. */
async function caseWork(name: string, scratch: string): Promise<() => Promise<unknown>> {
  const preview = async (file: string) => encodePng(renderFrame(await fits.readFitsImage(file), { maxSide: 400 }));
  const timelapse = async (files: string[]) => {
    const out = fs.mkdtempSync(path.join(scratch, 'tl-'));
    const run = createTestContext(files, { name: 'bench' }, { format: 'gif', fps: 10, size: 500 });
    await new TimelapsePipeline(run.context).doPipeline(out, { normaliseBackground: false, crop: false });
    fs.rmSync(out, { recursive: true, force: true });
  };
  const big = path.join(scratch, 'big-float32.fits');
  switch (name) {
    case 'read HorseHead.fits (891×893 int16)':
      return () => fits.readFitsImage(path.join(FIXTURES, 'HorseHead.fits'));
    case 'read M13 frame .fits.gz (1392×1040 uint16)':
      return () => fits.readFitsImage(m13[0]);
    case 'read M13 frame .fits.fz (RICE_1)':
      return () => fits.readFitsImage(path.join(FIXTURES, 'M13_blue_0001.fits.fz'));
    case 'read HorseHead float .fz (RICE_1, dithered)':
      return () => fits.readFitsImage(path.join(FIXTURES, 'compressed', 'horsehead_float_rice_dither1.fits.fz'));
    case 'zscale of the M13 frame': {
      const image = await fits.readFitsImage(m13[0]);
      return async () => fits.zscale(image.data, image.width, image.height);
    }
    case 'thumbnail PNG of the M13 frame (read + zscale + 400 px PNG)':
      return () => preview(m13[0]);
    case 'preview PNG of a 4096×4096 float32 frame (read + zscale + 400 px PNG)':
      return () => preview(big);
    case 'timelapse GIF of the 5 M13 frames (.fits.gz)':
      return () => timelapse(m13);
    case 'timelapse GIF of the 13 EIT frames':
      return () => timelapse(eit);
    default:
      throw new Error(`unknown case ${name}`);
  }
}

const CASES = [
  'read HorseHead.fits (891×893 int16)',
  'read M13 frame .fits.gz (1392×1040 uint16)',
  'read M13 frame .fits.fz (RICE_1)',
  'read HorseHead float .fz (RICE_1, dithered)',
  'zscale of the M13 frame',
  'thumbnail PNG of the M13 frame (read + zscale + 400 px PNG)',
  'preview PNG of a 4096×4096 float32 frame (read + zscale + 400 px PNG)',
  'timelapse GIF of the 5 M13 frames (.fits.gz)',
  'timelapse GIF of the 13 EIT frames',
];

/** A 4096×4096 BITPIX -32 frame: sky noise, a gradient and some stars, written once. */
export function writeBigFrame(file: string): void {
  if (fs.existsSync(file)) return;
  const header = [
    'SIMPLE  =                    T',
    'BITPIX  =                  -32',
    'NAXIS   =                    2',
    `NAXIS1  = ${String(BIG_SIDE).padStart(20)}`,
    `NAXIS2  = ${String(BIG_SIDE).padStart(20)}`,
    'END',
  ]
    .map((card) => card.padEnd(80))
    .join('');
  const headerBlock = Buffer.alloc(2880, ' ');
  headerBlock.write(header, 'latin1');
  const pixels = BIG_SIDE * BIG_SIDE;
  const data = Buffer.alloc(Math.ceil((pixels * 4) / 2880) * 2880);
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < pixels; i++) {
    const x = i % BIG_SIDE;
    data.writeFloatBE(1000 + x * 0.01 + (random() - 0.5) * 40, i * 4);
  }
  for (let s = 0; s < 300; s++) {
    const cx = Math.floor(random() * BIG_SIDE);
    const cy = Math.floor(random() * BIG_SIDE);
    for (let dy = -6; dy <= 6; dy++) {
      for (let dx = -6; dx <= 6; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= BIG_SIDE || y >= BIG_SIDE) continue;
        const offset = (y * BIG_SIDE + x) * 4;
        data.writeFloatBE(data.readFloatBE(offset) + 20000 * Math.exp(-(dx * dx + dy * dy) / 8), offset);
      }
    }
  }
  fs.writeFileSync(file, Buffer.concat([headerBlock, data]));
}

async function child(name: string, scratch: string): Promise<void> {
  const baseline = process.memoryUsage().rss;
  const work = await caseWork(name, scratch);
  for (let i = 0; i < WARMUPS; i++) await work();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const result: CaseResult = {
    name,
    medianMs: Number(times[times.length >> 1].toFixed(1)),
    minMs: Number(times[0].toFixed(1)),
    runs: REPEATS,
    peakRssMb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    baselineRssMb: Number((baseline / 1024 / 1024).toFixed(1)),
  };
  process.send!(result);
}

function runChild(name: string, scratch: string): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const worker = fork(__filename, ['--child', name, scratch], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: CaseResult | undefined;
    worker.on('message', (message) => (result = message as CaseResult));
    worker.on('exit', (code) => (result ? resolve(result) : reject(new Error(`case "${name}" exited with ${code}`))));
  });
}

export async function runFitsBench(): Promise<{ cases: CaseResult[]; quick: boolean; repeats: number }> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fits-'));
  try {
    writeBigFrame(path.join(scratch, 'big-float32.fits'));
    const cases: CaseResult[] = [];
    for (const name of CASES) {
      if (name.includes('EIT') && !eit.length) continue;
      cases.push(await runChild(name, scratch));
    }
    return { cases, quick: QUICK, repeats: REPEATS };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function printTable(cases: CaseResult[]): void {
  const rows = cases.map((c) => [c.name, `${c.medianMs}`, `${c.minMs}`, `${c.peakRssMb}`, `${c.baselineRssMb}`]);
  const head = ['case', 'median ms', 'min ms', 'peak RSS MiB', 'RSS before MiB'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (require.main === module) {
  runFitsBench()
    .then((result) => {
      printTable(result.cases);
      const out = path.join(ROOT, 'bench', 'results');
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, 'fits.json'), JSON.stringify({ ...result, node: process.version, cores: os.cpus().length, at: new Date().toISOString() }, null, 2) + '\n');
      console.log(`\n${result.quick ? 'quick run, ' : ''}${result.repeats} timed runs per case after warm-up; written to bench/results/fits.json`);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
