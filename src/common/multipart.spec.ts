import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

describe('portalMulter', () => {
  it('is how every upload door makes its multer, so every door reads file names as UTF-8', () => {
    const doors = sources(SRC).filter((file) => /\bmulter\s*\(/.test(fs.readFileSync(file, 'utf8')));
    expect(doors.map((file) => path.relative(SRC, file))).toEqual([path.join('common', 'multipart.ts')]);
    const users = sources(SRC).filter((file) => fs.readFileSync(file, 'utf8').includes('portalMulter('));
    expect(users.map((file) => path.relative(SRC, file)).sort()).toEqual(
      [
        path.join('common', 'csv-upload.interceptor.ts'),
        path.join('common', 'multipart.ts'),
        path.join('data-products', 'upload.interceptor.ts'),
      ].sort(),
    );
  });
});
