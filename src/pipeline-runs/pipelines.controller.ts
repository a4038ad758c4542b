import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestException, Body, Controller, Get, Logger, Param, Post, Query, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { flagsFromForm, paramsFromForm } from './pipeline-form';
import { startOrReturnToPicker } from './picker-refusal';
import { paramInput } from './pipeline-picker';
import { optionalRowIdParam, ParseRowIdPipe, queryText, rowIdList } from '../common/request-parsing';
import { canChange } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';
import { LOG_PAGE_LINES, LOG_SEARCH_MAX, logPageRequest, PipelineLogService } from './pipeline-log.service';
import { PipelinePresetsService } from './pipeline-presets.service';
import { isWorkflow, PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRunStep } from './pipeline-run-step.entity';
import { PipelineRunsService, RUN_MAX_ATTEMPTS, TERMINAL_STATES } from './pipeline-runs.service';

/** A workflow run's steps as its page shows them: state, status, timing, outputs, and where "run again" may start. */
function stepViews(steps: PipelineRunStep[], finished: boolean) {
  return steps.map((step, index) => ({
    ...step,
    duration: step.startedAt && step.finishedAt ? ((step.finishedAt.getTime() - step.startedAt.getTime()) / 1000).toFixed(1) : null,
    outputCount: step.outputIds.length,
    // The running step's log section (or the failed one's) is open as the page arrives.
    open: step.state === 'running' || step.state === 'failed',
    canRerunFrom: finished && index > 0 && steps.slice(0, index).every((earlier) => earlier.state === 'succeeded' || earlier.state === 'reused'),
  }));
}

/** "1,234 earlier lines", or '' when none (the page hides the bar). */
const earlierLinesLabel = (count: number) => (count > 0 ? `${count.toLocaleString('en-US')} earlier line${count === 1 ? '' : 's'}` : '');

