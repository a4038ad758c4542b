import { Body, Controller, Get, Header, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { photometryToCsv } from '../reduced-data/photometry-csv.writer';
import { ReducedDataService } from '../reduced-data/reduced-data.service';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { datumView } from './api-presenters';
import { AddPointsDto, AddPointsResultDto, ReducedDataQueryDto, ReducedDatumDto } from './dto/reduced-data.dto';
import { ApiPageResponse, Page, paged } from './pagination';

@ApiResource('reduced data')
@Controller('api/targets/:id')
export class ReducedDataApiController {
  constructor(
    private readonly reducedData: ReducedDataService,
    private readonly targets: TargetsService,
  ) {}

  @Get('reduced-data')
  @ApiOperation({ summary: 'A target\'s reduced data (light-curve points), oldest first' })
  @ApiPageResponse(ReducedDatumDto)
  @ApiMissing('target')
  async list(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Query() query: ReducedDataQueryDto): Promise<Page<ReducedDatumDto>> {
    const target = await this.targets.findVisible(id, user);
    return paged(await this.reducedData.page(target.id, query.dataType, query), query, datumView);
  }

  /** Anyone who may upload a photometry file to the target may add its points directly (the page's rule). */
  @Post('reduced-data')
  @ApiOperation({ summary: 'Add photometry points', description: 'All stored in one transaction; points the target already has are skipped.' })
  @ApiCreatedResponse({ type: AddPointsResultDto })
  @ApiMissing('target')
  async add(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Body() body: AddPointsDto): Promise<AddPointsResultDto> {
    const target = await this.targets.findVisible(id, user);
    const points = body.points.map((point, index) => ({
      timestamp: new Date(point.timestamp),
      magnitude: point.magnitude,
      error: point.error ?? null,
      filter: point.filter ?? '',
      line: index + 1,
    }));
    return this.reducedData.addPoints(target.id, body.source ?? 'api', points);
  }

  @Get('photometry.csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiOperation({ summary: 'The target\'s photometry as CSV', description: 'Columns time (ISO 8601, UTC), mjd, magnitude, error, filter, source; readable by the portal\'s photometry upload.' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ schema: { type: 'string', example: 'time,mjd,magnitude,error,filter,source\n2013-05-05T04:31:02.000Z,56417.18821759,12.31,0.02,V,api\n' } })
  @ApiMissing('target')
  async csv(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Res({ passthrough: true }) res: Response): Promise<string> {
    const target = await this.targets.findVisible(id, user);
    const rows = await this.reducedData.photometryOf(target.id);
    res.attachment(`${target.name.replace(/[^A-Za-z0-9._-]+/g, '_')}_photometry.csv`);
    return photometryToCsv(
      rows.map((row) => {
        const value = row.value as { magnitude?: unknown; error?: unknown; filter?: unknown };
        return {
          timestamp: row.timestamp,
          magnitude: Number(value.magnitude),
          error: typeof value.error === 'number' ? value.error : null,
          filter: typeof value.filter === 'string' ? value.filter : '',
          source: row.sourceName,
        };
      }),
    );
  }
}
