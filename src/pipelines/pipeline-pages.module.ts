import { Module } from '@nestjs/common';
import { TargetsModule } from '../targets/targets.module';
import { PipelineGateway } from './pipeline.gateway';
import { PipelinesController } from './pipelines.controller';

/** The web side of pipelines: pages, forms and the Socket.IO gateway (PipelinesModule is global). */
@Module({
  imports: [TargetsModule],
  controllers: [PipelinesController],
  providers: [PipelineGateway],
})
export class PipelinePagesModule {}
