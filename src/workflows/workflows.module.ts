import { Module } from '@nestjs/common';
import { WorkflowsController } from './workflows.controller';

/** The workflow composer's and versions' pages (WorkflowsService comes from the global PipelinesModule). */
@Module({
  controllers: [WorkflowsController],
})
export class WorkflowsModule {}
