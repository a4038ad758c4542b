import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RemoteEventsController } from './remote-events.controller';
import { RemoteEventsService } from './remote-events.service';
import { RemoteTasksService } from './remote-tasks.service';
import { RemoteTaskEvent } from './remote-task-event.entity';

/** Remote pipelines' services: the events processing services send (web) and the tasks handed to them (workers). */
@Module({
  imports: [TypeOrmModule.forFeature([RemoteTaskEvent])],
  providers: [RemoteEventsService, RemoteTasksService],
  exports: [RemoteEventsService, RemoteTasksService],
})
export class RemotePipelinesModule {}

/** The services' doors, in the web process (the pipelines module provides the services and the registry). */
@Module({ controllers: [RemoteEventsController] })
export class RemoteEventsWebModule {}
