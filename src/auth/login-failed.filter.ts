import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Request, Response } from 'express';
import { CsrfTokens } from '../common/csrf';
import { userMessage } from '../common/http-exception.filter';
import { safeNext } from './auth.controller';
import { TooManyFailuresException } from './failure-throttle.service';
import { AccountDeactivatedException } from './local.strategy';

/**
 * A refused login shows the form again with a message, keeping the username: a wrong password (401), a deactivated
 * account (403), or too many failed logins (429, with the wait; Retry-After is already set).
 */
@Catch(UnauthorizedException, AccountDeactivatedException, TooManyFailuresException)
@Injectable()
export class LoginFailedFilter implements ExceptionFilter {
  constructor(private readonly csrf: CsrfTokens) {}

  catch(exception: HttpException, host: ArgumentsHost) {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const error = exception instanceof UnauthorizedException ? 'Wrong username or password.' : userMessage(exception);
    res.status(exception.getStatus()).render('auth/login', {
      title: 'Log in',
      error,
      username: req.body?.username ?? '',
      next: safeNext(req.body?.next),
      csrfToken: this.csrf.forForm(req, res),
    });
  }
}
