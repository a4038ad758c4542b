import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';

/** How often a live session's expiry is written back at most (the session lasts 14 days). */
export const SESSION_TOUCH_INTERVAL_MS = 5 * 60 * 1000;

type PgStoreOptions = ConstructorParameters<ReturnType<typeof connectPgSimple>>[0];

/**
 * The Postgres session store, touching each session at most once per interval. With `rolling` sessions
 * express-session touches the store on every request that does not change the session: an UPDATE and a commit
 * for each page, image and script, which under load cost more than the page's own queries. Moving a 14-day expiry
 * forward a few minutes late loses nothing. Sessions that change are still saved at once (`set`).
 */
export function createSessionStore(options: PgStoreOptions, touchIntervalMs = SESSION_TOUCH_INTERVAL_MS): session.Store {
  const PgStore = connectPgSimple(session);
  class ThrottledPgStore extends PgStore {
    private readonly touchedAt = new Map<string, number>();

    override touch(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
      const now = Date.now();
      const last = this.touchedAt.get(sid);
      if (last !== undefined && now - last < touchIntervalMs) {
        callback?.();
        return;
      }
      this.remember(sid, now);
      super.touch(sid, sess, callback);
    }

    override set(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
      // A save writes the expiry too.
      this.remember(sid, Date.now());
      super.set(sid, sess, callback);
    }

    override destroy(sid: string, callback?: (err?: unknown) => void): void {
      this.touchedAt.delete(sid);
      super.destroy(sid, callback);
    }

    private remember(sid: string, now: number): void {
      this.touchedAt.set(sid, now);
      // Forget sessions not seen for an interval, so the map holds only the sessions in use.
      if (this.touchedAt.size > 10_000) {
        for (const [key, at] of this.touchedAt) if (now - at >= touchIntervalMs) this.touchedAt.delete(key);
      }
    }
  }
  return new ThrottledPgStore(options);
}
