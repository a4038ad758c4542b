import { Request, Response } from 'express';
import { offerFlash, setFlash } from './flash';

function pair(): { req: Request; res: Response } {
  return { req: { session: {} } as unknown as Request, res: { locals: {} } as unknown as Response };
}

describe('flash messages', () => {
  it('leaves the message in the session when the request renders no page', () => {
    const { req, res } = pair();
    setFlash(req, 'info', 'Created the class.');
    offerFlash(req, res);
    // A thumbnail or JSON request ends here without a view reading res.locals.
    expect((req.session as unknown as { flash?: unknown }).flash).toEqual({ kind: 'info', message: 'Created the class.' });
  });

  it('hands the message to the page that reads it, once, and clears it from the session', () => {
    const { req, res } = pair();
    setFlash(req, 'error', 'Nope.');
    offerFlash(req, res);
    const renderOptions = Object.assign({}, res.locals);
    expect(renderOptions.flash).toEqual({ kind: 'error', message: 'Nope.' });
    expect(res.locals.flash).toEqual({ kind: 'error', message: 'Nope.' });
    expect((req.session as unknown as { flash?: unknown }).flash).toBeUndefined();

    const next = pair();
    next.req.session = req.session;
    offerFlash(next.req, next.res);
    expect(next.res.locals.flash).toBeUndefined();
  });
});
