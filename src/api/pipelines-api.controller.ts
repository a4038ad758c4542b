import { Controller, Get, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOperation } from '@nestjs/swagger';
import { PipelinePresetsService } from '../pipeline-runs/pipeline-presets.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { ApiResource } from './api-docs.decorators';
import { pipelineView } from './api-presenters';
import { FlagSpecDto, ParamSpecDto, PipelineDto } from './dto/pipeline.dto';
import { ApiPageResponse, Page, paged, pageOfArray, PaginationQueryDto } from './pagination';

@ApiResource('pipelines')
@ApiExtraModels(FlagSpecDto, ParamSpecDto)
@Controller('api/pipelines')
export class PipelinesApiController {
  constructor(
    private readonly registry: PipelineRegistryService,
    private readonly presets: PipelinePresetsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The registered pipelines with their flags and presets, by name' })
  @ApiPageResponse(PipelineDto)
  async list(@Query() query: PaginationQueryDto): Promise<Page<PipelineDto>> {
    const presets = await this.presets.list();
    return paged(pageOfArray(this.registry.list(), query), query, (pipeline) => pipelineView(pipeline, presets));
  }
}
