import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { ClassroomMember } from './classroom-member.entity';
import { Classroom } from './classroom.entity';
import { ClassroomsService } from './classrooms.service';

/**
 * Classes and their members: ClassroomsService only, so that the CLI can use it too (no queues, no Redis, no
 * controllers). The pages are ClassroomPagesModule's; the API's controller is in ApiModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Classroom, ClassroomMember, User]), UsersModule],
  providers: [ClassroomsService],
  exports: [ClassroomsService],
})
export class ClassroomsModule {}
