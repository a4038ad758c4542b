import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module';
import { ClassroomsModule } from '../classrooms/classrooms.module';
import { RosterUploadInterceptor } from '../classrooms/roster-upload.interceptor';
import { DataProductsModule } from '../data-products/data-products.module';
import { ExportsModule } from '../exports/exports.module';
import { UploadInterceptor } from '../data-products/upload.interceptor';
import { GroupsModule } from '../groups/groups.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ReducedDataModule } from '../reduced-data/reduced-data.module';
import { TargetsModule } from '../targets/targets.module';
import { UsersModule } from '../users/users.module';
import { AssignmentsApiController } from './assignments-api.controller';
import { ClassroomsApiController } from './classrooms-api.controller';
import { DataProductsApiController } from './data-products-api.controller';
import { GroupsApiController } from './groups-api.controller';
import { MeApiController } from './me-api.controller';
import { NotificationsApiController } from './notifications-api.controller';
import { PipelinesApiController } from './pipelines-api.controller';
import { RunsApiController } from './runs-api.controller';
import { ReducedDataApiController } from './reduced-data-api.controller';
import { TargetTransferApiController } from './target-transfer-api.controller';
import { TargetsApiController } from './targets-api.controller';
import { UsersApiController } from './users-api.controller';

/**
 * The JSON API under /api: thin controllers over the pages' services, so access rules are the pages' own.
 * PipelinesModule is global; authentication is the global guard (session or bearer token).
 */
@Module({
  imports: [TargetsModule, DataProductsModule, GroupsModule, ReducedDataModule, UsersModule, ClassroomsModule, ExportsModule, NotificationsModule, AssignmentsModule],
  // TargetTransferApiController before TargetsApiController: GET /api/targets/export.csv before /api/targets/:id.
  controllers: [MeApiController, AssignmentsApiController, TargetTransferApiController, TargetsApiController, DataProductsApiController, GroupsApiController, ReducedDataApiController, PipelinesApiController, RunsApiController, UsersApiController, ClassroomsApiController, NotificationsApiController],
  providers: [UploadInterceptor, RosterUploadInterceptor],
})
export class ApiModule {}
