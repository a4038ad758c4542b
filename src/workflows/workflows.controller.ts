import { Body, Controller, Get, HttpException, NotFoundException, Param, Post, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { userMessage } from '../common/http-exception.filter';
import { ParseRowIdPipe } from '../common/request-parsing';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { SessionUser } from '../users/user.entity';
import { applyStepAction, ComposerState, composerView, draftFrom, emptyComposer, KEEP_PRODUCT_TYPES, readComposerForm, stateFromVersion, workflowSummary } from './workflow-composer';
import { checkWorkflow } from './workflow-definition';
import { WorkflowVersion } from './workflow-version.entity';
import { WorkflowRefusedError, WorkflowsService } from './workflows.service';

/** The version being edited: its name is kept, and saving makes the next version. */
interface Editing {
  name: string;
  id: number;
  version: number;
}

/**
 * The teachers' workflow composer (/pipelines/new, /workflows/:id/edit) and a workflow version's page. Every button
 * of the composer posts the whole form and gets the page back with what was typed, checked (problems beside their
 * fields, a preview when sound); `save` stores the next version (WorkflowsService), which runs at once everywhere.
 */
@Controller()
export class WorkflowsController {
  constructor(
    private readonly workflows: WorkflowsService,
    private readonly registry: PipelineRegistryService,
  ) {}

  @Roles('admin', 'teacher')
  @Get('pipelines/new')
  composeNew(@Res() res: Response) {
    res.render('workflows/compose', this.composerModel(emptyComposer(), {}, null));
  }

  @Roles('admin', 'teacher')
  @Post('pipelines/new')
  async composePosted(@CurrentUser() user: SessionUser, @Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    await this.composed(user, body, req, res, null);
  }

  /** One version (a row of workflow_versions): any logged-in user may read it; runs start from a target's picker. */
  @Get('workflows/:id')
  @Render('workflows/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const version = await this.versionOr404(id);
    const history = await this.workflows.history(version.name);
    const current = history[0];
    const shown = history.find((entry) => entry.id === version.id) ?? version;
    let editHref: string | null = null;
    let editRefusal: string | null = null;
    if (user.role === 'admin' || user.role === 'teacher') {
      try {
        editHref = `/workflows/${(await this.workflows.editable(version.name, user)).id}/edit`;
      } catch (error) {
        if (!(error instanceof HttpException)) throw error;
        editRefusal = userMessage(error);
      }
    }
    const checked = checkWorkflow({ shortName: version.shortName, description: version.description, steps: version.steps }, (name) => this.registry.findPipeline(name));
    return {
      title: `${version.name} (version ${version.version})`,
      version: shown,
      source: shown.source === 'config' ? "declared in the server's pipeline config" : `composed by ${shown.createdBy?.username ?? 'a user since removed'}`,
      isCurrent: current?.id === version.id,
      current: current ? { id: current.id, version: current.version } : null,
      nextVersion: (current?.version ?? version.version) + 1,
      summary: checked.workflow ? workflowSummary(checked.workflow, (name) => this.registry.findPipeline(name)) : null,
      cannotRun: checked.problems ? Object.entries(checked.problems).map(([field, message]) => ({ field, message })) : null,
      history: history.map((entry) => ({
        id: entry.id,
        version: entry.version,
        createdAt: entry.createdAt,
        by: entry.source === 'config' ? 'server config' : entry.createdBy?.username ?? '—',
        shown: entry.id === version.id,
      })),
      editHref,
      editRefusal,
    };
  }

  /** The composer, filled in from the workflow's current version (whichever version `id` names). */
  @Roles('admin', 'teacher')
  @Get('workflows/:id/edit')
  async editForm(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const current = await this.editableVersion(id, user);
    res.render('workflows/compose', this.composerModel(stateFromVersion(current), {}, editingOf(current)));
  }

  @Roles('admin', 'teacher')
  @Post('workflows/:id/edit')
  async editPosted(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    const current = await this.editableVersion(id, user);
    await this.composed(user, body, req, res, editingOf(current));
  }

  /**
   * A posted composer: add or remove a step row, check (preview), or save. Every answer but a saved workflow is
   * the composer again with what was typed; a refused save is a 400, the others a 200.
   */
  private async composed(user: SessionUser, body: unknown, req: Request, res: Response, editing: Editing | null) {
    const { state, action } = readComposerForm(body, (name) => this.registry.findPipeline(name));
    if (editing) state.name = editing.name;
    if (action === 'save') {
      try {
        const saved = await this.workflows.save(draftFrom(state), user, editing?.name);
        setFlash(req, 'info', `Saved the workflow "${saved.name}", version ${saved.version}. Students can run it now from a target's pipeline picker.`);
        return res.redirect(303, `/workflows/${saved.id}`);
      } catch (error) {
        if (!(error instanceof WorkflowRefusedError)) throw error;
        return res.status(400).render('workflows/compose', { ...this.composerModel(state, error.problems, editing), refused: true });
      }
    }
    const stepProblem = applyStepAction(state, action);
    const checked = this.workflows.check(draftFrom(state), editing?.name);
    const problems = 'problems' in checked ? { ...checked.problems } : {};
    if (stepProblem) problems.steps = stepProblem;
    const preview = 'workflow' in checked && !stepProblem ? workflowSummary(checked.workflow, (name) => this.registry.findPipeline(name)) : null;
    // 200, not Nest's 201 for a POST: nothing was made.
    res.status(200).render('workflows/compose', { ...this.composerModel(state, problems, editing), preview });
  }

  private composerModel(state: ComposerState, problems: Record<string, string>, editing: Editing | null) {
    return {
      title: editing ? `Edit the workflow ${editing.name}` : 'Compose a workflow',
      editing: editing ? { ...editing, next: editing.version + 1 } : null,
      formAction: editing ? `/workflows/${editing.id}/edit` : '/pipelines/new',
      keepTypes: KEEP_PRODUCT_TYPES,
      ...composerView(state, this.registry.listPipelines(), problems),
    };
  }

  private async versionOr404(id: number): Promise<WorkflowVersion> {
    const version = await this.workflows.findVersion(id);
    if (!version) throw new NotFoundException(`There is no workflow version ${id}`);
    return version;
  }

  /** The current version of the workflow `id` belongs to, when this user may change it (else 403 saying why). */
  private async editableVersion(id: number, user: SessionUser): Promise<WorkflowVersion> {
    const version = await this.versionOr404(id);
    return this.workflows.editable(version.name, user);
  }
}

const editingOf = (version: WorkflowVersion): Editing => ({ name: version.name, id: version.id, version: version.version });
