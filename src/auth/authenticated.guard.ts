import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { SessionUser, UserRole } from '../users/user.entity';
import { IS_PUBLIC, ROLES } from './auth.decorators';

/**
 * Global guard: every route needs a logged-in user unless marked @Public(); @Roles() narrows further, to exactly the
 * roles it names (a teachers' route names 'admin' too: admins run the portal).
 */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.isAuthenticated?.() || !request.user) throw new UnauthorizedException('Please log in');
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (roles && !roles.includes((request.user as SessionUser).role)) {
      throw new ForbiddenException(`Only ${roles.map((role) => `${role}s`).join(' and ')} may do this`);
    }
    return true;
  }
}
