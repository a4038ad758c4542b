import { canChange, canManageAccount, canView, changeableCondition, sharingRefusal, Viewer, visibleCondition } from './sharing-policy';
import { Owned } from './visibility';

// The cast of the permission matrix: teacher A teaches class 1 (students a1, a2, and "both"), teacher B class 2 (b1, "both").
const viewer = (id: string, role: Viewer['role'], memberOf: number[] = [], teaches: number[] = [], studentIds: string[] = []): Viewer => ({
  id,
  role,
  memberOf,
  teaches,
  studentIds,
});
const admin = viewer('admin', 'admin');
const teacherA = viewer('tA', 'teacher', [1], [1], ['a1', 'a2', 'both']);
const teacherB = viewer('tB', 'teacher', [2], [2], ['b1', 'both']);
const a1 = viewer('a1', 'student', [1]);
const a2 = viewer('a2', 'student', [1]);
const b1 = viewer('b1', 'student', [2]);
const both = viewer('both', 'student', [1, 2]);
const outsider = viewer('x', 'student');

const of = (ownerId: string | null, visibility: Owned['visibility'], classroomId: number | null = null): Owned => ({ ownerId, visibility, classroomId });

describe('sharing policy', () => {
  it('private: the owner, the teachers of the owner\'s classes and admins', () => {
    const object = of('a1', 'private');
    const seeing = [admin, teacherA, a1, teacherB, a2, b1, both, outsider].filter((v) => canView(v, object)).map((v) => v.id);
    expect(seeing).toEqual(['admin', 'tA', 'a1']);
  });

  it('class: members of that class, plus the owner and their teachers', () => {
    const object = of('a1', 'class', 1);
    const seeing = [admin, teacherA, a1, teacherB, a2, b1, both, outsider].filter((v) => canView(v, object)).map((v) => v.id);
    expect(seeing).toEqual(['admin', 'tA', 'a1', 'a2', 'both']);
  });

  it('a student in two classes is seen by both teachers; sharing with class 2 reaches b1 but not a2', () => {
    expect(canView(teacherB, of('both', 'private'))).toBe(true);
    const object = of('both', 'class', 2);
    expect(canView(b1, object)).toBe(true);
    expect(canView(a2, object)).toBe(false);
  });

  it('public: everyone logged in', () => {
    expect([admin, teacherA, teacherB, a1, b1, outsider].every((v) => canView(v, of('a1', 'public')))).toBe(true);
  });

  it('a teacher\'s private work is not seen by another teacher, even a co-teacher', () => {
    const coTeacher = viewer('tC', 'teacher', [1], [1], ['a1', 'a2', 'both']);
    expect(canView(coTeacher, of('tA', 'private'))).toBe(false);
    expect(canView(coTeacher, of('tA', 'class', 1))).toBe(true);
  });

  it('ownerless objects are public or admins\' only', () => {
    expect(canView(teacherA, of(null, 'private'))).toBe(false);
    expect(canView(admin, of(null, 'private'))).toBe(true);
    expect(canChange(teacherA, of(null, 'public'))).toBe(false);
  });

  it('change: owner, the owner\'s teachers, admins; never classmates or the public', () => {
    const object = of('a1', 'public');
    const changing = [admin, teacherA, a1, teacherB, a2, b1, both].filter((v) => canChange(v, object)).map((v) => v.id);
    expect(changing).toEqual(['admin', 'tA', 'a1']);
  });

  it('sharing with a class needs membership of it', () => {
    expect(sharingRefusal(a1, 'class', 1)).toBeNull();
    expect(sharingRefusal(a1, 'class', 2)).toMatch(/only with a class you are in/);
    expect(sharingRefusal(a1, 'class', null)).toMatch(/Choose the class/);
    expect(sharingRefusal(admin, 'class', 2)).toBeNull();
    expect(sharingRefusal(a1, 'public', null)).toBeNull();
  });

  it('the SQL condition carries the viewer as parameters and is TRUE for admins', () => {
    expect(visibleCondition(admin, { owner: 'x.owner_id', visibility: 'x.visibility', classroom: 'x.classroom_id' }, 1)).toEqual({ sql: 'TRUE', params: [] });
    const { sql, params } = visibleCondition(teacherA, { owner: 'x.owner_id', visibility: 'x.visibility', classroom: 'x.classroom_id' }, 3);
    expect(sql).toContain('x.owner_id = $3::uuid');
    expect(sql).toContain('ANY($4::uuid[])');
    expect(sql).toContain('ANY($5::int[])');
    expect(params).toEqual(['tA', ['a1', 'a2', 'both'], [1]]);
  });

  it('the change condition uses the same first two parameters as the view condition', () => {
    expect(changeableCondition(admin, 'x.owner_id', 1)).toEqual({ sql: 'TRUE', params: [] });
    const { sql, params } = changeableCondition(teacherA, 'x.owner_id', 3);
    expect(sql).toBe('(x.owner_id = $3::uuid OR x.owner_id = ANY($4::uuid[]))');
    expect(params).toEqual(visibleCondition(teacherA, { owner: 'x.owner_id', visibility: 'x.visibility', classroom: 'x.classroom_id' }, 3).params.slice(0, 2));
  });
});

describe('account management', () => {
  it('admins manage anyone; teachers only students of their own classes', () => {
    expect(canManageAccount(admin, { id: 'tB', role: 'teacher' })).toBe(true);
    expect(canManageAccount(teacherA, { id: 'a1', role: 'student' })).toBe(true);
    expect(canManageAccount(teacherA, { id: 'b1', role: 'student' })).toBe(false);
    expect(canManageAccount(teacherA, { id: 'tB', role: 'teacher' })).toBe(false);
    expect(canManageAccount(a1, { id: 'a2', role: 'student' })).toBe(false);
  });
});
