import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildArgv,
  CommandPipelineSpec,
  createCommandPipeline,
  globToRegExp,
  matchGlob,
  matchOutputs,
  runCommand,
  validateCommand,
} from './command-pipeline';
import { csvRow } from '../common/csv-writer';
import { AsyncError, CancelledError, PipelineFlagValues, PipelineInput } from '../pipeline-sdk/pipeline-process';
import { createTestContext, inputFromFile } from '../pipeline-sdk/testing';

const REPO = path.resolve(__dirname, '../..');
const HORSEHEAD = path.join(REPO, 'test/fixtures/HorseHead.fits');
const M13 = path.join(REPO, 'test/fixtures/m13-blue-2013-05-05/M13_blue_0001.fits.gz');

/** Is the process still running? A zombie (dead, not yet reaped: orphans stay so where PID 1 does not reap) is not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let scripts: string;
let tmpdir: string;

beforeAll(() => {
  scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-scripts-'));
  const write = (name: string, source: string) => fs.writeFileSync(path.join(scripts, name), source);
  write('argv.js', 'console.log(JSON.stringify(process.argv.slice(2)));\n');
  write(
    'fail.js',
    "for (let i = 1; i <= 7; i++) console.error('problem ' + i);\nconsole.log('some output');\nprocess.exit(3);\n",
  );
  write(
    'chunks.js',
    [
      "process.stdout.write('par');",
      "setTimeout(() => process.stdout.write('tial\\r\\nnext line\\n'), 30);",
      "setTimeout(() => process.stderr.write('warn\\r\\n'), 60);",
      // a character split across two writes
      "setTimeout(() => process.stdout.write(Buffer.from([0x63, 0x61, 0x66, 0xc3])), 90);",
      "setTimeout(() => process.stdout.write(Buffer.from([0xa9, 0x0a])), 120);",
      "setTimeout(() => process.stdout.write('no newline at the end'), 150);",
    ].join('\n'),
  );
  write(
    'outputs.js',
    [
      "const fs = require('fs'); const path = require('path'); const dir = process.argv[2];",
      "fs.mkdirSync(path.join(dir, 'sub'));",
      "for (const f of ['b.csv', 'a.csv', 'sub/c.csv', 'plot.png', 'notes.txt']) fs.writeFileSync(path.join(dir, f), f);",
      "fs.symlinkSync('/etc/hostname', path.join(dir, 'link.csv'));",
    ].join('\n'),
  );
  // Starts a grandchild that would live 30 s, prints its pid, then waits (optionally ignoring SIGTERM).
  write(
    'family.js',
    [
      "const { spawn } = require('child_process');",
      "const stubborn = process.argv[2] === 'stubborn';",
      "const code = stubborn ? \"process.on('SIGTERM', () => {}); setTimeout(() => {}, 30000)\" : 'setTimeout(() => {}, 30000)';",
      "const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });",
      "if (stubborn) process.on('SIGTERM', () => {});",
      "setTimeout(() => console.log('grandchild ' + child.pid), 100);",
      "setInterval(() => {}, 1000);",
    ].join('\n'),
  );
  write(
    'leaves-child.js',
    [
      "const { spawn } = require('child_process');",
      "const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });",
      "console.log('grandchild ' + child.pid);",
      'child.unref();',
    ].join('\n'),
  );
  write('suicide.js', "process.kill(process.pid, 'SIGKILL');\n");
});

afterAll(() => fs.rmSync(scripts, { recursive: true, force: true }));

beforeEach(() => {
  tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-run-'));
});

afterEach(() => fs.rmSync(tmpdir, { recursive: true, force: true }));

function pipelineFor(spec: Omit<CommandPipelineSpec, 'shortName'>, baseDir = scripts) {
  return createCommandPipeline('Test', { shortName: 'test', cwd: '.', ...spec }, baseDir);
}

async function run(spec: Omit<CommandPipelineSpec, 'shortName'>, inputs: Array<string | PipelineInput>, flags: PipelineFlagValues = {}, baseDir = scripts) {
  const Pipeline = pipelineFor(spec, baseDir);
  const testRun = createTestContext(inputs);
  const outputs = await new Pipeline(testRun.context).doPipeline(tmpdir, flags);
  return { outputs, ...testRun, infos: testRun.logs.filter((l) => l.level === 'info').map((l) => l.text) };
}

describe('glob matching', () => {
  it('matches *, ? and **/ relative to the temp dir', () => {
    expect(matchGlob('*.csv', 'a.csv')).toBe(true);
    expect(matchGlob('*.csv', 'sub/a.csv')).toBe(false);
    expect(matchGlob('*.csv', 'a.csv.bak')).toBe(false);
    expect(matchGlob('**/*.csv', 'a.csv')).toBe(true);
    expect(matchGlob('**/*.csv', 'sub/deeper/a.csv')).toBe(true);
    expect(matchGlob('sub/**/*.png', 'sub/plot.png')).toBe(true);
    expect(matchGlob('sub/**/*.png', 'sub/x/plot.png')).toBe(true);
    expect(matchGlob('sub/**/*.png', 'other/plot.png')).toBe(false);
    expect(matchGlob('frame_?.fits', 'frame_1.fits')).toBe(true);
    expect(matchGlob('frame_?.fits', 'frame_10.fits')).toBe(false);
    expect(matchGlob('frame_?.fits', 'frame_/.fits')).toBe(false);
    expect(matchGlob('out/**', 'out/a/b.txt')).toBe(true);
  });

  it('treats regular expression characters literally', () => {
    expect(matchGlob('a+b(1).csv', 'a+b(1).csv')).toBe(true);
    expect(matchGlob('a.csv', 'abcsv')).toBe(false);
    expect(matchGlob('[ab].csv', 'a.csv')).toBe(false);
    expect(globToRegExp('$x^.csv').test('$x^.csv')).toBe(true);
  });

  it('lists each file once, for the first glob matching it, sorted, without symbolic links', () => {
    fs.mkdirSync(path.join(tmpdir, 'sub'));
    for (const f of ['b.csv', 'a.csv', 'sub/c.csv', 'plot.png']) fs.writeFileSync(path.join(tmpdir, f), '');
    fs.symlinkSync('/etc/hostname', path.join(tmpdir, 'link.csv'));
    const matches = matchOutputs(tmpdir, [{ glob: '**/*.csv' }, { glob: '*' }]);
    expect(matches.map((m) => [m.file, m.output.glob])).toEqual([
      ['a.csv', '**/*.csv'],
      ['b.csv', '**/*.csv'],
      ['sub/c.csv', '**/*.csv'],
      ['plot.png', '*'],
    ]);
  });
});

