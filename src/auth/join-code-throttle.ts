import {
  applyDecorators,
  CallHandler,
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Request, Response } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { FailureKey, FailureThrottleService, TooManyFailuresException } from './failure-throttle.service';

/** Refuses (429, Retry-After) a join-code guess from a user or address that has used up its wrong guesses. */
@Injectable()
export class JoinCodeThrottleGuard implements CanActivate {
  constructor(private readonly throttle: FailureThrottleService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      await this.throttle.assertAllowed(this.throttle.joinCodeKeys(context.switchToHttp().getRequest<Request>()));
      return true;
    } catch (error) {
      if (error instanceof TooManyFailuresException) context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
  }
}

/** A refusal the user caused (4xx, not the throttle's own 429): a wrong guess. */
const isRefusal = (status: number) => status >= 400 && status < 500 && status !== HttpStatus.TOO_MANY_REQUESTS;

/**
 * Counts a wrong guess when the handler refuses it: throws a 4xx HttpException (the usual way), or answers with a
 * 4xx status itself (a form shown again with its message). Successes count nothing.
 */
@Injectable()
export class JoinCodeFailureInterceptor implements NestInterceptor {
  constructor(private readonly throttle: FailureThrottleService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const keys: FailureKey[] = this.throttle.joinCodeKeys(req);
    return next.handle().pipe(
      mergeMap(async (value) => {
        if (isRefusal(res.statusCode)) await this.throttle.recordFailure(keys);
        return value;
      }),
      catchError((error) => {
        const counted = error instanceof HttpException && isRefusal(error.getStatus()) ? this.throttle.recordFailure(keys) : Promise.resolve(null);
        return from(counted).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}

/**
 * Throttles wrong join codes per user (when logged in) and per address: put it on the handlers that take a code
 * (POST /classes/join, POST /signup). The handler refuses a wrong code with a 4xx (an exception, or a form shown
 * again with a 4xx status); after THROTTLE_JOIN_CODE_PER_USER / _PER_ADDRESS such refusals within
 * THROTTLE_JOIN_CODE_WINDOW_SECONDS, further guesses get 429 with Retry-After until the window has passed.
 */
export const ThrottleJoinCodeGuesses = () => applyDecorators(UseGuards(JoinCodeThrottleGuard), UseInterceptors(JoinCodeFailureInterceptor));
