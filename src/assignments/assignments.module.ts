import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GroupsModule } from '../groups/groups.module';
import { TargetsModule } from '../targets/targets.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { UsersModule } from '../users/users.module';
import { AssignmentRemindersService } from './assignment-reminders.service';
import { Assignment } from './assignment.entity';
import { AssignmentsController } from './assignments.controller';
import { AssignmentsGateway } from './assignments.gateway';
import { AssignmentsService } from './assignments.service';
import { HandIn } from './hand-in.entity';

/** Assignments and hand-ins: the pages, the progress table's live channel, and the service the API and target page use. */
@Module({
  imports: [TypeOrmModule.forFeature([Assignment, HandIn]), TargetsModule, GroupsModule, UsersModule, NotificationsModule],
  controllers: [AssignmentsController],
  providers: [AssignmentsService, AssignmentsGateway, AssignmentRemindersService],
  exports: [AssignmentsService],
})
export class AssignmentsModule {}
