import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ReducedDatum } from './reduced-datum.entity';
import { ReducedDataService } from './reduced-data.service';

@Module({
  imports: [TypeOrmModule.forFeature([ReducedDatum])],
  providers: [ReducedDataService],
  exports: [ReducedDataService],
})
export class ReducedDataModule {}
