import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TargetsModule } from '../targets/targets.module';
import { LightCurveController } from './light-curve.controller';
import { ReducedDatum } from './reduced-datum.entity';
import { ReducedDataService } from './reduced-data.service';

@Module({
  imports: [TypeOrmModule.forFeature([ReducedDatum]), TargetsModule],
  controllers: [LightCurveController],
  providers: [ReducedDataService],
  exports: [ReducedDataService],
})
export class ReducedDataModule {}
