import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductsModule } from '../data-products/data-products.module';
import { PreviewWorkerService } from './preview-worker.service';
import { PreviewsController } from './previews.controller';
import { PreviewsService } from './previews.service';

/** Thumbnails made in the worker, stretched previews and pixel readings served to the product page. */
@Module({
  imports: [TypeOrmModule.forFeature([DataProduct]), DataProductsModule],
  controllers: [PreviewsController],
  providers: [PreviewsService, PreviewWorkerService],
  exports: [PreviewsService],
})
export class PreviewsModule {}
