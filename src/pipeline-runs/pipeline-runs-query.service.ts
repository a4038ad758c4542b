import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { pageUrl, pageView, parsePageRequest, queryText } from '../common/paging';
import { SessionUser } from '../users/user.entity';
import { PIPELINE_STATES, PipelineRun, PipelineState } from './pipeline-run.entity';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { PipelineRunsService } from './pipeline-runs.service';

export interface RunFilters {
  state?: PipelineState;
  /** The pipeline's registry key (its display name), exactly. */
  pipeline?: string;
  /** Username of who requested the run, any case. */
  user?: string;
  /** Part of the target's name, any case. */
  target?: string;
  /** Only the runs the viewer started. */
  mine?: boolean;
}

export interface RunPage {
  runs: PipelineRun[];
  total: number;
  limit: number;
  offset: number;
}

export const DEFAULT_RUNS_LIMIT = 50;
export const MAX_RUNS_LIMIT = 200;

/** The runs overview's query string (`state`, `pipeline`, `user`, `target`, `mine`, `limit`, `offset`), checked. */
export function parseRunQuery(query: Record<string, unknown>): { filters: RunFilters; limit: number; offset: number } {
  const state = queryText(query.state);
  if (state !== undefined && !PIPELINE_STATES.includes(state as PipelineState)) {
    throw new BadRequestException(`state must be one of ${PIPELINE_STATES.join(', ')}, not "${state.slice(0, 40)}"`);
  }
  const mine = queryText(query.mine);
  if (mine !== undefined && !['1', 'true', 'on', '0', 'false'].includes(mine)) {
    throw new BadRequestException(`mine must be 1 or 0, not "${mine.slice(0, 40)}"`);
  }
  return {
    filters: {
      state: state as PipelineState | undefined,
      pipeline: queryText(query.pipeline),
      user: queryText(query.user),
      target: queryText(query.target),
      mine: mine === '1' || mine === 'true' || mine === 'on' ? true : undefined,
    },
    ...parsePageRequest(query, DEFAULT_RUNS_LIMIT, MAX_RUNS_LIMIT),
  };
}

const likeEscape = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The runs overview: every run the viewer may see (the sharing policy on each run: their own, their students',
 * those shared with their classes, the public ones; admins all), or only their own; newest first, filtered, paged.
 */
@Injectable()
export class PipelineRunsQueryService {
  constructor(
    @InjectRepository(PipelineRun) private readonly runs: Repository<PipelineRun>,
    private readonly registry: PipelineRegistryService,
  ) {}

  async search(user: SessionUser, filters: RunFilters, page: { limit: number; offset: number }): Promise<RunPage> {
    const query = this.runs
      .createQueryBuilder('run')
      .innerJoinAndSelect('run.target', 'target')
      .leftJoinAndSelect('run.requestedBy', 'requester');
    const visible = PipelineRunsService.visibleTo(user, 'run');
    query.andWhere(visible.sql, visible.params);
    if (filters.mine) query.andWhere('run.requested_by_id = :me', { me: user.id });
    if (filters.state) query.andWhere('run.state = :state', { state: filters.state });
    if (filters.pipeline) query.andWhere('run.pipeline_key = :pipeline', { pipeline: filters.pipeline });
    if (filters.user) query.andWhere('lower(requester.username) = lower(:username)', { username: filters.user });
    if (filters.target) query.andWhere(`target.name ILIKE :target ESCAPE '\\'`, { target: `%${likeEscape(filters.target)}%` });
    const [runs, total] = await query
      .orderBy('run.createdAt', 'DESC')
      .addOrderBy('run.id', 'DESC')
      .skip(page.offset)
      .take(page.limit)
      .getManyAndCount();
    return { runs, total, limit: page.limit, offset: page.offset };
  }

  /** The filter's pipeline list: every registered pipeline, and any that has runs the user may see but is gone since. */
  async pipelineChoices(user: SessionUser): Promise<string[]> {
    const visible = PipelineRunsService.visibleTo(user, 'run');
    const query = this.runs.createQueryBuilder('run').select('DISTINCT run.pipeline_key', 'key').where(visible.sql, visible.params);
    const used = (await query.getRawMany<{ key: string }>()).map((row) => row.key);
    return [...new Set([...this.registry.list().map((pipeline) => pipeline.name), ...used])].sort((a, b) => a.localeCompare(b));
  }
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min"; null before the run started. A running run counts up to `now`. */
export function formatDuration(run: Pick<PipelineRun, 'startedAt' | 'finishedAt'>, now = new Date()): string | null {
  if (!run.startedAt) return null;
  const ms = Math.max(0, (run.finishedAt ?? now).getTime() - run.startedAt.getTime());
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** `/runs?…` keeping the filters, at another offset; empty values are left out. */
export function runsUrl(filters: RunFilters, limit: number, offset: number): string {
  return pageUrl('/runs', queryOf(filters), { limit, offset }, DEFAULT_RUNS_LIMIT);
}

/** The filters as query parameters (`mine=1` when set). */
const queryOf = (filters: RunFilters) => ({ ...filters, mine: filters.mine ? '1' : undefined });

/** What views/runs/index.hbs shows: rows, "x–y of total", and the previous/next links. */
export function runsPageView(page: RunPage, filters: RunFilters, now = new Date()) {
  const { runs, total, limit, offset } = page;
  const { from, to, prevUrl, nextUrl } = pageView('/runs', queryOf(filters), { limit, offset, total, shown: runs.length }, DEFAULT_RUNS_LIMIT, {
    one: 'run',
    many: 'runs',
  });
  return {
    rows: runs.map((run) => ({
      id: run.id,
      identifier: run.identifier,
      pipeline: run.pipelineKey,
      target: { id: run.target.id, name: run.target.name },
      requestedBy: run.requestedBy?.username ?? null,
      visibility: run.visibility,
      state: run.state,
      status: run.status,
      createdAt: run.createdAt,
      duration: formatDuration(run, now),
    })),
    total,
    from,
    to,
    prevUrl,
    nextUrl,
  };
}
