import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTargetsCsv } from './target-csv';
import { claimedNames, importErrors, planTargetImport } from './target-import-plan';

const PRIVATE = { visibility: 'private' as const, classroomId: null };
const TOM = path.join(__dirname, '..', '..', 'test', 'fixtures', 'tom');

describe('planTargetImport', () => {
  it('creates every line of a good file', () => {
    const reading = readTargetsCsv('name,ra,dec,aliases\nA,1,1,A1\nB,2,2,\n', PRIVATE);
    const lines = planTargetImport(reading, new Set());
    expect(lines.map((line) => [line.line, line.kind, line.name])).toEqual([
      [2, 'create', 'A'],
      [3, 'create', 'B'],
    ]);
    expect(importErrors(lines)).toEqual([]);
  });

  it('refuses a name or alias that another target has, or that an earlier line claims, whatever the case', () => {
    const reading = readTargetsCsv(fs.readFileSync(path.join(TOM, 'targets-bad.csv'), 'utf8'), PRIVATE);
    expect(claimedNames(reading)).toEqual(expect.arrayContaining(['good star', 'twin', 'm13', 'alias clash', 'ngc 6205']));
    const lines = planTargetImport(reading, new Set(['m13', 'ngc 6205']));
    expect(lines.map((line) => [line.line, line.kind])).toEqual([
      [2, 'create'],
      [3, 'error'],
      [4, 'error'],
      [5, 'error'],
      [6, 'create'],
      [7, 'error'],
      [8, 'error'],
      [9, 'error'],
    ]);
    expect(importErrors(lines)).toEqual([
      { line: 3, reason: expect.stringMatching(/^ra: /) },
      { line: 4, reason: expect.stringMatching(/unknown type "PLANET"/) },
      { line: 5, reason: 'name: A name is required' },
      { line: 7, reason: '"twin" is also on line 6' },
      { line: 8, reason: 'another target is already called "M13"' },
      { line: 9, reason: '"NGC 6205" already names another target' },
    ]);
  });

  it('refuses an alias another line has as its name, and a line whose name an earlier line has as an alias', () => {
    const reading = readTargetsCsv('name,ra,dec,aliases\nA,1,1,B\nC,1,1,a\nB,1,1,\n', PRIVATE);
    expect(importErrors(planTargetImport(reading, new Set()))).toEqual([
      { line: 3, reason: '"a" is also on line 2' },
      { line: 4, reason: '"B" is also on line 2' },
    ]);
  });

  it('puts the file\'s own problems among the lines', () => {
    const reading = readTargetsCsv('ra,dec\n1,1\n', PRIVATE);
    expect(planTargetImport(reading, new Set())).toEqual([{ line: 1, kind: 'error', name: null, reason: expect.stringContaining('"name" column') }]);
  });
});
