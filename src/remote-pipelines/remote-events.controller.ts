import { Controller, ForbiddenException, Get, HttpCode, Param, PayloadTooLargeException, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { attachmentDisposition } from '../exports/zip-names';
import { ParseRowIdPipe } from '../common/request-parsing';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { RemoteEventsService } from './remote-events.service';
import { RemoteTasksService } from './remote-tasks.service';

/**
 * The doors of processing services (no session, no API token): events about a remote run, signed with the
 * pipeline's shared secret, and the runs' inputs behind the short-lived URLs the portal signed. Documented in
 * docs/writing-pipelines.md rather than in the OpenAPI document, which describes the API for users.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('api/remote/runs')
export class RemoteEventsController {
  constructor(
    private readonly events: RemoteEventsService,
    private readonly tasks: RemoteTasksService,
    private readonly registry: PipelineRegistryService,
  ) {}

  @Post(':id/events')
  @HttpCode(202)
  async event(@Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const run = await this.events.findRun(id);
    const pipeline = run ? this.registry.findPipeline(run.pipelineKey) : undefined;
    const target = run ? { run, service: pipeline?.remote ?? null, pipelineName: pipeline?.name ?? run.pipelineKey } : null;
    try {
      const event = await this.events.receive(target, { headers: req.headers, body: req });
      return { accepted: true, runId: id, eventId: event.eventId };
    } catch (error) {
      // A body refused before its end was not read to its end: the connection cannot carry another request.
      if (error instanceof PayloadTooLargeException) res.setHeader('Connection', 'close');
      throw error;
    }
  }

  @Get(':id/inputs/:productId')
  async input(@Param('id', ParseRowIdPipe) id: number, @Param('productId', ParseRowIdPipe) productId: number, @Query() query: Record<string, unknown>, @Res() res: Response) {
    const file = await this.tasks.inputFile(id, productId, query.expires, query.signature);
    if (!file) throw new ForbiddenException('This download link is not valid: it has expired, or its run is no longer running');
    res.setHeader('Content-Disposition', attachmentDisposition(file.name));
    res.sendFile(file.path, { dotfiles: 'allow' });
  }
}
