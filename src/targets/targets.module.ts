import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TargetListsController } from './target-lists.controller';
import { TargetList } from './target-list.entity';
import { Target } from './target.entity';
import { TargetsController } from './targets.controller';
import { TargetsService } from './targets.service';

@Module({
  imports: [TypeOrmModule.forFeature([Target, TargetList])],
  controllers: [TargetsController, TargetListsController],
  providers: [TargetsService],
  exports: [TargetsService],
})
export class TargetsModule {}
