import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bull';
import { Express, NextFunction, Request, Response, Router } from 'express';
import { PIPELINES_QUEUE, PREVIEWS_QUEUE } from '../queue/queue.module';
import { adminOnly, sameOriginWrites } from './admin-access';

export const QUEUE_BOARD_PATH = '/admin/queues';

// The board's page asks Google for its fonts; classrooms may be offline and we serve everything ourselves, so the
// link is dropped (the page falls back to the system fonts).
const REMOTE_FONTS = /<link[^>]+fonts\.googleapis\.com[^>]*>\s*/g;

/** The page without remote assets: wraps `res.render` for the board's entry page. */
function localAssetsOnly(_req: Request, res: Response, next: NextFunction) {
  const render = res.render.bind(res);
  res.render = ((view: string, options?: object) =>
    render(view, options ?? {}, (error: Error | null, html?: string) => {
      if (error) return next(error);
      res.send((html ?? '').replace(REMOTE_FONTS, ''));
    })) as Response['render'];
  next();
}

/**
 * The board's express app as a plain middleware that gives the request back as it found it. Inside a sub-app,
 * express gives `req` and `res` the sub-app's prototypes (its views, its settings); `app.use` puts the parent's
 * back when a request falls through, but a Router does not. So a request the board does not serve (a missing
 * /admin/queues/static/ file, an unknown path, a malformed one) reached the portal's 404 with the board's
 * `res.render`, which could not find the portal's error page and answered with a stack trace and server paths.
 */
export function fallThroughIntact(subApp: Express) {
  return (req: Request, res: Response, next: NextFunction) => {
    const [request, response] = [Object.getPrototypeOf(req), Object.getPrototypeOf(res)];
    subApp(req, res, (error?: unknown) => {
      Object.setPrototypeOf(req, request);
      Object.setPrototypeOf(res, response);
      next(error);
    });
  };
}

/** Bull Board over the app's two Bull queues, served under /admin/queues to admins only. */
@Injectable()
export class QueueBoardService {
  readonly router: Router;

  constructor(@InjectQueue(PIPELINES_QUEUE) pipelines: Queue, @InjectQueue(PREVIEWS_QUEUE) previews: Queue) {
    const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: [new BullAdapter(pipelines), new BullAdapter(previews)],
      serverAdapter,
      options: {
        uiConfig: {
          boardTitle: 'Portal queues',
          miscLinks: [
            { text: 'Runs', url: '/runs' },
            { text: 'Back to the portal', url: '/targets' },
          ],
          hideDocsLink: true,
        },
      },
    });
    this.router = Router().use(adminOnly, sameOriginWrites, localAssetsOnly, fallThroughIntact(serverAdapter.getRouter() as Express));
  }

  /**
   * Mounts the board on the express app. It is a plain express router, so Nest's guard and middleware (the CSRF
   * check among them) never see it: `adminOnly` and `sameOriginWrites` stand in for them. Call after the
   * session and Passport are set up, so `req.user` is known.
   */
  mount(app: { use: (path: string, handler: Router) => unknown }) {
    app.use(QUEUE_BOARD_PATH, this.router);
  }
}
