import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ClassroomsController } from './classrooms.controller';
import { ClassroomsModule } from './classrooms.module';
import { LoginCardsStore } from './login-cards.store';
import { RosterUploadInterceptor } from './roster-upload.interceptor';
import { SignupController } from './signup.controller';

/** The class pages and /signup, with the one-time login-card downloads (Redis: PIPELINE_REDIS_URL, global). */
@Module({
  imports: [ClassroomsModule, UsersModule],
  controllers: [ClassroomsController, SignupController],
  providers: [LoginCardsStore, RosterUploadInterceptor],
})
export class ClassroomPagesModule {}
