import { ExecutionContext, Global, Module } from '@nestjs/common';
import { ThrottlerLimitDetail, ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { Request } from 'express';
import { isApiPath } from '../common/api-path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { addressOf, FailureThrottleService, waitText } from './failure-throttle.service';
import { JoinCodeFailureInterceptor, JoinCodeThrottleGuard } from './join-code-throttle';

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<Request>();

/**
 * The JSON API's limit for @nestjs/throttler's guard (global, see AuthModule): one budget per user across every
 * /api route (by session or token), per address for callers not logged in. Pages are not limited by it.
 */
export function apiThrottlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const { apiRequests, apiWindowSeconds } = config.throttling;
  return {
    throttlers: [
      {
        // "default": the guard names the header of any other throttler Retry-After-<name>.
        name: 'default',
        limit: apiRequests,
        ttl: apiWindowSeconds * 1000,
        skipIf: (context) => context.getType() !== 'http' || !isApiPath(requestOf(context).originalUrl ?? ''),
      },
    ],
    getTracker: (req) => {
      const user = (req as Request).user as { id?: string } | undefined;
      return user?.id ? `user:${user.id}` : `address:${addressOf(req as Request)}`;
    },
    // One key per caller, not per route (the library's default is per handler).
    generateKey: (_context, tracker, name) => `api:${name}:${tracker}`,
    errorMessage: (_context, detail: ThrottlerLimitDetail) =>
      `Too many API requests: at most ${detail.limit} every ${waitText(detail.ttl / 1000)}. Try again in ${waitText(Math.max(1, detail.timeToBlockExpire))}.`,
  };
}

/**
 * Abuse limits on @nestjs/throttler. The counts live in the library's in-memory storage: per web process, and
 * forgotten on restart (the portal runs one web process; workers take no logins or API calls).
 * - the API: a request limit (its guard is global, registered in AuthModule);
 * - failed logins and wrong join codes: FailureThrottleService, on the same storage, counting failures only.
 */
@Global()
@Module({
  imports: [ThrottlerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: apiThrottlerOptions })],
  providers: [FailureThrottleService, JoinCodeThrottleGuard, JoinCodeFailureInterceptor],
  exports: [FailureThrottleService, JoinCodeThrottleGuard, JoinCodeFailureInterceptor],
})
export class ThrottlingModule {}
