import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CookieOptions } from 'express';
import type { AppConfig } from '../config/app-config';

/** The session cookie; a session (and its row in `sessions`) exists only for a logged-in browser. */
export const SESSION_COOKIE = 'portal.sid';
export const SESSION_MAX_AGE_MS = 14 * 24 * 3600 * 1000;

/** The attributes the session cookie is set with, and must be cleared with. */
export function sessionCookieOptions(config: Pick<AppConfig, 'cookieSecure'>): CookieOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure };
}

/** A stable secret: SESSION_SECRET, else one made once and kept in DATA_DIR so restarts keep sessions. */
export function sessionSecret(config: Pick<AppConfig, 'sessionSecret' | 'dataDir'>): string {
  if (config.sessionSecret) return config.sessionSecret;
  const file = path.join(config.dataDir, 'session-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    // 'wx': two apps starting on one DATA_DIR at once must not each write their own secret.
    try {
      fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}
