import { Owned, Visibility } from './visibility';

/**
 * The one sharing policy: who may view and who may change an owned object. Pure functions for objects in hand, and
 * the same rule as a SQL condition for lists, so a page, the API, a socket room, a file and a preview all ask the
 * same question. No framework imports: the rule is tested on its own (sharing-policy.spec.ts).
 */

export type Role = 'admin' | 'teacher' | 'student';

/** The facts about a user the policy reads; loaded with the session user on every request. */
export interface Viewer {
  id: string;
  role: Role;
  /** Classes the user belongs to, as teacher or student. */
  memberOf: readonly number[];
  /** Classes the user teaches. */
  teaches: readonly number[];
  /** The students of the classes the user teaches (their private work is the teacher's to see). */
  studentIds: readonly string[];
}

export const isAdmin = (viewer: Pick<Viewer, 'role'>) => viewer.role === 'admin';

/** Admins see all; everyone logged in sees public objects; the owner and the owner's teachers see private ones. */
export function canView(viewer: Viewer, object: Owned): boolean {
  if (isAdmin(viewer) || object.visibility === 'public') return true;
  if (object.ownerId !== null && (object.ownerId === viewer.id || viewer.studentIds.includes(object.ownerId))) return true;
  return object.visibility === 'class' && object.classroomId !== null && viewer.memberOf.includes(object.classroomId);
}

/** The owner, the owner's teachers and admins may change, share or delete an object. */
export function canChange(viewer: Viewer, object: Pick<Owned, 'ownerId'>): boolean {
  if (isAdmin(viewer)) return true;
  return object.ownerId !== null && (object.ownerId === viewer.id || viewer.studentIds.includes(object.ownerId));
}

/**
 * Whether `viewer` may give an object this visibility: sharing with a class needs membership of it (admins may
 * name any class). Null when allowed, else the reason.
 */
export function sharingRefusal(viewer: Viewer, visibility: Visibility, classroomId: number | null): string | null {
  if (visibility !== 'class') return null;
  if (classroomId === null) return 'Choose the class to share with';
  if (isAdmin(viewer) || viewer.memberOf.includes(classroomId)) return null;
  return 'You can share only with a class you are in';
}

/**
 * Who may manage another user's account (reset a password, see their classes): admins anyone; teachers only the
 * students of their own classes.
 */
export function canManageAccount(actor: Viewer, account: { id: string; role: Role }): boolean {
  if (isAdmin(actor)) return true;
  return actor.role === 'teacher' && account.role === 'student' && actor.studentIds.includes(account.id);
}

/** The columns of an owned table, qualified by its alias (e.g. `{ owner: 'p.uploaded_by_id', ... }`). */
export interface OwnedColumns {
  owner: string;
  visibility: string;
  classroom: string;
}

/** `{ owner: 'x.owner_id', visibility: 'x.visibility', classroom: 'x.classroom_id' }` for alias `x`. */
export const ownedColumns = (alias: string, owner = 'owner_id'): OwnedColumns => ({
  owner: `${alias}.${owner}`,
  visibility: `${alias}.visibility`,
  classroom: `${alias}.classroom_id`,
});

/**
 * canView as a SQL condition with positional parameters starting at `$first` (for raw queries). The viewer's
 * classes and students travel as array parameters, so the condition needs no join. Admins get `TRUE`.
 */
export function visibleCondition(viewer: Viewer, columns: OwnedColumns, first: number): { sql: string; params: unknown[] } {
  if (isAdmin(viewer)) return { sql: 'TRUE', params: [] };
  const [me, students, classes] = [`$${first}`, `$${first + 1}`, `$${first + 2}`];
  return {
    sql: `(${columns.visibility} = 'public' OR ${columns.owner} = ${me}::uuid OR ${columns.owner} = ANY(${students}::uuid[])
           OR (${columns.visibility} = 'class' AND ${columns.classroom} = ANY(${classes}::int[])))`,
    params: [viewer.id, [...viewer.studentIds], [...viewer.memberOf]],
  };
}

/** canView as a SQL condition with named parameters (TypeORM's `:name`), prefixed so several may share a query. */
export function visibleWhere(viewer: Viewer, columns: OwnedColumns, prefix = 'viewer'): { sql: string; params: Record<string, unknown> } {
  if (isAdmin(viewer)) return { sql: 'TRUE', params: {} };
  const [me, students, classes] = [`${prefix}Id`, `${prefix}Students`, `${prefix}Classes`];
  return {
    sql: `(${columns.visibility} = 'public' OR ${columns.owner} = :${me} OR ${columns.owner} = ANY(CAST(:${students} AS uuid[]))
           OR (${columns.visibility} = 'class' AND ${columns.classroom} = ANY(CAST(:${classes} AS int[]))))`,
    params: { [me]: viewer.id, [students]: [...viewer.studentIds], [classes]: [...viewer.memberOf] },
  };
}

/** canChange as a SQL condition with named parameters. */
export function changeableWhere(viewer: Viewer, ownerColumn: string, prefix = 'changer'): { sql: string; params: Record<string, unknown> } {
  if (isAdmin(viewer)) return { sql: 'TRUE', params: {} };
  return {
    sql: `(${ownerColumn} = :${prefix}Id OR ${ownerColumn} = ANY(CAST(:${prefix}Students AS uuid[])))`,
    params: { [`${prefix}Id`]: viewer.id, [`${prefix}Students`]: [...viewer.studentIds] },
  };
}

/**
 * canChange as a SQL condition with positional parameters starting at `$first`: the viewer and their students, the
 * same two parameters, in the same places, as visibleCondition's, so both may share them. Admins get `TRUE`.
 */
export function changeableCondition(viewer: Viewer, ownerColumn: string, first: number): { sql: string; params: unknown[] } {
  if (isAdmin(viewer)) return { sql: 'TRUE', params: [] };
  return {
    sql: `(${ownerColumn} = $${first}::uuid OR ${ownerColumn} = ANY($${first + 1}::uuid[]))`,
    params: [viewer.id, [...viewer.studentIds]],
  };
}

/** The default visibility of something new: what its maker chose, else private. */
export const DEFAULT_VISIBILITY: Visibility = 'private';
