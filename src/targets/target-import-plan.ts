import type { CsvProblem } from '../common/csv-reader';
import type { TargetFields } from './dto/target-form';
import type { TargetCsvReading } from './target-csv';

/**
 * What a target import will do with each line, decided before anything is written: create the target, or refuse
 * the line. Pure: the service looks up which names are taken and hands them in, so the rules are tested on their
 * own (target-import-plan.spec.ts).
 */

export type TargetImportLine =
  | { line: number; kind: 'create'; name: string; fields: TargetFields }
  | { line: number; kind: 'error'; name: string | null; reason: string };

/**
 * Every line's outcome, in the file's order. A name or alias is one target's only, whatever its case, as on the
 * target form: one another target has (`taken`, lowercased) refuses the line, and so does one an earlier line of
 * the file claims (the later line is refused, naming the earlier one).
 */
export function planTargetImport(reading: TargetCsvReading, taken: ReadonlySet<string>): TargetImportLine[] {
  const claimedOn = new Map<string, number>();
  const lines: TargetImportLine[] = reading.problems.map((problem) => ({ line: problem.line, kind: 'error', name: null, reason: problem.reason }));
  for (const row of reading.rows) {
    const reasons = [...row.reasons];
    for (const [index, name] of row.names.entries()) {
      const key = name.toLowerCase();
      const earlier = claimedOn.get(key);
      if (earlier !== undefined && earlier !== row.line) reasons.push(`"${name}" is also on line ${earlier}`);
      else if (taken.has(key)) reasons.push(index === 0 ? `another target is already called "${name}"` : `"${name}" already names another target`);
      if (earlier === undefined) claimedOn.set(key, row.line);
    }
    lines.push(
      reasons.length || !row.fields
        ? { line: row.line, kind: 'error', name: row.name, reason: reasons.join('; ') }
        : { line: row.line, kind: 'create', name: row.fields.name, fields: row.fields },
    );
  }
  return lines.sort((a, b) => a.line - b.line);
}

/** The lines that stop the import, by line; empty when it can go ahead. */
export function importErrors(lines: TargetImportLine[]): CsvProblem[] {
  return lines.flatMap((line) => (line.kind === 'error' ? [{ line: line.line, reason: line.reason }] : []));
}

/** Every name and alias the file claims, lowercased: what the service asks the database about. */
export function claimedNames(reading: TargetCsvReading): string[] {
  return [...new Set(reading.rows.flatMap((row) => row.names.map((name) => name.toLowerCase())))];
}
