import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { ApiToken } from './api-token.entity';
import { ApiTokensService } from './api-tokens.service';

/** Personal API tokens; the /profile page (src/profile/) makes and revokes them. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiToken]), UsersModule],
  providers: [ApiTokensService],
  exports: [ApiTokensService],
})
export class ApiTokensModule {}
