import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TargetCsvService } from './target-csv.service';
import { TargetImportController } from './target-import.controller';
import { TargetListsController } from './target-lists.controller';
import { TargetList } from './target-list.entity';
import { Target } from './target.entity';
import { TargetsController } from './targets.controller';
import { TargetsService } from './targets.service';

@Module({
  imports: [TypeOrmModule.forFeature([Target, TargetList])],
  // TargetImportController first: its /targets/import routes must match before TargetsController's /targets/:id.
  controllers: [TargetImportController, TargetsController, TargetListsController],
  providers: [TargetsService, TargetCsvService],
  exports: [TargetsService, TargetCsvService],
})
export class TargetsModule {}
