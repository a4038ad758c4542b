import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ForbiddenException, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { isTokenAuthenticated } from '../auth/bearer-token.middleware';
import { sessionSecret } from '../auth/session-settings';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isApiPath } from './api-path';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The cookie that pairs an anonymous form's token with the browser it was shown to. */
export const FORM_COOKIE = 'portal.csrf';
const NONCE = /^[A-Za-z0-9_-]{32}$/;

/**
 * The session's CSRF token (synchronizer-token pattern), made on first use. Only for a logged-in session: storing
 * the token modifies the session, and express-session saves a modified session, so calling this for an anonymous
 * request would make a session row (see CsrfTokens.forForm for the anonymous forms).
 */
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

/** One cookie's value from the Cookie header, or undefined. */
function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * CSRF tokens for both kinds of visitor. A logged-in browser has a session, and its token lives there. An
 * anonymous one sees only two forms (log in, sign up), and a session for them would be a row per visitor, bot and
 * probe; so those forms use a signed double-submit token instead: a random nonce in a cookie of its own
 * (`portal.csrf`, HttpOnly, SameSite=Lax, for the browser's session) and, in the form, the nonce's HMAC under a key
 * derived from the session secret. A forged cross-site post has neither the cookie (SameSite) nor a way to read or
 * compute the token; nothing is stored on the server. The session, and its own token, begin at login.
 */
@Injectable()
export class CsrfTokens {
  private readonly key: Buffer;
  private readonly secure: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // A key of its own, so a form token can never double as a session cookie signature.
    this.key = createHmac('sha256', sessionSecret(config)).update('portal anonymous form token').digest();
    this.secure = config.cookieSecure;
  }

  /**
   * The token a form shown on this page must carry: the session's when logged in, else the anonymous form token,
   * whose cookie is set here when the browser has none yet. Call it only for a page that shows a form.
   */
  forForm(req: Request, res: Response): string {
    if (req.user) return csrfTokenFor(req);
    let nonce = cookieValue(req, FORM_COOKIE);
    if (!nonce || !NONCE.test(nonce)) {
      nonce = randomBytes(24).toString('base64url');
      res.cookie(FORM_COOKIE, nonce, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure });
    }
    return this.sign(nonce);
  }

  /** Whether a state-changing request carries the token its visitor was given (logged in: the session's). */
  accepts(req: Request): boolean {
    const presented = presentedToken(req);
    if (req.user) return tokensMatch(presented, (req.session as unknown as { csrfToken?: string } | undefined)?.csrfToken ?? '');
    const nonce = cookieValue(req, FORM_COOKIE);
    return nonce !== undefined && NONCE.test(nonce) && tokensMatch(presented, this.sign(nonce));
  }

  private sign(nonce: string): string {
    return createHmac('sha256', this.key).update(nonce).digest('base64url');
  }
}

/** Refuses any state-changing request without its token. */
@Injectable()
export class CsrfMiddleware implements NestMiddleware {
  constructor(private readonly tokens: CsrfTokens) {}

  use(req: Request, _res: Response, next: NextFunction) {
    if (SAFE_METHODS.has(req.method)) return next();
    // A bearer token is sent deliberately by a script, never attached by a browser on its own: no forgery to stop.
    if (isTokenAuthenticated(req)) return next();
    // Nobody logged in: every /api route refuses that with 401 itself, which says more than a CSRF 403 would.
    if (!req.user && isApiPath(req.originalUrl)) return next();
    if (!this.tokens.accepts(req)) {
      throw new ForbiddenException('This form has expired or did not come from this site (missing or invalid CSRF token). Reload the page and try again.');
    }
    next();
  }
}
