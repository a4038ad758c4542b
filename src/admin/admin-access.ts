import { NextFunction, Request, Response } from 'express';
import { wantsHtml } from '../common/http-exception.filter';
import { isAdmin } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Admins only, for express routers Nest's global guard does not cover: an anonymous browser goes to the login page
 * (and comes back after), teachers and students get the 403 page; JSON callers get 401/403 as JSON. The queues hold
 * every class's runs, so they are the portal operator's, not a teacher's.
 */
export function adminOnly(req: Request, res: Response, next: NextFunction) {
  const user = req.user as SessionUser | undefined;
  if (user && isAdmin(user)) return next();
  const html = wantsHtml(req);
  if (!user) {
    if (html && req.method === 'GET') return res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
    return res.status(401).json({ statusCode: 401, message: 'Please log in' });
  }
  const message = 'Only admins may see the queues.';
  if (html) return res.status(403).render('error', { title: 'Error 403', status: 403, message });
  return res.status(403).json({ statusCode: 403, message });
}

/** True when an Origin header names the host this request was sent to (the scheme may differ behind a TLS proxy). */
function originIsOurHost(req: Request, origin: string | undefined): boolean {
  if (!origin) return false;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false; // "null" or garbage
  }
}

/**
 * Forgery guard for the queue board's own actions (retry, clean, pause, ...). The board's JavaScript sends its
 * PUTs and POSTs without our CSRF token and cannot be taught to, so instead of the token we require proof that
 * the request came from a page of this origin: browsers mark every request with Sec-Fetch-Site, computed by the
 * browser and not settable by a page, so "same-origin" is trusted as it is. Browsers too old for it send Origin on
 * every non-GET fetch, which must then name our host. A write carrying neither header is not from a browser page
 * at all and is refused too. (The session cookie being SameSite=Lax already keeps it off cross-site POSTs; this
 * check does not rely on that.)
 */
export function sameOriginWrites(req: Request, res: Response, next: NextFunction) {
  if (SAFE_METHODS.has(req.method)) return next();
  const fetchSite = req.get('sec-fetch-site');
  const allowed = fetchSite !== undefined ? fetchSite === 'same-origin' : originIsOurHost(req, req.get('origin'));
  if (allowed) return next();
  res.status(403).json({ statusCode: 403, message: 'This action did not come from a page of this site and was refused.' });
}
