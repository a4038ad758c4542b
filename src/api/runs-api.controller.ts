import { Body, Controller, Get, HttpCode, Logger, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Response } from 'express';
import { AssignmentsService } from '../assignments/assignments.service';
import { ExportsService } from '../exports/exports.service';
import { sendZip } from '../exports/zip-stream';
import { CurrentUser } from '../auth/auth.decorators';
import { PipelineLogService } from '../pipeline-runs/pipeline-log.service';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRunsService } from '../pipeline-runs/pipeline-runs.service';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource, ApiZipDownload } from './api-docs.decorators';
import { runView } from './api-presenters';
import { ErrorDto } from './dto/common.dto';
import { LogLinesDto, LogQueryDto, RerunDto, RunDto, RunQueryDto, ShareRunDto, StartRunDto } from './dto/run.dto';
import { shareRequest } from './dto/sharing.dto';
import { ApiPageResponse, Page, paged } from './pagination';
import { ParseRowIdPipe } from '../common/request-parsing';

// Pipeline runs. The path keeps tom_education's word, `processes`, so clients written for it keep working.
@ApiResource('processes')
@Controller('api/processes')
export class RunsApiController {
  private readonly logger = new Logger('RunsApi');

  constructor(
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly targets: TargetsService,
    private readonly exports: ExportsService,
    private readonly assignments: AssignmentsService,
    private readonly registry: PipelineRegistryService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a pipeline on some of a target\'s data products', description: 'Queued at once; follow it with GET /api/processes/{id} and its log.' })
  @ApiCreatedResponse({ type: RunDto })
  @ApiMissing('target or data product')
  @ApiConflictResponse({ type: ErrorDto, description: 'no free run identifier could be chosen; try again' })
  async start(@CurrentUser() user: SessionUser, @Body() body: StartRunDto): Promise<RunDto> {
    if (body.assignmentId !== undefined) await this.assignments.checkStart(user, body.assignmentId, { targetId: body.targetId, pipelineName: this.registry.get(body.pipeline).name });
    const run = await this.runs.start(user, {
      pipelineName: body.pipeline,
      targetId: body.targetId,
      inputIds: body.inputIds,
      flags: body.flags ?? {},
      params: body.params,
      presetId: body.presetId,
      assignmentId: body.assignmentId ?? null,
    });
    return runView(await this.runs.findVisible(run.id, user));
  }

  @Get()
  @ApiOperation({
    summary: 'Runs you may see, newest first',
    description: 'Yours, your students\' (teachers), those shared with your classes and the public ones. Filter by `target`, `state`, `pipeline`, `mine`.',
  })
  @ApiPageResponse(RunDto)
  @ApiMissing('target')
  async list(@CurrentUser() user: SessionUser, @Query() query: RunQueryDto): Promise<Page<RunDto>> {
    // A target named in the filter gets the usual 404/403 rather than a silently empty list.
    if (query.target !== undefined) await this.targets.findVisible(query.target, user);
    const filters = { targetId: query.target, state: query.state, pipelineKey: query.pipeline, mine: query.mine };
    return paged(await this.runs.page(user, filters, query), query, runView);
  }

  @Get(':id')
  @ApiOkResponse({ type: RunDto })
  @ApiMissing('run')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<RunDto> {
    const { run, steps } = await this.runs.withSteps(await this.runs.findVisible(id, user));
    return runView(run, steps);
  }

  @Get(':id/log')
  @ApiOperation({
    summary: 'A page of the log: the lines after line `after`, at most `limit`',
    description:
      'Lines are numbered 1, 2, 3… (`seq`) without gaps. To read a log of any length, ask again with the returned `lastSeq` as `after` while `hasMore` is true; ' +
      'once it is false you have every line stored so far. While the run is `queued` or `running` more may come: keep polling with `after=lastSeq`. ' +
      'A run in a finished state has all its lines stored.',
  })
  @ApiOkResponse({ type: LogLinesDto })
  @ApiMissing('run')
  async log(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: LogQueryDto): Promise<LogLinesDto> {
    // The state first: a finished run's log is wholly stored before its state says so.
    const run = await this.runs.findVisible(id, user);
    const { lines, hasMore } = await this.logs.page(run.id, { after: query.after, limit: query.limit });
    return { state: run.state, lines, lastSeq: lines.length ? lines[lines.length - 1].seq : query.after, hasMore };
  }

  @Get(':id/outputs.zip')
  @ApiOperation({
    summary: 'A run\'s outputs that you may see and its whole log (log.txt), as one zip',
    description:
      'The products of its output group under their uploaded names (repeated names numbered), streamed as it is made (no Content-Length); ' +
      'a run without outputs yet gives just its log. 403/404 as `GET /api/processes/{id}`.',
  })
  @ApiZipDownload('the zip, named after the run')
  @ApiMissing('run')
  async outputs(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response): Promise<void> {
    const archive = await this.exports.runArchive(id, user);
    await sendZip(res, archive.downloadName, archive.sources, this.logger);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a queued or running run',
    description: 'The student who started it, their teachers or an admin. A finished run is returned unchanged.',
  })
  @ApiOkResponse({ type: RunDto })
  @ApiMissing('run')
  async cancel(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<RunDto> {
    const run = await this.runs.findVisible(id, user);
    await this.runs.cancel(run, user);
    return runView(await this.runs.findVisible(id, user));
  }

  @Post(':id/rerun')
  @ApiOperation({
    summary: 'Run a workflow again from a step',
    description: "A new run of the same workflow version on the same inputs and values (yours); the steps before `fromStep` reuse this run's stored outputs, so each must have succeeded.",
  })
  @ApiCreatedResponse({ type: RunDto })
  @ApiMissing('run')
  async rerun(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: RerunDto): Promise<RunDto> {
    const run = await this.runs.rerunFrom(await this.runs.findVisible(id, user), body.fromStep, user);
    const { steps } = await this.runs.withSteps(run);
    return runView(await this.runs.findVisible(run.id, user), steps);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Share a run and its outputs: private, with a class, or public',
    description:
      'The student who started it, their teachers or an admin. The run, its output group, the output products it made and its light-curve points change together. A class must be one you are in (400 otherwise).',
  })
  @ApiOkResponse({ type: RunDto })
  @ApiMissing('run')
  async share(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: ShareRunDto): Promise<RunDto> {
    const run = await this.runs.findVisible(id, user);
    return runView(await this.runs.share(run, user, shareRequest(body)));
  }

  @Get(':id/provenance')
  @ApiOperation({ summary: 'What ran on what: pipeline key, version, config hash, flags and parameters with their sources, input SHA-256s, timings, worker' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiMissing('run')
  async provenance(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<Record<string, unknown>> {
    return this.runs.provenanceOf(await this.runs.findVisible(id, user));
  }
}
