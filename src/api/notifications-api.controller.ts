import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import { readRequest } from '../notifications/notification-read-request';
import { notificationView, NotificationsService } from '../notifications/notifications.service';
import { SessionUser } from '../users/user.entity';
import { ApiResource } from './api-docs.decorators';
import { MarkNotificationsReadDto, MarkNotificationsReadResultDto, NotificationDto, NotificationQueryDto } from './dto/notification.dto';
import { ApiPageResponse, Page, paged } from './pagination';

/** The caller's own notifications, as on /notifications (NotificationsService). */
@ApiResource('notifications')
@Controller('api/notifications')
export class NotificationsApiController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({ summary: 'Your notifications', description: 'Newest first; `unread=true` keeps the unread ones, so its `total` is your unread count.' })
  @ApiPageResponse(NotificationDto)
  async list(@CurrentUser() user: SessionUser, @Query() query: NotificationQueryDto): Promise<Page<NotificationDto>> {
    return paged(await this.notifications.list(user, { limit: query.limit, offset: query.offset, unread: query.unread }), query, notificationView);
  }

  @Post('read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mark notifications read',
    description: '`{ids: [...]}` (yours; others\' ids are passed over) or `{all: true}`, not both (400). Your open pages\' bells update at once.',
  })
  @ApiOkResponse({ type: MarkNotificationsReadResultDto })
  async read(@CurrentUser() user: SessionUser, @Body() body: MarkNotificationsReadDto): Promise<MarkNotificationsReadResultDto> {
    return this.notifications.markRead(user, readRequest({ ids: body.ids, all: body.all }));
  }
}
