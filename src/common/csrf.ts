import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ForbiddenException, Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { isTokenAuthenticated } from '../auth/bearer-token.middleware';
import { isApiPath } from './api-path';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's CSRF token (synchronizer-token pattern), made on first use. */
export function csrfTokenFor(req: Request): string {
  const session = req.session as unknown as { csrfToken?: string } | undefined;
  if (!session) return '';
  if (!session.csrfToken) session.csrfToken = randomBytes(24).toString('base64url');
  return session.csrfToken;
}

/**
 * Where a request carries its token: the `_csrf` form field, the `X-CSRF-Token` header (the pages' own
 * JavaScript), or `?_csrf=` for multipart forms, whose body is only read after this check so that a forged
 * upload is refused before a byte of it reaches the disk.
 */
function presentedToken(req: Request): string {
  const fromBody = typeof req.body === 'object' && req.body ? req.body._csrf : undefined;
  const candidate = fromBody ?? req.get('x-csrf-token') ?? req.query._csrf;
  return typeof candidate === 'string' ? candidate : '';
}

function tokensMatch(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** Refuses any state-changing request without the session's token. */
@Injectable()
export class CsrfMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction) {
    if (SAFE_METHODS.has(req.method)) return next();
    // A bearer token is sent deliberately by a script, never attached by a browser on its own: no forgery to stop.
    if (isTokenAuthenticated(req)) return next();
    // Nobody logged in: every /api route refuses that with 401 itself, which says more than a CSRF 403 would.
    if (!req.user && isApiPath(req.originalUrl)) return next();
    const expected = (req.session as unknown as { csrfToken?: string } | undefined)?.csrfToken ?? '';
    if (!tokensMatch(presentedToken(req), expected)) {
      throw new ForbiddenException('This form has expired or did not come from this site (missing or invalid CSRF token). Reload the page and try again.');
    }
    next();
  }
}
