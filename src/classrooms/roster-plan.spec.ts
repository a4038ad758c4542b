import { ExistingAccount, numberedUsername, planRoster, RosterFacts, rosterErrors, usernameFromName, usernamesToLookUp } from './roster-plan';

const RULE = { pattern: /^[A-Za-z0-9_.@-]{2,150}$/, message: 'usernames are 2-150 letters, digits or . _ @ -' };

function account(username: string, fields: Partial<ExistingAccount> = {}): ExistingAccount {
  return { id: `id-${username}`, username, role: 'student', displayName: null, active: true, inClass: null, ...fields };
}

function facts(accounts: ExistingAccount[] = [], classStudents: ExistingAccount[] = []): RosterFacts {
  return { accounts: new Map(accounts.map((a) => [a.username.toLowerCase(), a])), classStudents, usernameRule: RULE };
}

const row = (line: number, name: string, username: string | null = null) => ({ line, name, username });

describe('usernameFromName', () => {
  it('makes lowercase ASCII joined by dots', () => {
    expect(usernameFromName('Ada Lovelace')).toBe('ada.lovelace');
    expect(usernameFromName('José Álvarez-Núñez')).toBe('jose.alvarez.nunez');
    expect(usernameFromName("Siobhán O'Brien")).toBe('siobhan.obrien');
    expect(usernameFromName('Jürgen Groß')).toBe('jurgen.gross');
    expect(usernameFromName('  Łukasz   Søren ')).toBe('lukasz.soren');
  });

  it('falls back for names with nothing left, and lengthens one letter', () => {
    expect(usernameFromName('李小龙')).toBe('student');
    expect(usernameFromName('X')).toBe('student.x');
  });

  it('keeps at most 30 characters and no trailing dot', () => {
    const name = usernameFromName('Bartholomew Maximilian Fitzgerald-Worthington');
    expect(name.length).toBeLessThanOrEqual(30);
    expect(name).toBe('bartholomew.maximilian.fitzger');
  });

  it('numbers clashes, with a dot after a digit', () => {
    expect([1, 2, 3].map((n) => numberedUsername('ana', n))).toEqual(['ana', 'ana2', 'ana3']);
    expect(numberedUsername('student.7', 2)).toBe('student.7.2');
  });
});

describe('planRoster', () => {
  it('creates accounts, numbering generated usernames past taken ones and each other', () => {
    const plan = planRoster([row(2, 'Ana Lopez'), row(3, 'Ana Lopez'), row(4, 'Carl', 'ana.lopez3')], facts([account('ana.lopez', { role: 'teacher' })]));
    expect(plan).toEqual([
      { line: 2, kind: 'create', displayName: 'Ana Lopez', username: 'ana.lopez2' },
      { line: 3, kind: 'create', displayName: 'Ana Lopez', username: 'ana.lopez4' },
      { line: 4, kind: 'create', displayName: 'Carl', username: 'ana.lopez3' },
    ]);
  });

  it('enrols existing students by username (any case), and knows who is in the class already', () => {
    const plan = planRoster(
      [row(2, 'Ada', 'ADA'), row(3, 'Bo', 'bo')],
      facts([account('ada', { displayName: 'Ada L.' }), account('bo', { inClass: 'student' })]),
    );
    expect(plan).toEqual([
      { line: 2, kind: 'enrol', displayName: 'Ada L.', username: 'ada', userId: 'id-ada' },
      { line: 3, kind: 'member', displayName: 'bo', username: 'bo', userId: 'id-bo' },
    ]);
  });

  it('matches a name-only row to a student of the class with that name, once each', () => {
    const ana = account('ana.lopez', { displayName: 'Ana  Lopez', inClass: 'student' });
    const plan = planRoster([row(1, 'ana lopez'), row(2, 'Ana Lopez')], facts([ana], [ana]));
    expect(plan[0]).toEqual({ line: 1, kind: 'member', displayName: 'ana lopez', username: 'ana.lopez', userId: 'id-ana.lopez' });
    expect(plan[1]).toEqual({ line: 2, kind: 'create', displayName: 'Ana Lopez', username: 'ana.lopez2' });
  });

  it('refuses teacher and admin accounts, deactivated students, bad and repeated usernames', () => {
    const plan = planRoster(
      [row(2, 'T', 'teach'), row(3, 'Ad', 'root'), row(4, 'Old', 'old'), row(5, 'Bad', 'no spaces'), row(6, 'A', 'dup'), row(7, 'B', 'DUP')],
      facts([account('teach', { role: 'teacher' }), account('root', { role: 'admin' }), account('old', { active: false })]),
    );
    expect(plan.map((action) => [action.line, action.kind, action.kind === 'error' ? action.reason : ''])).toEqual([
      [2, 'error', '"teach" is a teacher account; only student accounts can be enrolled'],
      [3, 'error', '"root" is an admin account; only student accounts can be enrolled'],
      [4, 'error', '"old" is deactivated; an admin can reactivate the account first'],
      [5, 'error', '"no spaces" is not a valid username: usernames are 2-150 letters, digits or . _ @ -'],
      [6, 'error', 'the username "dup" is also on line 7'],
      [7, 'error', 'the username "DUP" is also on line 6'],
    ]);
    expect(rosterErrors([{ line: 1, reason: 'x' }], plan).map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('lists what to look up: given usernames and generated bases', () => {
    expect(usernamesToLookUp([row(1, 'Ada Lovelace'), row(2, 'X', 'Carl')])).toEqual({ exact: ['carl'], bases: ['ada.lovelace'] });
  });
});
