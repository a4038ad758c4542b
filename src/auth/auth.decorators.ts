import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Request } from 'express';
import { SessionUser, UserRole } from '../users/user.entity';

export const IS_PUBLIC = 'isPublic';
/** Reachable without logging in. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const ROLES = 'roles';
/** Only these roles may call the handler (name 'admin' too where admins should pass). */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** The logged-in user. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SessionUser => context.switchToHttp().getRequest<Request>().user as SessionUser,
);
