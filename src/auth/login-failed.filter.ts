import { ArgumentsHost, Catch, ExceptionFilter, UnauthorizedException } from '@nestjs/common';
import { Request, Response } from 'express';
import { safeNext } from './auth.controller';

/** A failed login shows the form again with a message, keeping the username. */
@Catch(UnauthorizedException)
export class LoginFailedFilter implements ExceptionFilter {
  catch(_exception: UnauthorizedException, host: ArgumentsHost) {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    res.status(401).render('auth/login', {
      title: 'Log in',
      error: 'Wrong username or password.',
      username: req.body?.username ?? '',
      next: safeNext(req.body?.next),
      csrfToken: res.locals.csrfToken,
    });
  }
}
