import { Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { SessionUser } from '../users/user.entity';
import { NotificationsService } from './notifications.service';
import { UNREAD_COUNT_LOCAL } from './unread-count';

type Render = Response['render'];

/**
 * The header's bell shows the user's unread count on every page. The count is read only when a page is rendered
 * (not for JSON, images or redirects), just before it is: res.render is wrapped for logged-in requests. Error pages
 * are rendered without it, so a page about a database that cannot be reached does not wait for it a second time.
 */
@Injectable()
export class UnreadCountMiddleware implements NestMiddleware {
  constructor(private readonly notifications: NotificationsService) {}

  use(req: Request, res: Response, next: NextFunction) {
    const user = req.user as SessionUser | undefined;
    if (user?.id) {
      type Done = (error: Error, html: string) => void;
      const render = res.render.bind(res) as (view: string, options?: object, callback?: Done) => void;
      res.render = ((view: string, options?: object | Done, callback?: Done) => {
        const locals = typeof options === 'function' ? undefined : options;
        const done = typeof options === 'function' ? (options as Done) : callback;
        if (view === 'error' || res.statusCode >= 500) return render(view, locals, done);
        // A page that read the count in its own statement (see unread-count.ts) has it already.
        if (typeof (locals as Record<string, unknown> | undefined)?.[UNREAD_COUNT_LOCAL] === 'number') return render(view, locals, done);
        this.notifications.unreadCount(user).then(
          (count) => {
            res.locals[UNREAD_COUNT_LOCAL] = count;
            render(view, locals, done);
          },
          () => render(view, locals, done),
        );
      }) as Render;
    }
    next();
  }
}
