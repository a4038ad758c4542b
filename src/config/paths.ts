import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, whether running compiled (dist/src/config) or from source (src/config). */
export const PROJECT_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

export const APP_VERSION: string = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;
