import { isAdmin, Viewer } from '../sharing/sharing-policy';

/**
 * Who may manage a class (see its roster and join code, add co-teachers, import, remove students): its teachers
 * and admins. Read from the session user's `teaches`, loaded with every request, so a removed co-teacher loses it
 * at once. Account actions on its students also need the sharing policy's canManageAccount.
 */
export function canManageClassroom(viewer: Pick<Viewer, 'role' | 'teaches'>, classroomId: number): boolean {
  return isAdmin(viewer) || viewer.teaches.includes(classroomId);
}

/** Who may see a class and its class work (assignments): its members, teachers and students, and admins. */
export function canSeeClassroom(viewer: Pick<Viewer, 'role' | 'memberOf'>, classroomId: number): boolean {
  return isAdmin(viewer) || viewer.memberOf.includes(classroomId);
}
