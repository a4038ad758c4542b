import type { RosterProblem, RosterRow } from './roster-csv.reader';

/**
 * What a roster import will do with each line, decided before anything is written: create an account, enrol an
 * existing student, nothing (already in the class), or refuse the line. Pure: the service looks the accounts up
 * and hands them in, so the rules are tested on their own (roster-plan.spec.ts).
 */

/** An existing account the roster may name, with its place in the class being imported into. */
export interface ExistingAccount {
  id: string;
  username: string;
  role: 'admin' | 'teacher' | 'student';
  displayName: string | null;
  active: boolean;
  /** The account's role in this class, or null when not a member. */
  inClass: 'teacher' | 'student' | null;
}

export type RosterAction =
  | { line: number; kind: 'create'; displayName: string; username: string }
  | { line: number; kind: 'enrol'; displayName: string; username: string; userId: string }
  | { line: number; kind: 'member'; displayName: string; username: string; userId: string }
  | { line: number; kind: 'error'; displayName: string | null; username: string | null; reason: string };

export interface RosterFacts {
  /** Existing accounts whose username (lowercased) the file names or a generated username could take. */
  accounts: Map<string, ExistingAccount>;
  /** The class's students, for rows without a username that name one of them (a roster imported again). */
  classStudents: ExistingAccount[];
  /** The rule for usernames (UsersService's), and how to say it. */
  usernameRule: { pattern: RegExp; message: string };
}

const GENERATED_MAX_LENGTH = 30;

// Letters that Unicode does not decompose into a base letter and an accent.
const TRANSLITERATIONS: Record<string, string> = { ß: 'ss', æ: 'ae', ø: 'o', œ: 'oe', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i' };

/**
 * The username a name suggests: lowercase ASCII letters and digits joined by dots ("José O'Brien-Smith" →
 * "jose.obrien.smith"), at most 30 characters; "student" when nothing of the name is left (a name in another
 * script). Clashes are numbered by `planRoster`.
 */
export function usernameFromName(name: string): string {
  const ascii = name
    .toLowerCase()
    .replace(/[ßæøœđðłþı]/g, (c) => TRANSLITERATIONS[c])
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/['’‘`]/g, '');
  const base = ascii
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.+|\.+$/g, '')
    .slice(0, GENERATED_MAX_LENGTH)
    .replace(/\.+$/, '');
  if (base.length >= 2) return base;
  return base ? `student.${base}` : 'student';
}

/** The candidates for a base: "ana.lopez", "ana.lopez2", "ana.lopez3"... ("student.7", "student.7.2" after a digit). */
export function numberedUsername(base: string, n: number): string {
  if (n <= 1) return base;
  return /\d$/.test(base) ? `${base}.${n}` : `${base}${n}`;
}

const nameKey = (name: string) => name.replace(/\s+/g, ' ').trim().toLowerCase();

/** Every line's action, in the file's order; errors name their reason. */
export function planRoster(rows: RosterRow[], facts: RosterFacts): RosterAction[] {
  const actions = new Map<RosterRow, RosterAction>();
  const error = (row: RosterRow, reason: string): RosterAction => ({ line: row.line, kind: 'error', displayName: row.name, username: row.username, reason });

  // Usernames the file gives, case-insensitively: a username twice is an error on each of its lines.
  const linesByUsername = new Map<string, number[]>();
  for (const row of rows) {
    if (row.username === null) continue;
    const key = row.username.toLowerCase();
    linesByUsername.set(key, [...(linesByUsername.get(key) ?? []), row.line]);
  }

  for (const row of rows) {
    if (row.username === null) continue;
    const key = row.username.toLowerCase();
    const others = linesByUsername.get(key)!.filter((line) => line !== row.line);
    if (others.length) {
      actions.set(row, error(row, `the username "${row.username}" is also on line ${others.join(', ')}`));
      continue;
    }
    const existing = facts.accounts.get(key);
    if (!existing) {
      actions.set(row, facts.usernameRule.pattern.test(row.username)
        ? { line: row.line, kind: 'create', displayName: row.name, username: row.username }
        : error(row, `"${row.username}" is not a valid username: ${facts.usernameRule.message}`));
    } else if (existing.role !== 'student') {
      actions.set(row, error(row, `"${existing.username}" is ${existing.role === 'admin' ? 'an admin' : 'a teacher'} account; only student accounts can be enrolled`));
    } else if (!existing.active) {
      actions.set(row, error(row, `"${existing.username}" is deactivated; an admin can reactivate the account first`));
    } else {
      const kind = existing.inClass ? 'member' : 'enrol';
      actions.set(row, { line: row.line, kind, displayName: existing.displayName ?? existing.username, username: existing.username, userId: existing.id });
    }
  }

  // Rows without a username: a student of the class with that name already is that student (a roster imported
  // again must not make "ana.lopez2"); each such student answers for one row only.
  const unmatched = [...facts.classStudents];
  const taken = new Set<string>([...facts.accounts.keys(), ...linesByUsername.keys()]);
  for (const row of rows) {
    if (row.username !== null) continue;
    const index = unmatched.findIndex((student) => nameKey(student.displayName ?? student.username) === nameKey(row.name));
    if (index >= 0) {
      const [student] = unmatched.splice(index, 1);
      actions.set(row, { line: row.line, kind: 'member', displayName: row.name, username: student.username, userId: student.id });
      continue;
    }
    const base = usernameFromName(row.name);
    let n = 1;
    while (taken.has(numberedUsername(base, n))) n++;
    const username = numberedUsername(base, n);
    taken.add(username);
    actions.set(row, { line: row.line, kind: 'create', displayName: row.name, username });
  }
  return rows.map((row) => actions.get(row)!);
}

/** The lines an import refuses: the file's own problems and the plan's errors, by line. */
export function rosterErrors(problems: RosterProblem[], actions: RosterAction[]): RosterProblem[] {
  const errors = actions.flatMap((action) => (action.kind === 'error' ? [{ line: action.line, reason: action.reason }] : []));
  return [...problems, ...errors].sort((a, b) => a.line - b.line);
}

/** Lowercased usernames the service must look up: those the file gives and the bases generated ones start from. */
export function usernamesToLookUp(rows: RosterRow[]): { exact: string[]; bases: string[] } {
  const exact = new Set<string>();
  const bases = new Set<string>();
  for (const row of rows) {
    if (row.username !== null) exact.add(row.username.toLowerCase());
    else bases.add(usernameFromName(row.name));
  }
  return { exact: [...exact], bases: [...bases] };
}
