import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiModule } from './api/api.module';
import { ApiTokensModule } from './api-tokens/api-tokens.module';
import { AdminModule } from './admin/admin.module';
import { AdminUsersModule } from './admin-users/admin-users.module';
import { AssignmentsModule } from './assignments/assignments.module';
import { AuthModule } from './auth/auth.module';
import { BearerTokenMiddleware } from './auth/bearer-token.middleware';
import { ClassroomPagesModule } from './classrooms/classroom-pages.module';
import { ClassroomsModule } from './classrooms/classrooms.module';
import { CsrfMiddleware, CsrfTokens } from './common/csrf';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { DataProductsModule } from './data-products/data-products.module';
import { typeormOptions } from './database/typeorm-options';
import { DemoModule } from './demo/demo.module';
import { ExportsModule } from './exports/exports.module';
import { GroupsModule } from './groups/groups.module';
import { HealthModule } from './health/health.module';
import { Infrastructure } from './infrastructure/infrastructure';
import { LiveModule } from './live/live.module';
import { NotificationPagesModule } from './notifications/notification-pages.module';
import { PipelinePagesModule } from './pipeline-runs/pipeline-pages.module';
import { PipelinesModule } from './pipeline-runs/pipelines.module';
import { PreviewsModule } from './previews/previews.module';
import { ProfileModule } from './profile/profile.module';
import { QueueModule } from './queue/queue.module';
import { ReducedDataModule } from './reduced-data/reduced-data.module';
import { StorageModule } from './storage/storage.module';
import { TargetPageModule } from './targets/target-page.module';
import { TargetsModule } from './targets/targets.module';
import { UsersModule } from './users/users.module';
import { WorkflowsModule } from './workflows/workflows.module';
import { RemoteEventsWebModule } from './remote-pipelines/remote-pipelines.module';

@Module({})
export class AppModule implements NestModule {
  /** `jobsElsewhere`: a worker process runs the pipeline and preview jobs (the built embedded default). */
  static forRoot(config: AppConfig, infrastructure: Infrastructure, options: { jobsElsewhere?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot(typeormOptions(infrastructure.databaseUrl)),
        QueueModule.forRoot(infrastructure.redisUrl, config.pipelineLockSeconds),
        // With the embedded services inside this process (the tests), this process also runs the jobs, one at a
        // time: Bull's parallel blocking reads do not close cleanly when the server closes in the same process. The
        // built embedded default runs them in its worker process instead, several at once.
        PipelinesModule.forRoot({
          redisUrl: infrastructure.redisUrl,
          runWorker: !options.jobsElsewhere && (config.inProcessWorker || infrastructure.embeddedRedis),
          concurrency: infrastructure.embeddedRedis && !infrastructure.servicesProcesses.length ? 1 : config.pipelineConcurrency,
        }),
        // Ends users' Socket.IO connections in every web process when their sessions end or their classes change.
        LiveModule.forRoot(infrastructure.redisUrl),
        StorageModule,
        UsersModule,
        AuthModule,
        ApiTokensModule,
        ProfileModule,
        NotificationPagesModule,
        // TargetsModule before TargetPageModule: /targets/new must match before /targets/:id.
        TargetsModule,
        TargetPageModule,
        AssignmentsModule,
        DataProductsModule,
        PreviewsModule,
        GroupsModule,
        ExportsModule,
        ReducedDataModule,
        PipelinePagesModule,
        WorkflowsModule,
        RemoteEventsWebModule,
        ClassroomsModule,
        ClassroomPagesModule,
        DemoModule,
        HealthModule,
        AdminModule,
        AdminUsersModule,
        ApiModule,
      ],
      // CsrfTokens: the CSRF check, and the login and sign-up pages that show an anonymous form.
      providers: [{ provide: APP_CONFIG, useValue: config }, CsrfTokens],
      exports: [APP_CONFIG, CsrfTokens],
    };
  }

  configure(consumer: MiddlewareConsumer) {
    // The bearer token first: the CSRF check skips requests a token logged in.
    consumer.apply(BearerTokenMiddleware, CsrfMiddleware).forRoutes('*path');
  }
}
