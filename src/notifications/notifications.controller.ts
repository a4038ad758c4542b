import { BadRequestException, Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { pageView, parsePageRequest, queryText } from '../common/paging';
import { ParseRowIdPipe, quoted } from '../common/request-parsing';
import { SessionUser } from '../users/user.entity';
import { NOTIFICATION_KIND_LABELS } from './notification-kinds';
import { readRequest } from './notification-read-request';
import { NotificationsService } from './notifications.service';

export const NOTIFICATIONS_PER_PAGE = 50;

/** `?unread=1` (or `true`): only the unread ones; anything else but nothing is a 400. */
function unreadOnly(raw: unknown): boolean {
  const value = queryText(raw, 'unread');
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new BadRequestException(`unread must be 1 or 0, not ${quoted(value)}`);
}

/** /notifications: the user's notifications, newest first, paged; mark them read, one or all; open one. */
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  async index(@CurrentUser() user: SessionUser, @Query() query: Record<string, unknown>, @Res() res: Response) {
    const page = parsePageRequest(query, NOTIFICATIONS_PER_PAGE, 200);
    const unread = unreadOnly(query.unread);
    const [{ items, total }, unreadCount] = await Promise.all([this.notifications.list(user, { ...page, unread }), this.notifications.exactUnreadCount(user)]);
    res.render('notifications/index', {
      title: 'Notifications',
      notifications: items.map((item) => ({ ...item, kindLabel: NOTIFICATION_KIND_LABELS[item.kind] ?? item.kind })),
      unreadOnly: unread,
      unreadCount,
      pager: pageView('/notifications', { unread: unread ? 1 : undefined }, { ...page, total, shown: items.length }, NOTIFICATIONS_PER_PAGE, { one: 'notification', many: 'notifications' }),
    });
  }

  /** "Mark read" on one (`ids`) or "Mark all read" (`all`); back to the list. */
  @Post('read')
  async read(@CurrentUser() user: SessionUser, @Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    const { marked } = await this.notifications.markRead(user, readRequest(body));
    setFlash(req, 'info', marked === 1 ? 'Marked 1 notification read.' : `Marked ${marked} notifications read.`);
    res.redirect(303, '/notifications');
  }

  /** Opens a notification: marked read, then on to its link (or back to the list when it has none). */
  @Post(':id/open')
  async open(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const notification = await this.notifications.open(user, id);
    if (!notification) throw new NotFoundException(`You have no notification with id ${id}`);
    res.redirect(303, notification.link ?? '/notifications');
  }
}
