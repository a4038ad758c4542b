import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NotificationMailer } from './notification-mailer';
import { NotificationPreference } from './notification-preference.entity';
import { Notification } from './notification.entity';
import { NotificationsService } from './notifications.service';

/**
 * NotificationsService for every context that tells users something: the web app, the worker (a run ends there)
 * and the CLI's pipeline:run (PipelinesModule imports it). It needs APP_CONFIG and LiveConnectionsService
 * (LiveModule), which each of those contexts provides. The pages are NotificationPagesModule's.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Notification, NotificationPreference])],
  providers: [NotificationMailer, NotificationsService],
  exports: [NotificationsService],
})
export class NotificationsModule {}
