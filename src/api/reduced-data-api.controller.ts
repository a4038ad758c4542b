import { Body, Controller, Delete, Get, Header, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { fileNameOf, seriesKeysFrom } from '../reduced-data/light-curve-series';
import { photometryToCsv } from '../reduced-data/photometry-csv.writer';
import { ReducedDataService, SeriesListing } from '../reduced-data/reduced-data.service';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { datumView } from './api-presenters';
import {
  AddPointsDto,
  AddPointsResultDto,
  DeleteSeriesResultDto,
  LightCurveDto,
  LightCurveQueryDto,
  PhotometryCsvQueryDto,
  ReducedDataQueryDto,
  ReducedDatumDto,
  SeriesDto,
  ShareSeriesDto,
} from './dto/reduced-data.dto';
import { ApiPageResponse, Page, paged } from './pagination';
import { ParseRowIdPipe } from '../common/request-parsing';

/** The API's default view: everything the caller may see (the page starts at "mine"). */
const API_VIEW = 'everyone';

/**
 * Reduced data and light-curve series through the sharing policy: every point listed, drawn or exported is one the
 * caller may see; a series is deleted or shared by its owner, their teacher or an admin.
 */
@ApiResource('reduced data')
@Controller('api/targets/:id')
export class ReducedDataApiController {
  constructor(
    private readonly reducedData: ReducedDataService,
    private readonly targets: TargetsService,
  ) {}

  @Get('reduced-data')
  @ApiOperation({ summary: 'A target\'s reduced data (light-curve points) that you may see, oldest first' })
  @ApiPageResponse(ReducedDatumDto)
  @ApiMissing('target')
  async list(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: ReducedDataQueryDto): Promise<Page<ReducedDatumDto>> {
    const target = await this.targets.findVisible(id, user);
    return paged(await this.reducedData.page(target, user, query.view ?? API_VIEW, query.dataType, query), query, datumView);
  }

  /** Anyone who may upload a photometry file to the target may add its points directly (the page's rule). */
  @Post('reduced-data')
  @ApiOperation({
    summary: 'Add photometry points',
    description:
      'One call is one API batch: your points, one series per filter (and facility), labelled "API batch <date>". A point has a ' +
      'magnitude, a limit (a non-detection, drawn as an upper limit) or both. Private (you and your teachers) ' +
      'unless `visibility` says otherwise. All stored in one transaction; points you already have on this target are skipped ' +
      '(another user\'s identical points do not count).',
  })
  @ApiCreatedResponse({ type: AddPointsResultDto })
  @ApiMissing('target')
  async add(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: AddPointsDto): Promise<AddPointsResultDto> {
    const target = await this.targets.findVisible(id, user);
    const points = body.points.map((point, index) => ({
      timestamp: new Date(point.timestamp),
      magnitude: point.magnitude ?? null,
      error: point.error ?? null,
      filter: point.filter ?? '',
      limit: point.limit ?? null,
      facility: point.facility ?? '',
      line: index + 1,
    }));
    return this.reducedData.addPoints(target.id, user, { sourceName: body.source ?? 'api', visibility: body.visibility, classroomId: body.classroomId }, points);
  }

  @Get('series')
  @ApiOperation({
    summary: 'The light-curve series you may see',
    description: 'A series is one filter from one source (a run, an uploaded file, an API batch) of one student, and one facility (survey or telescope) when its points name one.',
  })
  @ApiOkResponse({ type: [SeriesDto] })
  @ApiMissing('target')
  async series(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: LightCurveQueryDto): Promise<SeriesListing[]> {
    const target = await this.targets.findVisible(id, user);
    return this.reducedData.listSeries(target, user, query.view ?? API_VIEW);
  }

  @Get('light-curve')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOperation({
    summary: 'The light curve: the series you may see with their points',
    description: 'The JSON the target page draws: per series parallel arrays t, mag (null for a non-detection), err and lim (the limiting magnitude, or null).',
  })
  @ApiOkResponse({ type: LightCurveDto })
  @ApiMissing('target')
  async lightCurve(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: LightCurveQueryDto): Promise<string> {
    const target = await this.targets.findVisible(id, user);
    return (await this.reducedData.lightCurveJson(target, user, query.view ?? API_VIEW)).json;
  }

  @Patch('series/:key')
  @ApiOperation({ summary: 'Share a series', description: 'Its owner, their teacher or an admin; a class must be one you are in.' })
  @ApiOkResponse({ type: SeriesDto })
  @ApiMissing('target or series')
  async share(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Param('key') key: string, @Body() body: ShareSeriesDto): Promise<SeriesListing> {
    const target = await this.targets.findVisible(id, user);
    return this.reducedData.shareSeries(target, user, key, body);
  }

  @Delete('series/:key')
  @ApiOperation({ summary: 'Delete a series', description: 'Every point of that source, owner and filter; its owner, their teacher or an admin.' })
  @ApiOkResponse({ type: DeleteSeriesResultDto })
  @ApiMissing('target or series')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Param('key') key: string): Promise<DeleteSeriesResultDto> {
    const target = await this.targets.findVisible(id, user);
    return this.reducedData.deleteSeries(target, user, key);
  }

  @Get('photometry.csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiOperation({
    summary: 'The photometry you may see as CSV',
    description:
      'Columns time (ISO 8601, UTC), mjd, magnitude, error, filter, source (student · source), then limit, facility when a point has either; ' +
      'with format=tom TOM Toolkit\'s columns time (MJD), filter, magnitude, error, limit, source (the facility). Both are read by the portal\'s photometry upload, ' +
      'the second by TOM Toolkit\'s too. A non-detection has an empty magnitude and its limit.',
  })
  // The CSV's type on the success only (ApiProduces would claim it for the JSON errors too).
  @ApiOkResponse({
    description: 'the points as CSV, sent as an attachment',
    content: { 'text/csv': { schema: { type: 'string', example: 'time,mjd,magnitude,error,filter,source\n2013-05-05T04:31:02.000Z,56417.18821759,12.31,0.02,V,Ann · API batch 2026-01-05 10:00 UTC\n' } } },
  })
  @ApiMissing('target')
  async csv(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Query() query: PhotometryCsvQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const target = await this.targets.findVisible(id, user);
    const points = await this.reducedData.exportPoints(target, user, query.view ?? API_VIEW, seriesKeysFrom(query.series));
    const format = query.format ?? 'portal';
    res.attachment(`${fileNameOf(target.name)}_photometry${format === 'tom' ? '_tom' : ''}.csv`);
    return photometryToCsv(points, format);
  }
}
