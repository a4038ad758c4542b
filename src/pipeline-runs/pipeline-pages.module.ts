import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TargetsModule } from '../targets/targets.module';
import { UsersModule } from '../users/users.module';
import { PipelineGateway } from './pipeline.gateway';
import { PipelineRun } from './pipeline-run.entity';
import { PipelineRunsQueryService } from './pipeline-runs-query.service';
import { PipelinesController } from './pipelines.controller';
import { RunsController } from './runs.controller';

/** The web side of pipelines: pages, forms and the Socket.IO gateway (PipelinesModule is global). */
@Module({
  imports: [TargetsModule, UsersModule, TypeOrmModule.forFeature([PipelineRun])],
  controllers: [PipelinesController, RunsController],
  providers: [PipelineGateway, PipelineRunsQueryService],
})
export class PipelinePagesModule {}
