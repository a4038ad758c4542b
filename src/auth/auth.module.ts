import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthenticatedGuard } from './authenticated.guard';
import { LocalStrategy } from './local.strategy';
import { SessionPrunerService } from './session-pruner.service';
import { SessionSerializer } from './session.serializer';

@Module({
  imports: [UsersModule, PassportModule.register({ session: true })],
  controllers: [AuthController],
  providers: [LocalStrategy, SessionSerializer, SessionPrunerService, { provide: APP_GUARD, useClass: AuthenticatedGuard }],
})
export class AuthModule {}
