import { Body, Controller, Get, Param, ParseIntPipe, Post, Query, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { canChange } from '../sharing/sharing-policy';
import { idList } from '../targets/target-lists.controller';
import { SessionUser } from '../users/user.entity';
import { PipelineLogService } from './pipeline-log.service';
import { PipelinePresetsService } from './pipeline-presets.service';
import { PipelineRegistryService } from './pipeline-registry.service';
import { PipelineRunsService, TERMINAL_STATES } from './pipeline-runs.service';

const FLAG_FIELD = 'flag:';

/**
 * Checkbox fields into flag values; absent means off. `flag:<name>` is for a form of one pipeline (a `flag:` field
 * the pipeline lacks is kept, so it is refused); the target page's picker, which lists every pipeline, names them
 * `flag:<shortName>:<name>` and only the chosen pipeline's are read.
 */
function flagsFromForm(pipeline: { shortName: string; flags: Record<string, unknown> }, body: Record<string, unknown>): Record<string, unknown> {
  const flags: Record<string, unknown> = Object.fromEntries(Object.keys(pipeline.flags).map((name) => [name, false]));
  for (const [field, value] of Object.entries(body)) {
    if (!field.startsWith(FLAG_FIELD)) continue;
    const parts = field.slice(FLAG_FIELD.length).split(':');
    if (parts.length === 2 && parts[0] !== pipeline.shortName) continue;
    flags[parts[parts.length - 1]] = value === 'on' || value === 'true' || value === true;
  }
  return flags;
}

@Controller()
export class PipelinesController {
  constructor(
    private readonly registry: PipelineRegistryService,
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly presets: PipelinePresetsService,
  ) {}

  @Get('pipelines')
  @Render('pipelines/index')
  async index() {
    const presets = await this.presets.list();
    return {
      title: 'Pipelines',
      pipelines: this.registry.list().map((pipeline) => ({
        ...pipeline,
        flagList: Object.entries(pipeline.flags).map(([name, spec]) => ({ name, ...spec })),
        presets: presets
          .filter((preset) => preset.pipelineKey === pipeline.key)
          .map((preset) => ({ ...preset, summary: Object.entries(preset.flags).map(([n, v]) => `${n}=${v ? 'on' : 'off'}`).join(', ') })),
      })),
    };
  }

  /** Teachers save a named flag set for a pipeline: `pipeline`, `name`, and `flag:<name>` checkboxes. */
  @Roles('admin', 'teacher')
  @Post('pipelines/presets')
  async createPreset(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const pipeline = this.registry.get(String(body.pipeline ?? ''));
    const preset = await this.presets.create(pipeline.name, String(body.name ?? ''), flagsFromForm(pipeline, body), user);
    setFlash(req, 'info', `Saved the preset "${preset.name}" for ${pipeline.name}.`);
    res.redirect(303, '/pipelines');
  }

  @Roles('admin', 'teacher')
  @Post('pipelines/presets/:id/delete')
  async deletePreset(@Param('id', ParseIntPipe) id: number, @Res() res: Response) {
    await this.presets.remove(id);
    res.redirect(303, '/pipelines');
  }

  /**
   * The picker's form: `pipeline`, ticked `productIds`, and a `flag:<name>` checkbox per flag (absent = off).
   * Any other `flag:` field names a flag the pipeline does not have and is refused.
   */
  @Post('targets/:id/pipeline-runs')
  async start(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseIntPipe) targetId: number,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pipeline = this.registry.get(String(body.pipeline ?? ''));
    const presetField = body[`preset:${pipeline.name}`];
    const run = await this.runs.start(user, {
      pipelineName: pipeline.name,
      targetId,
      inputIds: idList(body.productIds, 'data product'),
      flags: flagsFromForm(pipeline, body),
      presetId: presetField ? Number(presetField) : undefined,
    });
    if (req.accepts(['html', 'json']) === 'json') return res.status(201).json({ id: run.id, identifier: run.identifier, state: run.state });
    res.redirect(303, `/pipeline/${run.id}`);
  }

  @Get('pipeline/:id')
  @Render('pipelines/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number) {
    const run = await this.runs.findVisible(id, user);
    const mayChange = canChange(user, PipelineRunsService.owned(run));
    const [inputs, lines, sharing, sharedWith] = await Promise.all([
      this.runs.inputsOf(run),
      this.logs.linesAfter(run.id, 0),
      mayChange ? this.runs.sharingChoices(user, run) : Promise.resolve([]),
      this.runs.sharingLabel(run),
    ]);
    const pipeline = this.registry.find(run.pipelineKey);
    return {
      title: run.identifier,
      run,
      target: run.target,
      inputs,
      lines,
      lastSeq: lines.length ? lines[lines.length - 1].seq : 0,
      flags: Object.entries(run.flags).map(([name, value]) => ({ name, value, longName: pipeline?.flags[name]?.longName ?? name })),
      finished: TERMINAL_STATES.includes(run.state),
      canCancel: !TERMINAL_STATES.includes(run.state) && mayChange,
      canShare: mayChange,
      sharing,
      sharedWith,
      duration: run.startedAt && run.finishedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : null,
    };
  }

  /** The run page's "Sharing" form (`sharing`: private, class:<id>, public): the run and its outputs together. */
  @Post('pipeline/:id/sharing')
  async share(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseIntPipe) id: number,
    @Body('visibility') visibility: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const run = await this.runs.findVisible(id, user);
    const shared = await this.runs.share(run, user, { visibility });
    setFlash(req, 'info', `Shared the run and its outputs with ${await this.runs.sharingLabel(shared)}.`);
    res.redirect(303, `/pipeline/${run.id}`);
  }

  /** Log lines after `after` (JSON): the live page's fallback and the API's. */
  @Get('pipeline/:id/log')
  async log(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Query('after') after?: string) {
    return this.logs.visibleLinesAfter(id, user, Number(after) || 0);
  }

  @Get('pipeline/:id/provenance.json')
  async provenance(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Res() res: Response) {
    const run = await this.runs.findVisible(id, user);
    res.attachment(`${run.identifier}_provenance.json`).json({
      identifier: run.identifier,
      pipeline: run.pipelineKey,
      state: run.state,
      target: { id: run.target.id, name: run.target.name },
      ...run.provenance,
    });
  }

  @Post('pipeline/:id/cancel')
  async cancel(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const run = await this.runs.findVisible(id, user);
    await this.runs.cancel(run, user);
    setFlash(req, 'info', 'Cancel requested.');
    res.redirect(303, `/pipeline/${run.id}`);
  }
}
