import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ReducedDataModule } from '../reduced-data/reduced-data.module';
import { TargetsModule } from '../targets/targets.module';
import { DataProduct } from './data-product.entity';
import { DataProductsController } from './data-products.controller';
import { DataProductWriterModule } from './data-product-writer.module';
import { DataProductsService } from './data-products.service';
import { FitsDescriptionService } from './fits-description.service';
import { UploadInterceptor } from './upload.interceptor';

@Module({
  imports: [TypeOrmModule.forFeature([DataProduct]), TargetsModule, ReducedDataModule, DataProductWriterModule],
  controllers: [DataProductsController],
  providers: [DataProductsService, FitsDescriptionService, UploadInterceptor],
  exports: [DataProductsService, DataProductWriterModule],
})
export class DataProductsModule {}
