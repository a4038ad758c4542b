import { BadRequestException } from '@nestjs/common';
import { PageRequest, parsePageRequest, queryText } from '../common/paging';
import { AccountFilters } from '../users/accounts.service';
import { USER_ROLES, UserRole } from '../users/user.entity';

export const USERS_PER_PAGE = 50;
export const MAX_USERS_PER_PAGE = 200;
export const ACCOUNT_STATUSES = ['active', 'deactivated'] as const;

/** What /admin/users was asked for: `q`, `role`, `status` (active | deactivated) and the page. */
export interface UserListQuery {
  filters: AccountFilters;
  /** The query as given, for the form and the page links. */
  params: { q?: string; role?: string; status?: string };
  page: PageRequest;
}

/** Reads the list's query string; an unknown role or status is a 400 naming the choices. */
export function parseUserListQuery(query: Record<string, unknown>): UserListQuery {
  const q = queryText(query.q)?.slice(0, 150);
  const role = queryText(query.role);
  if (role !== undefined && !USER_ROLES.includes(role as UserRole)) {
    throw new BadRequestException(`role must be one of ${USER_ROLES.join(', ')}, not "${role.slice(0, 40)}"`);
  }
  const status = queryText(query.status);
  if (status !== undefined && !(ACCOUNT_STATUSES as readonly string[]).includes(status)) {
    throw new BadRequestException(`status must be one of ${ACCOUNT_STATUSES.join(', ')}, not "${status.slice(0, 40)}"`);
  }
  return {
    filters: { q, role: role as UserRole | undefined, active: status === undefined ? undefined : status === 'active' },
    params: { q, role, status },
    page: parsePageRequest(query, USERS_PER_PAGE, MAX_USERS_PER_PAGE),
  };
}