describe('command placeholders', () => {
  const flags = { verbose: { default: false, longName: 'Talk more' } };

  it('refuses unknown or misplaced placeholders when the pipeline is created', () => {
    expect(() => validateCommand(['node', '{tmpdir}', '--file={input}', '{inputs}', '{flag:verbose}', '--v={flagvalue:verbose}'], flags)).not.toThrow();
    expect(() => validateCommand(['node', '-e', 'setTimeout(() => {}, 1)', '{ a: 1 }'], flags)).not.toThrow();
    expect(() => validateCommand(['node', '{outdir}'], flags)).toThrow(/unknown placeholder \{outdir\}/);
    expect(() => validateCommand(['node', '{flag:quiet}'], flags)).toThrow(/undeclared flag "quiet"/);
    expect(() => validateCommand(['node', '--{flag:verbose}'], flags)).toThrow(/must be a whole argument/);
    expect(() => validateCommand(['node', 'files={inputs}'], flags)).toThrow(/must be a whole argument/);
    expect(() => validateCommand(['node', '{tmpdir:x}'], flags)).toThrow(/unknown placeholder/);
    expect(() => validateCommand([], flags)).toThrow(/non-empty list/);
    expect(() => createCommandPipeline('Bad', { shortName: 'bad', command: ['node', '{output}'] }, scripts)).toThrow(/unknown placeholder \{output\}/);
  });

  it('builds the argv: {inputs} one argument per input, {flag:x} as --x or nothing, {flagvalue:x} as true/false', () => {
    const command = ['prog', '--out', '{tmpdir}', '{flag:verbose}', '--first={input}', '--verbose={flagvalue:verbose}', '{inputs}'];
    expect(buildArgv(command, '/tmp/run', ['/d/a b.fits', '/d/{tmpdir}.fits'], { verbose: true })).toEqual([
      'prog', '--out', '/tmp/run', '--verbose', '--first=/d/a b.fits', '--verbose=true', '/d/a b.fits', '/d/{tmpdir}.fits',
    ]);
    expect(buildArgv(command, '/tmp/run', ['/d/a.fits'], { verbose: false })).toEqual([
      'prog', '--out', '/tmp/run', '--first=/d/a.fits', '--verbose=false', '/d/a.fits',
    ]);
    // a flag missing from the values takes its default
    expect(buildArgv(['p', '{flag:verbose}'], '/t', [], {}, { verbose: { default: true, longName: 'v' } })).toEqual(['p', '--verbose']);
  });

  it('passes {param:x} as its value inside one argument, never split or scanned again; an empty optional one alone is left out', () => {
    const command = ['prog', '--radius', '{param:radius}', '--label={param:label}', '{param:label}', '{param:saturation}', '{inputs}'];
    const params = { radius: 2.5, label: 'a b; {tmpdir} $(rm -rf)', saturation: null };
    expect(buildArgv(command, '/tmp/run', ['/d/a.fits'], {}, {}, params)).toEqual([
      'prog', '--radius', '2.5', '--label=a b; {tmpdir} $(rm -rf)', 'a b; {tmpdir} $(rm -rf)', '/d/a.fits',
    ]);
    expect(buildArgv(['prog', '--s={param:saturation}'], '/t', [], {}, {}, { saturation: null })).toEqual(['prog', '--s=']);
    expect(() => validateCommand(['prog', '{param:radius}'], {}, {})).toThrow('placeholder {param:radius} names an undeclared parameter "radius"');
    expect(() => validateCommand(['prog', '{param:radius}'], {}, { radius: { kind: 'number', default: 1, longName: 'R' } })).not.toThrow();
  });
});

