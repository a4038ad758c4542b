import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerGuard } from '@nestjs/throttler';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthenticatedGuard } from './authenticated.guard';
import { LocalStrategy } from './local.strategy';
import { SessionPrunerService } from './session-pruner.service';
import { SessionSerializer } from './session.serializer';
import { ThrottlingModule } from './throttling.module';

@Module({
  imports: [UsersModule, PassportModule.register({ session: true }), ThrottlingModule],
  controllers: [AuthController],
  providers: [
    LocalStrategy,
    SessionSerializer,
    SessionPrunerService,
    // In this order: the API limit counts a request before the log-in check can refuse it.
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useClass: AuthenticatedGuard },
  ],
})
export class AuthModule {}
