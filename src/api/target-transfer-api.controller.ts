import { Body, Controller, Get, HttpCode, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { TargetCsvService, TargetImportPreview } from '../targets/target-csv.service';
import { TargetCsvUploadInterceptor, targetCsvTextOf } from '../targets/target-csv-upload.interceptor';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { ROW_ID_SCHEMA } from './api-schema';
import { ErrorDto } from './dto/common.dto';
import { targetSearchOf } from './dto/target.dto';
import { ImportTargetsDto, TargetExportQueryDto, TargetImportPreviewDto, TargetImportResultDto } from './dto/target-transfer.dto';

const IMPORT_DESCRIPTION =
  "TOM Toolkit's CSV format: a header line with `name` (required), `type` (SIDEREAL or NON_SIDEREAL), `ra`, `dec` (degrees or sexagesimal), " +
  '`epoch`, `pm_ra`, `pm_dec`, `scheme` and the orbital elements (`epoch_of_elements`, `mean_anomaly`, `arg_of_perihelion`, `eccentricity`, ' +
  '`lng_asc_node`, `inclination`, `mean_daily_motion`, `semimajor_axis`, `epoch_of_perihelion`, `perihdist`), `aliases` (comma-separated; ' +
  "TOM's `name2`, `name3`… too); any other column is an extra field. The targets are yours, shared as `visibility` (and `classroomId`) say.";

const IMPORT_BODY = {
  schema: {
    oneOf: [
      {
        type: 'object',
        properties: { csv: { type: 'string' }, visibility: { type: 'string', enum: ['private', 'class', 'public'] }, classroomId: { ...ROW_ID_SCHEMA } },
        required: ['csv'],
      },
      {
        type: 'object',
        properties: { file: { type: 'string', format: 'binary' }, visibility: { type: 'string', enum: ['private', 'class', 'public'] }, classroomId: { ...ROW_ID_SCHEMA } },
        required: ['file'],
      },
    ],
  },
  description: 'JSON `{ "csv": "...", "visibility"?, "classroomId"? }` (up to 100 kB), or multipart/form-data with the CSV file in the field `file` (up to 2 MiB) and the same fields',
};

const previewView = (preview: TargetImportPreview): TargetImportPreviewDto => ({
  lines: preview.lines.map((line) => ({ line: line.line, kind: line.kind, name: line.name, ...(line.kind === 'error' ? { reason: line.reason } : {}) })),
  errors: preview.errors,
  counts: preview.counts,
  extraColumns: preview.extraColumns,
  ignoredColumns: preview.ignoredColumns,
  visibility: preview.share.visibility,
  classroomId: preview.share.visibility === 'class' ? preview.share.classroomId : null,
});

/**
 * Targets in and out as CSV (TOM Toolkit's format) over the API: the same service and rules as /targets/import and
 * the targets page's export. Registered before TargetsApiController, whose `GET /api/targets/:id` would otherwise
 * take "export.csv".
 */
@ApiResource('targets')
@Controller('api/targets')
export class TargetTransferApiController {
  constructor(
    private readonly csv: TargetCsvService,
    private readonly targets: TargetsService,
  ) {}

  @Get('export.csv')
  @ApiOperation({
    summary: 'The targets you may see as CSV (TOM Toolkit\'s format)',
    description:
      'Every target `GET /api/targets` would list with the same filters (`q`, cone `ra`/`dec`/`radius`, `list`), all of them in its order, as a CSV that `POST /api/targets/import` reads back: name, type, ra, dec, epoch, pm_ra, pm_dec, scheme, the orbital elements, aliases (comma-separated), then a column per extra field.',
  })
  // The CSV's type on the success only (ApiProduces would claim it for the JSON errors too).
  @ApiOkResponse({
    description: 'the targets as CSV, sent as an attachment (targets.csv)',
    content: { 'text/csv': { schema: { type: 'string', example: 'name,type,ra,dec,epoch,pm_ra,pm_dec,scheme,…,aliases,constellation\nM13,SIDEREAL,250.4233,36.4614,2000,,,,…,"NGC 6205, Hercules Cluster",Hercules\n' } } },
  })
  @ApiMissing('target list')
  async export(@CurrentUser() user: SessionUser, @Query() query: TargetExportQueryDto, @Res({ passthrough: true }) res: Response): Promise<string> {
    const search = targetSearchOf(query);
    if (query.list !== undefined) search.listId = (await this.targets.findList(query.list)).id;
    const csv = await this.csv.export(user, search);
    res.status(200).type('text/csv; charset=utf-8').attachment('targets.csv');
    return csv;
  }

  @Post('import/preview')
  @HttpCode(200)
  @UseInterceptors(TargetCsvUploadInterceptor)
  @ApiOperation({ summary: 'What importing a CSV of targets would do, line by line', description: `Writes nothing. ${IMPORT_DESCRIPTION}` })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody(IMPORT_BODY)
  @ApiOkResponse({ type: TargetImportPreviewDto })
  @ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'a file over 2 MiB (a JSON body over 100 kB)' })
  async preview(@CurrentUser() user: SessionUser, @Body() body: ImportTargetsDto, @Req() req: Request): Promise<TargetImportPreviewDto> {
    return previewView(await this.csv.preview(targetCsvTextOf(req), user, body));
  }

  @Post('import')
  @UseInterceptors(TargetCsvUploadInterceptor)
  @ApiOperation({
    summary: 'Import targets from a CSV file (TOM Toolkit\'s format)',
    description: `All or nothing: any bad line (a coordinate that cannot be read, an unknown type, a missing name, a name or alias another target or an earlier line has) is 400 with \`details: [{ line, reason }]\` and nothing is created. ${IMPORT_DESCRIPTION}`,
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody(IMPORT_BODY)
  @ApiCreatedResponse({ type: TargetImportResultDto })
  @ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'a file over 2 MiB (a JSON body over 100 kB)' })
  async import(@CurrentUser() user: SessionUser, @Body() body: ImportTargetsDto, @Req() req: Request): Promise<TargetImportResultDto> {
    const result = await this.csv.import(targetCsvTextOf(req), user, body);
    return { created: result.created, visibility: result.share.visibility, classroomId: result.share.visibility === 'class' ? result.share.classroomId : null };
  }
}
