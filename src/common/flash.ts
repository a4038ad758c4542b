import { Request, Response } from 'express';

export interface Flash {
  kind: 'info' | 'error';
  message: string;
}

/** A one-time message shown on the next page (post/redirect/get). */
export function setFlash(req: Request, kind: Flash['kind'], message: string): void {
  (req.session as unknown as { flash?: Flash }).flash = { kind, message };
}

/** Reads and clears the pending message. */
export function takeFlash(req: Request): Flash | undefined {
  const session = req.session as unknown as { flash?: Flash } | undefined;
  const flash = session?.flash;
  if (flash && session) delete session.flash;
  return flash;
}

/**
 * Offers the pending message to the page as `flash`, taken from the session only when a view reads it. A GET that
 * renders no page (a thumbnail, a JSON poll, an image still loading from the page before) must not use up the
 * message meant for the page the browser was redirected to.
 */
export function offerFlash(req: Request, res: Response): void {
  let taken = false;
  let flash: Flash | undefined;
  Object.defineProperty(res.locals, 'flash', {
    enumerable: true,
    configurable: true,
    get() {
      if (!taken) {
        taken = true;
        flash = takeFlash(req);
      }
      return flash;
    },
  });
}

/**
 * Express middleware: a redirect that carries a flash message waits until the session is stored. express-session
 * stores a changed session while the response ends, after it has sent the headers, and a browser follows a 303 as
 * soon as it has them: under load the next page was read before the message was stored, and showed none.
 */
export function storeFlashBeforeRedirect(req: Request, res: Response, next: () => void): void {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  (res as unknown as { redirect: (...args: unknown[]) => void }).redirect = (...args: unknown[]) => {
    const session = req.session as unknown as ({ flash?: Flash } & { save(callback: (error?: unknown) => void): void }) | undefined;
    if (!session?.flash) return redirect(...args);
    session.save(() => redirect(...args));
  };
  next();
}
