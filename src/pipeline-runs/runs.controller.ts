import { Controller, Get, Query, Render } from '@nestjs/common';
import { CurrentUser } from '../auth/auth.decorators';
import { isAdmin } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';
import { PIPELINE_STATES } from './pipeline-run.entity';
import { parseRunQuery, PipelineRunsQueryService, runsPageView } from './pipeline-runs-query.service';

/** /runs: the runs overview (every run the viewer may see, or only their own), filtered by the query string. */
@Controller('runs')
export class RunsController {
  constructor(private readonly query: PipelineRunsQueryService) {}

  @Get()
  @Render('runs/index')
  async index(@CurrentUser() user: SessionUser, @Query() params: Record<string, unknown>) {
    const { filters, limit, offset } = parseRunQuery(params);
    const [page, pipelines] = await Promise.all([this.query.search(user, filters, { limit, offset }), this.query.pipelineChoices(user)]);
    return {
      title: 'Runs',
      filters,
      showQueues: isAdmin(user),
      seesAll: isAdmin(user),
      teaches: user.teaches.length > 0,
      limit,
      states: PIPELINE_STATES,
      pipelines,
      ...runsPageView(page, filters),
    };
  }
}
