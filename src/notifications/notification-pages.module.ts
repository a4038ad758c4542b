import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { NotificationsController } from './notifications.controller';
import { NotificationsModule } from './notifications.module';
import { UnreadCountMiddleware } from './unread-count.middleware';

/** The web side of notifications: /notifications and the bell's count on every page (the API is src/api/'s). */
@Module({
  imports: [NotificationsModule],
  controllers: [NotificationsController],
})
export class NotificationPagesModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(UnreadCountMiddleware).forRoutes('*path');
  }
}
