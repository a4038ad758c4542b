import { NextFunction, Request, Response } from 'express';
import { bearerTokenOf } from '../api-tokens/api-token.codec';
import { isApiPath } from '../common/api-path';
import { wantsHtml } from '../common/http-exception.filter';
import { SessionUser } from '../users/user.entity';

export const PASSWORD_CHANGE_PATH = '/profile/password';

/** What a user who must change their password may still do: change it, log out, see the login page. */
const OPEN_DURING_CHANGE = new Set([`GET ${PASSWORD_CHANGE_PATH}`, `HEAD ${PASSWORD_CHANGE_PATH}`, `POST ${PASSWORD_CHANGE_PATH}`, 'POST /logout', 'GET /login']);

export const MUST_CHANGE_MESSAGE = `You must choose a new password before going on: open ${PASSWORD_CHANGE_PATH}.`;

/**
 * A session whose user must change their password (a generated one, see UsersService.resetPassword) reaches only
 * the change-password page: pages redirect there (and come back after), the API answers 403 JSON, other writes 403.
 * An express middleware after Passport, so it covers Nest's routes and the queue board alike; static files are
 * served before it. API tokens are a credential of their own and pass.
 */
export function passwordChangeGate(req: Request, res: Response, next: NextFunction) {
  const user = req.user as SessionUser | undefined;
  if (!user?.mustChangePassword || OPEN_DURING_CHANGE.has(`${req.method} ${req.path}`)) return next();
  const api = isApiPath(req.originalUrl);
  if (api && bearerTokenOf(req.get('authorization')) !== null) return next();
  if (api || !wantsHtml(req)) return res.status(403).json({ statusCode: 403, message: MUST_CHANGE_MESSAGE });
  if (req.method === 'GET' || req.method === 'HEAD') {
    return res.redirect(`${PASSWORD_CHANGE_PATH}?next=${encodeURIComponent(req.originalUrl)}`);
  }
  res.status(403).render('error', { title: 'Error 403', status: 403, message: MUST_CHANGE_MESSAGE });
}
