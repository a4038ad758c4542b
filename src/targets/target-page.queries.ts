import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PHOTOMETRY } from '../reduced-data/reduced-data.service';
import { unreadCountSql } from '../notifications/unread-count';
import { PipelinePreset } from '../pipeline-runs/pipeline-preset.entity';
import { ClassChoice } from '../sharing/share-choice';
import { changeableCondition, ownedColumns, visibleCondition } from '../sharing/sharing-policy';
import { isRowId } from '../common/request-parsing';
import { SessionUser } from '../users/user.entity';
import { Target } from './target.entity';
import { TARGET_JSON_COLUMNS, targetFromJson, TargetsService } from './targets.service';
import { preparedQuery } from '../database/prepared-query';

/** A run in the target page's runs table: what the table shows of it. */
export interface TargetPageRun {
  id: number;
  identifier: string;
  pipelineKey: string;
  state: string;
  status: string;
  createdAt: Date;
  requestedBy: { username: string } | null;
}

/** The small facts around the target page's table, each of which would otherwise be a query of its own. */
export interface TargetPageFacts {
  /** The target lists it is in, by name. */
  lists: Array<{ id: number; name: string }>;
  /** Whether it has a light curve the viewer may see (a photometry point with a numeric magnitude). */
  hasLightCurve: boolean;
  /** Its newest timelapse that the viewer may see, shown above the products. */
  timelapse: { id: number; originalName: string; createdAt: Date } | null;
  /** The class the target is shared with, when it is. */
  className: string | null;
  /** The groups the viewer may change, newest first: "add to group" (GroupsService.choices). */
  groupChoices: Array<{ id: number; name: string }>;
  /** The classes the viewer is in, by name: the upload's sharing choices (sharing-request's classChoices). */
  classChoices: ClassChoice[];
  /** Every pipeline preset, by pipeline and name (PipelinePresetsService.list). */
  presets: PipelinePreset[];
  /** The newest 50 runs on the target that the viewer may see (PipelineRunsService.listForTarget). */
  runs: TargetPageRun[];
  /** The header bell's count (notifications/unread-count.ts), so UnreadCountMiddleware need not ask. */
  unreadNotifications: number;
}

/** Runs in the target page's table, as PipelineRunsService.listForTarget's default. */
const RUNS_SHOWN = 50;

/**
 * The target page is the portal's busiest; every statement costs a round trip, a plan and, on the embedded
 * database, the same process's time, so the target and everything the page needs besides the products table come
 * in one statement, each part under the same sharing rule as the service that otherwise answers it.
 */
@Injectable()
export class TargetPageQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The target (`TargetsService.findVisible`'s answer: the 404 or 403 thrown the same way) and its facts. The facts
   * are read in the same statement before the target's check and dropped with it when the viewer may not see it.
   */
  async targetAndFacts(id: number, viewer: SessionUser): Promise<{ target: Target; facts: TargetPageFacts }> {
    if (!isRowId(id)) throw TargetsService.visibleOrThrow(id, null, viewer);
    // The sharing policy's conditions, once per table; all start at $5 and so share their parameters.
    const first = 5;
    const product = visibleCondition(viewer, ownedColumns('p', 'uploaded_by_id'), first);
    const point = visibleCondition(viewer, ownedColumns('d'), first);
    const run = visibleCondition(viewer, ownedColumns('r', 'requested_by_id'), first);
    const group = changeableCondition(viewer, 'g.created_by_id', first);
    const {
      rows: [row],
    } = await preparedQuery<any>(
      this.dataSource,
      `SELECT ${TARGET_JSON_COLUMNS},
              coalesce((SELECT json_agg(json_build_object('id', l.id, 'name', l.name) ORDER BY l.name)
                          FROM target_lists l JOIN target_list_targets m ON m.target_list_id = l.id
                         WHERE m.target_id = $1), '[]') AS lists,
              EXISTS (SELECT 1 FROM reduced_data d
                       WHERE d.target_id = $1 AND d.data_type = $2 AND (jsonb_typeof(d.value->'magnitude') = 'number' OR d."limit" IS NOT NULL)
                         AND ${point.sql}) AS "hasLightCurve",
              (SELECT json_build_object('id', p.id, 'originalName', p.original_name, 'createdAt', p.created_at)
                 FROM data_products p WHERE p.target_id = $1 AND p.product_type = 'timelapse' AND ${product.sql}
                ORDER BY p.created_at DESC, p.id DESC LIMIT 1) AS timelapse,
              (SELECT c.name FROM classrooms c WHERE c.id = t.classroom_id) AS "className",
              coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.created_at DESC, g.id DESC)
                          FROM data_product_groups g WHERE ${group.sql}), '[]') AS "groupChoices",
              coalesce((SELECT json_agg(json_build_object('id', c.id, 'name', c.name) ORDER BY c.name, c.id)
                          FROM classrooms c WHERE c.id = ANY($3::int[])), '[]') AS "classChoices",
              coalesce((SELECT json_agg(json_build_object('id', s.id, 'pipelineKey', s.pipeline_key, 'name', s.name, 'flags', s.flags, 'params', s.params,
                                                          'createdById', s.created_by_id, 'createdAt', s.created_at)
                                        ORDER BY s.pipeline_key, s.name)
                          FROM pipeline_presets s), '[]') AS presets,
              coalesce((SELECT json_agg(json_build_object('id', r.id, 'identifier', r.identifier, 'pipelineKey', r.pipeline_key,
                                                          'state', r.state, 'status', r.status, 'createdAt', r.created_at,
                                                          'requester', u.username)
                                        ORDER BY r.created_at DESC, r.id DESC)
                          FROM (SELECT * FROM pipeline_runs r WHERE r.target_id = $1 AND ${run.sql}
                                 ORDER BY r.created_at DESC, r.id DESC LIMIT ${RUNS_SHOWN}) r
                          LEFT JOIN users u ON u.id = r.requested_by_id), '[]') AS runs,
              ${unreadCountSql('$4')} AS "unreadNotifications"
         FROM targets t LEFT JOIN users o ON o.id = t.owner_id WHERE t.id = $1`,
      [id, PHOTOMETRY, [...viewer.memberOf], viewer.id, ...product.params],
    );
    const target = TargetsService.visibleOrThrow(id, row ? targetFromJson(row) : null, viewer);
    const timelapse = row.timelapse as { id: number; originalName: string; createdAt: string } | null;
    type RunJson = Omit<TargetPageRun, 'createdAt' | 'requestedBy'> & { createdAt: string; requester: string | null };
    const facts: TargetPageFacts = {
      lists: row.lists,
      hasLightCurve: row.hasLightCurve,
      timelapse: timelapse ? { ...timelapse, createdAt: new Date(timelapse.createdAt) } : null,
      className: row.className,
      groupChoices: row.groupChoices,
      classChoices: row.classChoices,
      // Entities as the repository's find makes them (no relations loaded).
      presets: (row.presets as Array<Omit<PipelinePreset, 'createdBy' | 'createdAt'> & { createdAt: string }>).map((preset) =>
        Object.assign(new PipelinePreset(), { ...preset, createdAt: new Date(preset.createdAt) }),
      ),
      unreadNotifications: row.unreadNotifications,
      runs: (row.runs as RunJson[]).map(({ requester, createdAt, ...run }) => ({
        ...run,
        createdAt: new Date(createdAt),
        requestedBy: requester === null ? null : { username: requester },
      })),
    };
    return { target, facts };
  }
}
