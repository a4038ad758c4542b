import { canChange, canView } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';
import { Target } from './target.entity';

/** The sharing policy for targets (kept as named helpers: many callers read better with them). */
export function canViewTarget(user: SessionUser, target: Pick<Target, 'visibility' | 'ownerId' | 'classroomId'>): boolean {
  return canView(user, target);
}

export function canEditTarget(user: SessionUser, target: Pick<Target, 'ownerId'>): boolean {
  return canChange(user, target);
}
