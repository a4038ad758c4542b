import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module';
import { DataProductsModule } from '../data-products/data-products.module';
import { GroupsModule } from '../groups/groups.module';
import { ReducedDataModule } from '../reduced-data/reduced-data.module';
import { TargetPageController } from './target-page.controller';
import { TargetPageQueries } from './target-page.queries';
import { TargetsModule } from './targets.module';

@Module({
  imports: [TargetsModule, DataProductsModule, GroupsModule, ReducedDataModule, AssignmentsModule],
  controllers: [TargetPageController],
  providers: [TargetPageQueries],
})
export class TargetPageModule {}