@Controller()
export class PipelinesController {
  private readonly logger = new Logger('PipelinesController');

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
        paramList: Object.entries(pipeline.params).map(([name, spec]) => paramInput(name, spec, spec.default)),
        presets: presets
          .filter((preset) => preset.pipelineKey === pipeline.key)
          .map((preset) => ({
            ...preset,
            summary: [
              ...Object.entries(preset.flags).map(([n, v]) => `${n}=${v ? 'on' : 'off'}`),
              ...Object.entries(preset.params ?? {}).map(([n, v]) => `${n}=${v ?? 'none'}`),
            ].join(', '),
          })),
      })),
    };
  }

  /** Teachers save a named flag set for a pipeline: `pipeline`, `name`, and `flag:<name>` checkboxes. */
  @Roles('admin', 'teacher')
  @Post('pipelines/presets')
  async createPreset(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const pipeline = this.registry.get(String(body.pipeline ?? ''));
    const preset = await this.presets.create(pipeline.name, String(body.name ?? ''), flagsFromForm(pipeline, body), user, paramsFromForm(pipeline, body));
    setFlash(req, 'info', `Saved the preset "${preset.name}" for ${pipeline.name}.`);
    res.redirect(303, '/pipelines');
  }

  @Roles('admin', 'teacher')
  @Post('pipelines/presets/:id/delete')
  async deletePreset(@Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
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
    @Param('id', ParseRowIdPipe) targetId: number,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const pipeline = this.registry.get(String(body.pipeline ?? ''));
    const presetField = body[`preset:${pipeline.name}`];
    const choice = {
      pipelineName: pipeline.name,
      targetId,
      inputIds: rowIdList(body.productIds, 'data product'),
      flags: flagsFromForm(pipeline, body),
      params: paramsFromForm(pipeline, body),
      presetId: optionalRowIdParam(presetField, 'preset'),
    };
    const prefill = { ...choice, pipelineKey: pipeline.key, flags: choice.flags as Record<string, boolean> };
    const run = await startOrReturnToPicker(req, res, `/targets/${targetId}#run`, prefill, () => this.runs.start(user, choice));
    if (!run) return;
    if (req.accepts(['html', 'json']) === 'json') return res.status(201).json({ id: run.id, identifier: run.identifier, state: run.state });
    res.redirect(303, `/pipeline/${run.id}`);
  }

  @Get('pipeline/:id')
  @Render('pipelines/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const run = await this.runs.findVisible(id, user);
    const mayChange = canChange(user, PipelineRunsService.owned(run));
    const [inputs, { lines }, sharing, sharedWith, steps] = await Promise.all([
      this.runs.inputsOf(run),
      // The end of the log: the page offers the earlier lines a page at a time, and the whole log as text.
      this.logs.page(run.id, { limit: LOG_PAGE_LINES }),
      mayChange ? this.runs.sharingChoices(user, run) : Promise.resolve([]),
      this.runs.sharingLabel(run),
      run.workflowVersionId ? this.runs.stepsOf(run.id) : Promise.resolve([]),
    ]);
    const pipeline = this.registry.find(run.pipelineKey);
    const finished = TERMINAL_STATES.includes(run.state);
    return {
      title: run.identifier,
      run,
      target: run.target,
      inputs,
      lines,
      lastSeq: lines.length ? lines[lines.length - 1].seq : 0,
      firstSeq: lines.length ? lines[0].seq : 1,
      earlierLines: earlierLinesLabel(lines.length ? lines[0].seq - 1 : 0),
      flags: Object.entries(run.flags).map(([name, value]) => ({ name, value, longName: pipeline?.flags[name]?.longName ?? name })),
      params: Object.entries(run.params ?? {}).map(([name, value]) => ({
        name,
        value: value === null ? 'none' : value,
        longName: pipeline?.params[name]?.longName ?? name,
        unit: (pipeline?.params[name] as { unit?: string } | undefined)?.unit ?? null,
      step: pipeline && isWorkflow(pipeline) ? pipeline.exposedBy[name] ?? null : null,
      })),
      finished,
      steps: stepViews(steps, finished),
      workflowVersionId: run.workflowVersionId,
      canCancel: !TERMINAL_STATES.includes(run.state) && mayChange,
      canShare: mayChange,
      sharing,
      sharedWith,
      maxAttempts: RUN_MAX_ATTEMPTS,
      duration: run.startedAt && run.finishedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : null,
    };
  }

  /** The run page's "Sharing" form (`sharing`: private, class:<id>, public): the run and its outputs together. */
  @Post('pipeline/:id/sharing')
  async share(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Body('visibility') visibility: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const run = await this.runs.findVisible(id, user);
    const shared = await this.runs.share(run, user, { visibility });
    setFlash(req, 'info', `Shared the run and its outputs with ${await this.runs.sharingLabel(shared)}.`);
    res.redirect(303, `/pipeline/${run.id}`);
  }

  /**
   * A page of the log (JSON): `?after=N` forward (the default, from the start) or `?before=N` backward (the page's
   * "Show earlier lines"), `?limit=` lines at most; `hasMore` says whether to ask again.
   */
  @Get('pipeline/:id/log')
  async log(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: Record<string, unknown>) {
    return this.logs.visiblePage(id, user, logPageRequest(query));
  }

  /**
   * The log lines holding `?q=` (JSON `{total, lines: [{seq, text}]}`, the first 1,000): the run page searches the
   * lines it shows itself and asks here for those it does not.
   */
  @Get('pipeline/:id/log/search')
  async searchLog(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query() query: Record<string, unknown>) {
    const text = queryText(query.q, 'q');
    if (!text) throw new BadRequestException('Type something to search for (?q=)');
    if ([...text].length > LOG_SEARCH_MAX) throw new BadRequestException(`Search for at most ${LOG_SEARCH_MAX} characters`);
    const run = await this.runs.findVisible(id, user);
    return this.logs.search(run.id, text);
  }

  /** The whole log as text, streamed a page at a time however long it is. */
  @Get('pipeline/:id/log.txt')
  async logText(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const run = await this.runs.findVisible(id, user);
    res.attachment(`${run.identifier}_log.txt`).type('text/plain; charset=utf-8');
    // Headers are out once the first page is: a failure after that can only cut the download short.
    await pipeline(Readable.from(this.logs.text(run.id)), res).catch((error: Error) => {
      this.logger.warn(`Log download of run ${run.id} stopped: ${error.message}`);
      res.destroy();
    });
  }

  @Get('pipeline/:id/provenance.json')
  async provenance(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const run = await this.runs.findVisible(id, user);
    res.attachment(`${run.identifier}_provenance.json`).json(await this.runs.provenanceOf(run));
  }

  /** "Run again from step k" (`fromStep`): a new run of the workflow reusing the earlier steps' stored outputs. */
  @Post('pipeline/:id/rerun')
  async rerun(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body('fromStep') fromStep: unknown, @Req() req: Request, @Res() res: Response) {
    const run = await this.runs.findVisible(id, user);
    const rerun = await this.runs.rerunFrom(run, Number(fromStep), user);
    setFlash(req, 'info', `Running ${run.pipelineKey} again from step ${Number(fromStep)}; the steps before it reuse run ${run.identifier}'s outputs.`);
    res.redirect(303, `/pipeline/${rerun.id}`);
  }

  @Post('pipeline/:id/cancel')
  async cancel(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const run = await this.runs.findVisible(id, user);
    await this.runs.cancel(run, user);
    setFlash(req, 'info', 'Cancel requested.');
    res.redirect(303, `/pipeline/${run.id}`);
  }
}
