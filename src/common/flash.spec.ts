import { Request, Response } from 'express';
import { offerFlash, setFlash, storeFlashBeforeRedirect } from './flash';

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

describe('storeFlashBeforeRedirect', () => {
  function wired(session: Record<string, unknown>) {
    const order: string[] = [];
    let finishSave: () => void = () => undefined;
    (session as { save: unknown }).save = (callback: () => void) => {
      order.push('save started');
      finishSave = () => {
        order.push('saved');
        callback();
      };
    };
    const req = { session } as unknown as Request;
    const res = { redirect: (status: number, url: string) => order.push(`redirect ${status} ${url}`) } as unknown as Response;
    storeFlashBeforeRedirect(req, res, () => undefined);
    return { req, res, order, finishSave: () => finishSave() };
  }

  it('sends a redirect that carries a message only once the session is stored', () => {
    const { req, res, order, finishSave } = wired({});
    setFlash(req, 'info', 'Created the class.');
    res.redirect(303, '/classes/1');
    expect(order).toEqual(['save started']);
    finishSave();
    expect(order).toEqual(['save started', 'saved', 'redirect 303 /classes/1']);
  });

  it('redirects at once when there is no message (no session row is made for it)', () => {
    const { res, order } = wired({});
    res.redirect(303, '/login');
    expect(order).toEqual(['redirect 303 /login']);
  });
});
