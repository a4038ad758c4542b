import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AdminUsersController } from './admin-users.controller';

/** /admin/users: account administration for admins (AccountsService holds the rules). */
@Module({ imports: [UsersModule], controllers: [AdminUsersController] })
export class AdminUsersModule {}
