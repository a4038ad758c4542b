import { SessionUser } from '../users/user.entity';
import { Target } from './target.entity';

/** Teachers see everything; students see public targets and their own. */
export function canViewTarget(user: SessionUser, target: Pick<Target, 'visibility' | 'ownerId'>): boolean {
  return user.role === 'teacher' || target.visibility === 'public' || target.ownerId === user.id;
}

/** Teachers edit everything; students edit only what they own. */
export function canEditTarget(user: SessionUser, target: Pick<Target, 'ownerId'>): boolean {
  return user.role === 'teacher' || target.ownerId === user.id;
}