describe('command pipelines', () => {
  const exampleSpec = (): Omit<CommandPipelineSpec, 'shortName'> => {
    const config = JSON.parse(fs.readFileSync(path.join(REPO, 'pipelines.config.json'), 'utf8'));
    const { shortName: _shortName, ...spec } = config.pipelines['Frame byte count (command example)'];
    return spec;
  };

  it("holds FITS inputs to the run's pixel budgets before the program starts, naming the uploaded file", async () => {
    const bomb = inputFromFile(path.join(REPO, 'test', 'fixtures', 'bombs', 'zeros-gzip1.fits.fz'), 1, 'my night.fits.fz');
    const marker = path.join(tmpdir, 'ran');
    const Pipeline = pipelineFor({ command: ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`, '{inputs}'] });
    const testRun = createTestContext([bomb]);
    const error = await new Pipeline(testRun.context).doPipeline(tmpdir, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AsyncError);
    expect((error as Error).message).toBe('my night.fits.fz: too large to process (100,000,000 pixels, limit 50,000,000)');
    expect(fs.existsSync(marker)).toBe(false);

    // Within the frame budget but not the run's: refused as a whole, still before the program runs.
    const two = [inputFromFile(HORSEHEAD, 1), inputFromFile(HORSEHEAD, 2, 'again.fits')];
    const limited = createTestContext(two);
    limited.context.limits = { maxFramePixels: 1_000_000, maxRunPixels: 500_000 };
    const overRun = await new Pipeline(limited.context).doPipeline(tmpdir, {}).catch((e: unknown) => e);
    expect((overRun as Error).message).toMatch(/^These 2 frames are too large to process \([\d,]+ pixels, limit 500,000\) in one run; choose fewer of them$/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('leaves FITS files its own reader cannot parse to the program', async () => {
    const odd = path.join(tmpdir, 'odd.fits');
    fs.writeFileSync(odd, 'not a FITS header at all');
    const result = await run({ command: ['node', './argv.js', '{inputs}'] }, [odd]);
    expect(result.infos).toEqual([JSON.stringify([odd])]);
  });

  it('runs pipelines/example-command.js and returns its CSV with the right byte counts', async () => {
    const result = await run(exampleSpec(), [HORSEHEAD, M13], {}, REPO);
    expect(result.outputs).toEqual([{ path: path.join(tmpdir, 'byte_counts.csv'), outputType: 'DataProduct', dataProductType: 'other' }]);
    const digest = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(fs.readFileSync(result.outputs[0].path, 'utf8')).toBe(
      [
        'file,bytes,sha256',
        `HorseHead.fits,${fs.statSync(HORSEHEAD).size},${digest(HORSEHEAD)}`,
        `M13_blue_0001.fits.gz,${fs.statSync(M13).size},${digest(M13)}`,
        '',
      ].join('\n'),
    );
    expect(result.infos).toEqual(['Counting bytes of HorseHead.fits', 'Counting bytes of M13_blue_0001.fits.gz', 'Done']);
  });

  it('writes formula-like file names in example-command.js\'s CSV as the portal\'s CSV writer does', async () => {
    const names = ['=HYPERLINK("evil.example").fits', '\uFF1Dcmd().fits', '@SUM(A1).fits', " '=x.fits", "'-1.fits", '-1.5'];
    const inputs = names.map((name) => {
      const file = path.join(tmpdir, name);
      fs.copyFileSync(HORSEHEAD, file);
      return file;
    });
    const counted = await run(exampleSpec(), inputs, {}, REPO);
    const rows = fs.readFileSync(counted.outputs[0].path, 'utf8').trimEnd().split('\n').slice(1);
    const size = fs.statSync(HORSEHEAD).size;
    const digest = createHash('sha256').update(fs.readFileSync(HORSEHEAD)).digest('hex');
    expect(rows).toEqual(names.map((name) => csvRow([name, size, digest])));
    expect(rows[1].startsWith("'\uFF1Dcmd()")).toBe(true);
  });

  it('passes --verbose only when the flag is on', async () => {
    const spec = { command: ['node', './argv.js', '--out', '{tmpdir}', '{flag:verbose}', '{inputs}'], flags: { verbose: { default: false, longName: 'v' } } };
    const off = await run(spec, [HORSEHEAD], { verbose: false });
    expect(JSON.parse(off.infos[0])).toEqual(['--out', tmpdir, HORSEHEAD]);
    const on = await run(spec, [HORSEHEAD], { verbose: true });
    expect(JSON.parse(on.infos[0])).toEqual(['--out', tmpdir, '--verbose', HORSEHEAD]);

    const verbose = await run(exampleSpec(), [HORSEHEAD], { verbose: true }, REPO);
    // HorseHead.fits is 1,612,800 bytes: 16 chunks of 100 KiB, the last one partial
    expect(verbose.infos.filter((line) => line.includes('bytes read'))).toHaveLength(Math.ceil(fs.statSync(HORSEHEAD).size / 102400));
  });

  it('passes a file name with spaces, quotes and shell syntax as one untouched argument', async () => {
    const name = `night 1; rm -rf ~ && echo $(whoami) 'x' "y" {tmpdir} | cat.fits`;
    const odd = path.join(tmpdir, name);
    fs.copyFileSync(HORSEHEAD, odd);
    const echoed = await run({ command: ['node', './argv.js', '{input}', '{inputs}'] }, [odd]);
    expect(JSON.parse(echoed.infos[0])).toEqual([odd, odd]);

    const counted = await run(exampleSpec(), [odd], {}, REPO);
    const csv = fs.readFileSync(counted.outputs[0].path, 'utf8');
    expect(csv.split('\n')[1]).toBe(`"${name.replace(/"/g, '""')}",${fs.statSync(HORSEHEAD).size},${createHash('sha256').update(fs.readFileSync(HORSEHEAD)).digest('hex')}`);
    expect(fs.existsSync(odd)).toBe(true);
  });

  it('fails with the exit code and the last five lines of stderr', async () => {
    const failed = run({ command: ['node', './fail.js'] }, [HORSEHEAD]);
    await expect(failed).rejects.toThrow(AsyncError);
    await expect(failed).rejects.toThrow('Command exited with code 3:\nproblem 3\nproblem 4\nproblem 5\nproblem 6\nproblem 7');

    const testRun = createTestContext([]);
    const Example = createCommandPipeline('Example', { shortName: 'x', ...exampleSpec() }, REPO);
    await expect(new Example(testRun.context).doPipeline(tmpdir, {})).rejects.toThrow('Command exited with code 2:\nNo input files given');
    expect(testRun.logs).toContainEqual({ level: 'warning', text: 'No input files given' });
  });

  it('reports a program killed by a signal, and a program that does not exist', async () => {
    await expect(run({ command: ['node', './suicide.js'] }, [])).rejects.toThrow('Command was killed by SIGKILL');
    const missing = run({ command: ['no-such-program-for-sure', '{inputs}'] }, [HORSEHEAD]);
    await expect(missing).rejects.toThrow(AsyncError);
    await expect(missing).rejects.toThrow('Command not found: no-such-program-for-sure');
    await expect(run({ command: ['./not-there.sh'] }, [])).rejects.toThrow('Command not found: ./not-there.sh');
    await expect(run({ command: ['node', './argv.js'], cwd: './no-such-dir' }, [])).rejects.toThrow(/working directory does not exist/);
  });

  it('logs stdout as info and stderr as warning, line by line, joining partial lines', async () => {
    const result = await run({ command: ['node', './chunks.js'] }, []);
    // stdout and stderr are two pipes: each keeps its order, but how they interleave depends on the machine's load.
    expect(result.logs[0]).toEqual({ level: 'debug', text: 'Running node ./chunks.js on 0 input(s)' });
    expect(result.logs.filter((line) => line.level === 'info')).toEqual([
      { level: 'info', text: 'partial' },
      { level: 'info', text: 'next line' },
      { level: 'info', text: 'café' },
      { level: 'info', text: 'no newline at the end' },
    ]);
    expect(result.logs.filter((line) => line.level === 'warning')).toEqual([{ level: 'warning', text: 'warn' }]);
    expect(result.logs).toHaveLength(6);
  });

  it('keeps the files matching the output globs, first glob first, each once', async () => {
    const result = await run(
      {
        command: ['node', './outputs.js', '{tmpdir}'],
        outputs: [
          { glob: '**/*.csv', outputType: 'ReducedDatum', tag: 'photometry' },
          { glob: '*.png', outputType: 'DataProduct', dataProductType: 'image' },
          { glob: '*', outputType: 'DataProduct' },
        ],
      },
      [],
    );
    expect(result.outputs).toEqual([
      { path: path.join(tmpdir, 'a.csv'), outputType: 'ReducedDatum', tag: 'photometry' },
      { path: path.join(tmpdir, 'b.csv'), outputType: 'ReducedDatum', tag: 'photometry' },
      { path: path.join(tmpdir, 'sub', 'c.csv'), outputType: 'ReducedDatum', tag: 'photometry' },
      { path: path.join(tmpdir, 'plot.png'), outputType: 'DataProduct', dataProductType: 'image' },
      { path: path.join(tmpdir, 'notes.txt'), outputType: 'DataProduct' },
    ]);
  });

  it('cancel stops the whole process group, grandchildren included', async () => {
    const Pipeline = pipelineFor({ command: ['node', './family.js'] });
    const testRun = createTestContext([]);
    const running = new Pipeline(testRun.context).doPipeline(tmpdir, {});
    const outcome = running.then(() => 'finished', (error) => error);
    await waitFor(() => testRun.logs.some((l) => l.text.startsWith('grandchild ')));
    const grandchild = Number(testRun.logs.find((l) => l.text.startsWith('grandchild '))!.text.split(' ')[1]);
    expect(isRunning(grandchild)).toBe(true);
    testRun.controller.abort('cancelled');
    const error = await outcome;
    expect(error).toBeInstanceOf(CancelledError);
    expect(isRunning(grandchild)).toBe(false);
  });

  it('stops a group that obeys SIGTERM with SIGTERM alone, without waiting for the grace period', async () => {
    const lines: string[] = [];
    const controller = new AbortController();
    const running = runCommand({
      program: process.execPath,
      args: [path.join(scripts, 'family.js')],
      cwd: tmpdir,
      env: process.env,
      signal: controller.signal,
      onStdout: (line) => lines.push(line),
      onStderr: (line) => lines.push(line),
      // Far beyond the test's timeout: had SIGTERM not been enough, the test would time out rather than pass.
      graceMs: 10 * 60_000,
    });
    await waitFor(() => lines.some((l) => l.startsWith('grandchild ')));
    const grandchild = Number(lines.find((l) => l.startsWith('grandchild '))!.split(' ')[1]);
    controller.abort();
    expect(await running).toMatchObject({ cancelled: true, signal: 'SIGTERM' });
    expect(isRunning(grandchild)).toBe(false);
  });

  it('kills processes that ignore SIGTERM after the grace period', async () => {
    const lines: string[] = [];
    const controller = new AbortController();
    const running = runCommand({
      program: process.execPath,
      args: [path.join(scripts, 'family.js'), 'stubborn'],
      cwd: tmpdir,
      env: process.env,
      signal: controller.signal,
      onStdout: (line) => lines.push(line),
      onStderr: (line) => lines.push(line),
      graceMs: 300,
    });
    await waitFor(() => lines.some((l) => l.startsWith('grandchild ')));
    const grandchild = Number(lines[0].split(' ')[1]);
    const cancelledAt = Date.now();
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ cancelled: true, signal: 'SIGKILL' });
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(290);
    expect(isRunning(grandchild)).toBe(false);
  });

  it('stops processes a command leaves behind when it exits', async () => {
    const result = await run({ command: ['node', './leaves-child.js'] }, []);
    const grandchild = Number(result.infos[0].split(' ')[1]);
    await waitFor(() => !isRunning(grandchild), 2000);
  });

  it('does not start the command when the run is already cancelled', async () => {
    const Pipeline = pipelineFor({ command: ['node', './outputs.js', '{tmpdir}'] });
    const testRun = createTestContext([]);
    testRun.controller.abort();
    await expect(new Pipeline(testRun.context).doPipeline(tmpdir, {})).rejects.toThrow(CancelledError);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
  });

  it('has the static fields of its spec', () => {
    const Pipeline = createCommandPipeline(
      'Byte count',
      { shortName: 'byte_count', command: ['node', 'x.js'], allowedSuffixes: ['.fits'], flags: { v: { default: true, longName: 'V' } }, description: 'Counts' },
      scripts,
    );
    expect({ ...Pipeline }).toMatchObject({ shortName: 'byte_count', allowedSuffixes: ['.fits'], flags: { v: { default: true, longName: 'V' } }, description: 'Counts', version: '1' });
    expect(inputFromFile(HORSEHEAD).productType).toBe('fits');
  });
});
