import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClassroomsModule } from '../classrooms/classrooms.module';
import { Classroom } from '../classrooms/classroom.entity';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { typeormOptions } from '../database/typeorm-options';
import { DemoModule } from '../demo/demo.module';
import { LiveModule } from '../live/live.module';
import { PipelinePreset } from '../pipeline-runs/pipeline-preset.entity';
import { PipelinePresetsService } from '../pipeline-runs/pipeline-presets.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';
import { TargetsModule } from '../targets/targets.module';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { CliCommandsService } from './cli-commands.service';

/**
 * The account, class, target-import and demo commands' context: the database, files and the services the web uses. `queueRedisUrl`
 * (seed:demo on servers) adds the queues, so running workers make the demo's thumbnails at once; without it
 * (the embedded default, where no worker could take the jobs) the portal's start-up sweep makes them.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string, queueRedisUrl: string | null, options: { presets?: boolean } = {}): DynamicModule {
    return {
      module: CliModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot(typeormOptions(databaseUrl)),
        TypeOrmModule.forFeature([User, Classroom, ...(options.presets ? [PipelinePreset] : [])]),
        ...(queueRedisUrl ? [QueueModule.forRoot(queueRedisUrl)] : []),
        // On servers a deactivation here also ends the account's Socket.IO connections in the web processes.
        LiveModule.forRoot(config.redisUrl || null),
        StorageModule,
        UsersModule,
        ClassroomsModule,
        TargetsModule,
        DemoModule,
      ],
      // seed:demo makes the demo's pipeline preset, so it needs the registry (read from PIPELINES_CONFIG) and presets;
      // the other commands do not load the pipelines at all.
      providers: [{ provide: APP_CONFIG, useValue: config }, CliCommandsService, ...(options.presets ? [PipelineRegistryService, PipelinePresetsService] : [])],
      exports: [APP_CONFIG, ...(options.presets ? [PipelinePresetsService] : [])],
    };
  }
}
