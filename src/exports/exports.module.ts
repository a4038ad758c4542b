import { Module } from '@nestjs/common';
import { DataProductsModule } from '../data-products/data-products.module';
import { GroupsModule } from '../groups/groups.module';
import { ExportsController } from './exports.controller';
import { ExportsService } from './exports.service';

/** Zip downloads of a group's products and of a run's outputs (PipelinesModule, global, gives the runs and logs). */
@Module({
  imports: [GroupsModule, DataProductsModule],
  controllers: [ExportsController],
  providers: [ExportsService],
  exports: [ExportsService],
})
export class ExportsModule {}
