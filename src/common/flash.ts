import { Request } from 'express';

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
