import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.join(__dirname, '..', '..');

/** `dist/src/<entry>.js`, as `npm start`, `npm run start:worker` and `npm run cli` run it. */
export function builtEntry(entry: 'main' | 'worker' | 'cli'): string {
  return path.join(ROOT, 'dist', 'src', `${entry}.js`);
}

/** The newest modification time of the TypeScript that `npm run build` compiles (spec files are not built). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

let building: Promise<void> | undefined;

/**
 * Builds dist/ when it is missing (a fresh clone) or older than the sources, once per test process: the specs that
 * start the portal's processes run what users run, never stale code and never the TypeScript sources.
 */
export function ensureBuilt(): Promise<void> {
  building ??= (async () => {
    const oldestEntry = Math.min(...(['main', 'worker', 'cli'] as const).map((entry) => (fs.existsSync(builtEntry(entry)) ? fs.statSync(builtEntry(entry)).mtimeMs : 0)));
    if (oldestEntry >= Math.max(newestSource(path.join(ROOT, 'src')), newestSource(path.join(ROOT, 'migrations')))) return;
    try {
      await promisify(execFile)(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      building = undefined;
      const output = (error as { stdout?: string }).stdout ?? '';
      throw new Error(`npm run build failed, so the built portal cannot be tested:\n${output.split('\n').slice(0, 20).join('\n')}`);
    }
  })();
  return building;
}
