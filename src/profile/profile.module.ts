import { Module } from '@nestjs/common';
import { ApiTokensModule } from '../api-tokens/api-tokens.module';
import { UsersModule } from '../users/users.module';
import { ProfileController } from './profile.controller';
import { ProfileService } from './profile.service';

/** /profile: display name, password (also the forced change after a generated one) and API tokens. */
@Module({
  imports: [UsersModule, ApiTokensModule],
  controllers: [ProfileController],
  providers: [ProfileService],
})
export class ProfileModule {}
