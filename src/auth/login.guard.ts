import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { Request, Response } from 'express';
import { FailureThrottleService, TooManyFailuresException } from './failure-throttle.service';

/**
 * Checks the posted credentials with the local strategy and starts a session. Failed logins are throttled per
 * username and per address: once either has used up its failures, the attempt is refused (429) before the password
 * is looked at, so even the right password waits (a guesser must not learn that a guess was right).
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  constructor(private readonly throttle: FailureThrottleService) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const keys = this.throttle.loginKeys(req);
    try {
      await this.throttle.assertAllowed(keys);
    } catch (error) {
      if (error instanceof TooManyFailuresException) context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    let ok: boolean;
    try {
      ok = (await super.canActivate(context)) as boolean;
    } catch (error) {
      if (error instanceof UnauthorizedException) await this.throttle.recordFailure(keys);
      throw error;
    }
    await super.logIn(req);
    return ok;
  }
}
