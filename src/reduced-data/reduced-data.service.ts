import { createHash, randomUUID } from 'node:crypto';
import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { textOrThrow } from '../common/text-input';
import { checkedSharing } from '../sharing/sharing-request';
import { canChange, ownedColumns, visibleCondition, visibleWhere, Viewer } from '../sharing/sharing-policy';
import { Visibility } from '../sharing/visibility';
import {
  LightCurveView,
  orderSeries,
  parseSeriesKey,
  PointSourceKind,
  SeriesIdentity,
  SeriesRow,
  SeriesSummary,
  summarizeSeries,
} from './light-curve-series';
import { PhotometryPoint } from './photometry-csv.reader';
import { ExportedPoint } from './photometry-csv.writer';
import { ReducedDatum } from './reduced-datum.entity';

export const PHOTOMETRY = 'photometry';

/**
 * Where points come from and whose they are. A series is one filter from one source: an uploaded file
 * (`dataProductId`), a run (`runId`) or an API batch (`batchId`, one per API call). `sourceName` is the file's
 * name, the run's identifier or the API caller's name for the batch.
 */
export interface PointSource {
  kind: PointSourceKind;
  dataProductId?: number | null;
  runId?: number | null;
  batchId?: string | null;
  sourceName: string;
  ownerId: string | null;
  visibility: Visibility;
  classroomId: number | null;
}

/** The target facts the light curve needs: "mine" includes the target owner's series. */
export type CurveTarget = { id: number; ownerId: string | null };

/**
 * The light curve as the page's script reads it: one series per (owner, source, facility, filter), each with its
 * legend label, its key (to delete or export it), whether the viewer may delete it, and its points as parallel
 * arrays, oldest first: `t` in milliseconds since 1970 (UTC), `mag` (null for a non-detection), `err` (null when
 * the point has none) and `lim`, the limiting magnitude (null when none was given; with a null `mag`, an upper
 * limit). Arrays of numbers keep 10,000 points to some 300 kB, a third of objects with ISO strings.
 */
export interface LightCurveSeries {
  key: string;
  filter: string;
  facility: string;
  label: string;
  owner: string;
  source: string;
  sourceKind: PointSourceKind;
  visibility: string;
  points: number;
  canChange: boolean;
  t: number[];
  mag: Array<number | null>;
  err: Array<number | null>;
  lim: Array<number | null>;
}
export interface LightCurve {
  series: LightCurveSeries[];
}

/** The series as a JSON API lists them (no points). */
export type SeriesListing = Omit<LightCurveSeries, 't' | 'mag' | 'err' | 'lim'>;

/** Light curves kept in memory (10,000 points are some 400 kB of JSON). */
const CACHED_CURVES = 20;

// How the SQL below groups points into series; light-curve-series.ts (filterOf, sourceRef) says the same in code.
const FILTER_SQL = `CASE WHEN jsonb_typeof(d.value->'filter') = 'string' AND d.value->>'filter' <> '' THEN d.value->>'filter' ELSE 'unknown' END`;
const SOURCE_REF_SQL = `coalesce(CASE d.source_kind WHEN 'upload' THEN d.data_product_id::text WHEN 'run' THEN d.run_id::text ELSE d.batch_id::text END, 'name:' || d.source_name)`;
const NUMERIC_MAGNITUDE_SQL = `jsonb_typeof(d.value->'magnitude') = 'number'`;
// A point of the light curve: a magnitude, or a limit (a non-detection), or both.
const DRAWN_POINT_SQL = `(${NUMERIC_MAGNITUDE_SQL} OR d."limit" IS NOT NULL)`;
const SERIES_COLUMNS_SQL = `d.owner_id AS "ownerId", d.source_kind AS kind, ${SOURCE_REF_SQL} AS ref, d.facility AS facility, ${FILTER_SQL} AS filter`;

/** Collects query parameters and hands out their placeholders: `$n` for raw queries, `:name` for TypeORM's. */
class Params {
  readonly positional: unknown[] = [];
  readonly named: Record<string, unknown> = {};
  constructor(private readonly style: 'positional' | 'named') {}

  add(value: unknown): string {
    if (this.style === 'positional') {
      this.positional.push(value);
      return `$${this.positional.length}`;
    }
    const name = `lc${Object.keys(this.named).length}`;
    this.named[name] = value;
    return `:${name}`;
  }

  /** The sharing policy's condition on alias `d`. */
  visible(viewer: Viewer): string {
    if (this.style === 'named') {
      const where = visibleWhere(viewer, ownedColumns('d'), 'lcViewer');
      Object.assign(this.named, where.params);
      return where.sql;
    }
    const condition = visibleCondition(viewer, ownedColumns('d'), this.positional.length + 1);
    this.positional.push(...condition.params);
    return condition.sql;
  }
}

/** The view's condition on alias `d` (see LightCurveView; the same scopes as the target page's products filter). */
function viewSql(view: LightCurveView, viewer: Viewer, target: CurveTarget, params: Params): string {
  if (view === 'everyone') return 'TRUE';
  const mine = `d.owner_id = CAST(${params.add(viewer.id)} AS uuid) OR d.owner_id IS NOT DISTINCT FROM CAST(${params.add(target.ownerId)} AS uuid)`;
  if (view === 'mine') return `(${mine})`;
  return `(${mine} OR d.owner_id = ANY(CAST(${params.add([...viewer.studentIds])} AS uuid[]))
           OR (d.visibility = 'class' AND d.classroom_id = ANY(CAST(${params.add([...viewer.memberOf])} AS int[]))))`;
}

/** Only the points of these series (alias `d`). */
function seriesSql(series: SeriesIdentity[], params: Params): string {
  const column = (pick: (s: SeriesIdentity) => string) => `CAST(${params.add(series.map(pick))} AS text[])`;
  return `(coalesce(d.owner_id::text, ''), d.source_kind, ${SOURCE_REF_SQL}, d.facility, ${FILTER_SQL}) IN
          (SELECT * FROM unnest(${column((s) => s.ownerId ?? '')}, ${column((s) => s.kind)}, ${column((s) => s.ref)}, ${column((s) => s.facility)}, ${column((s) => s.filter)}))`;
}

type CurveRow = SeriesRow & { ids: string; t?: string; mag?: string; err?: string; lim?: string };

@Injectable()
export class ReducedDataService {
  /** Built curves by version: the version is a digest of everything the JSON says, so viewers who see the same share one. */
  private readonly curves = new Map<string, string>();

  constructor(@InjectRepository(ReducedDatum) private readonly data: Repository<ReducedDatum>) {}

  /**
   * Stores photometry points inside the caller's transaction, as `source` says whose they are and where they came
   * from. A point this owner already has on this target (same time, magnitude, error, filter, limit and facility)
   * is skipped by the unique index (target, data type, owner, time, value, limit, facility), so re-importing or
   * re-running adds nothing to the owner's series, while another owner's identical points stay theirs.
   */
  async addPhotometry(manager: EntityManager, targetId: number, source: PointSource, points: PhotometryPoint[]): Promise<{ added: number; skipped: number }> {
    const reference = { upload: source.dataProductId, run: source.runId, api: source.batchId }[source.kind];
    if (reference === null || reference === undefined) throw new Error(`Photometry from a ${source.kind} needs the ${source.kind}'s id`);
    // The one writer of points: their texts pass the text rule here whatever the door (the CSV reader and the API's
    // DTO have refused what it refuses already, with line numbers and field names).
    const sourceName = textOrThrow(source.sourceName, 'sourceName');
    let added = 0;
    // Batches keep each statement well under Postgres's 65535-parameter limit.
    for (let start = 0; start < points.length; start += 1000) {
      const batch = points.slice(start, start + 1000).map((point) => ({
        targetId,
        dataProductId: source.dataProductId ?? null,
        runId: source.runId ?? null,
        batchId: source.batchId ?? null,
        sourceKind: source.kind,
        ownerId: source.ownerId,
        visibility: source.visibility,
        classroomId: source.visibility === 'class' ? source.classroomId : null,
        dataType: PHOTOMETRY,
        sourceName,
        timestamp: point.timestamp,
        value: { magnitude: point.magnitude, error: point.error, filter: textOrThrow(point.filter, 'filter') },
        limit: point.limit,
        facility: textOrThrow(point.facility, 'facility'),
      }));
      // ON CONFLICT DO NOTHING without a conflict target: the identity index is an expression index.
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(ReducedDatum)
        .values(batch as QueryDeepPartialEntity<ReducedDatum>[])
        .orIgnore()
        .returning('id')
        .execute();
      added += result.raw.length;
    }
    return { added, skipped: points.length - added };
  }

  /**
   * Photometry points sent through the API: one new batch (one source) per call, owned by the caller, private
   * unless `sharing` says otherwise (checked against the policy); all stored in one transaction, points the caller
   * already has skipped.
   */
  async addPoints(
    targetId: number,
    caller: Viewer,
    input: { sourceName: string; visibility?: unknown; classroomId?: unknown },
    points: PhotometryPoint[],
  ): Promise<{ added: number; skipped: number; batchId: string }> {
    const sharing = await checkedSharing(this.data.manager, caller, { visibility: input.visibility ?? 'private', classroomId: input.classroomId });
    const batchId = randomUUID();
    const source: PointSource = { kind: 'api', batchId, sourceName: input.sourceName, ownerId: caller.id, ...sharing };
    const counts = await this.data.manager.transaction((manager) => this.addPhotometry(manager, targetId, source, points));
    return { ...counts, batchId };
  }

  /** The photometry points (alias `d`) of a target that `viewer` may see in `view`, optionally of some series only. */
  private static pointConditions(target: CurveTarget, viewer: Viewer, view: LightCurveView, only: SeriesIdentity[] | undefined, params: Params): string[] {
    const conditions = [
      `d.target_id = ${params.add(target.id)}`,
      `d.data_type = ${params.add(PHOTOMETRY)}`,
      DRAWN_POINT_SQL,
      params.visible(viewer),
      viewSql(view, viewer, target, params),
    ];
    if (only) conditions.push(seriesSql(only, params));
    return conditions;
  }

  /**
   * The series the viewer may see in this view (optionally only the named ones), labelled and ordered (see
   * orderSeries), with their SQL rows. `withPoints` adds each series' points as JSON array text, built by Postgres
   * in the same statement (one snapshot for labels and points): 10,000 points are never turned into entities.
   */
  private async seriesRows(
    target: CurveTarget,
    viewer: Viewer,
    view: LightCurveView,
    options: { withPoints?: boolean; only?: SeriesIdentity[] } = {},
  ): Promise<Array<{ summary: SeriesSummary; row: CurveRow }>> {
    const params = new Params('positional');
    const conditions = ReducedDataService.pointConditions(target, viewer, view, options.only, params);
    const ordered = `ORDER BY d.timestamp, d.id`;
    // Built as text with string_agg: json_agg would put a space after every comma, a tenth of the payload.
    const points = options.withPoints
      ? `, string_agg(floor(extract(epoch FROM d.timestamp) * 1000)::bigint::text, ',' ${ordered}) AS t,
           string_agg(CASE WHEN ${NUMERIC_MAGNITUDE_SQL} THEN (d.value->'magnitude')::text ELSE 'null' END, ',' ${ordered}) AS mag,
           string_agg(CASE WHEN jsonb_typeof(d.value->'error') = 'number' THEN (d.value->'error')::text ELSE 'null' END, ',' ${ordered}) AS err,
           string_agg(coalesce(d."limit"::text, 'null'), ',' ${ordered}) AS lim`
      : '';
    const rows: CurveRow[] = await this.data.query(
      `SELECT ${SERIES_COLUMNS_SQL},
              min(d.source_name) AS "sourceName", min(d.created_at) AS "createdAt",
              min(u.username) AS username, min(u.display_name) AS "displayName",
              CASE WHEN count(DISTINCT d.visibility) = 1 THEN min(d.visibility) ELSE 'mixed' END AS visibility,
              count(*)::int AS points, md5(string_agg(d.id::text, ',' ORDER BY d.id)) AS ids ${points}
         FROM reduced_data d LEFT JOIN users u ON u.id = d.owner_id
        WHERE ${conditions.join(' AND ')}
        GROUP BY 1, 2, 3, 4, 5`,
      params.positional,
    );
    const summaries = rows.map((row) => ({ ...summarizeSeries(row, canChange(viewer, { ownerId: row.ownerId })), row }));
    return orderSeries(summaries, viewer.id, target.ownerId).map(({ row, ...summary }) => ({ summary, row }));
  }

  /**
   * A digest of everything the light-curve JSON says: for each series in order its key, label, sharing, whether
   * the viewer may delete it, and an md5 of its point ids. Points are never edited (only added, deleted or
   * re-shared), so equal ids mean equal points; sharing changes and class changes alter which ids the viewer's
   * query returns, and a renamed student alters the label. So the version changes exactly when the JSON does.
   */
  private static version(target: CurveTarget, series: Array<{ summary: SeriesSummary; row: CurveRow }>): string {
    const facts = series.map(({ summary, row }) => [summary.key, summary.label, summary.visibility, summary.canChange, summary.points, row.ids]);
    return createHash('sha256').update(JSON.stringify([target.id, facts])).digest('base64url').slice(0, 27);
  }

  /**
   * Which state of the light curve this viewer sees in this view (see version): one grouped query over the
   * target's visible points, no point data, for the ETag check.
   */
  async lightCurveVersion(target: CurveTarget, viewer: Viewer, view: LightCurveView): Promise<string> {
    return ReducedDataService.version(target, await this.seriesRows(target, viewer, view));
  }

  /**
   * The light curve (see LightCurve) as JSON text, and its version. A curve already built for `knownVersion`
   * (by this viewer or by anyone who saw exactly the same) is served from memory, so a class opening the same
   * target builds it once.
   */
  async lightCurveJson(target: CurveTarget, viewer: Viewer, view: LightCurveView, knownVersion?: string): Promise<{ json: string; version: string }> {
    const cached = knownVersion === undefined ? undefined : this.curves.get(knownVersion);
    if (cached !== undefined) {
      this.remember(knownVersion!, cached);
      return { json: cached, version: knownVersion! };
    }
    const series = await this.seriesRows(target, viewer, view, { withPoints: true });
    const version = ReducedDataService.version(target, series);
    const parts = series.map(({ summary, row }) => {
      const head = JSON.stringify(ReducedDataService.listing(summary));
      return `${head.slice(0, -1)},"t":[${row.t}],"mag":[${row.mag}],"err":[${row.err}],"lim":[${row.lim}]}`;
    });
    const json = `{"series":[${parts.join(',')}]}`;
    this.remember(version, json);
    return { json, version };
  }

  private remember(version: string, json: string): void {
    this.curves.delete(version);
    this.curves.set(version, json);
    // A map keeps insertion order: drop the least recently used curves beyond the limit.
    for (const oldest of this.curves.keys()) {
      if (this.curves.size <= CACHED_CURVES) break;
      this.curves.delete(oldest);
    }
  }

  private static listing(summary: SeriesSummary): SeriesListing {
    return {
      key: summary.key,
      filter: summary.filter,
      facility: summary.facility,
      label: summary.label,
      owner: summary.owner,
      source: summary.source,
      sourceKind: summary.kind,
      visibility: summary.visibility,
      points: summary.points,
      canChange: summary.canChange,
    };
  }

  /** The series the viewer may see in this view, without their points (the API's list). */
  async listSeries(target: CurveTarget, viewer: Viewer, view: LightCurveView): Promise<SeriesListing[]> {
    return (await this.seriesRows(target, viewer, view)).map(({ summary }) => ReducedDataService.listing(summary));
  }

  /** Reads a series key, or says why not. */
  private static identity(key: unknown): SeriesIdentity {
    const identity = parseSeriesKey(key);
    if (!identity) throw new BadRequestException('That is not the key of a light-curve series');
    return identity;
  }

  /** The series `key` names, if the viewer may see it on this target and change it (canChange: owner, their teacher, admin). */
  private async changeableSeries(target: CurveTarget, viewer: Viewer, key: unknown, action: string): Promise<{ identity: SeriesIdentity; summary: SeriesSummary }> {
    const identity = ReducedDataService.identity(key);
    const [found] = await this.seriesRows(target, viewer, 'everyone', { only: [identity] });
    if (!found) throw new NotFoundException('This target has no such light-curve series');
    if (!found.summary.canChange) throw new ForbiddenException(`Only the student the series belongs to, their teacher or an admin may ${action} it`);
    return { identity, summary: found.summary };
  }

  /** Deletes one series (every point of that owner, source, facility and filter on the target); see changeableSeries for who may. */
  async deleteSeries(target: CurveTarget, viewer: Viewer, key: unknown): Promise<{ deleted: number; label: string }> {
    const { identity, summary } = await this.changeableSeries(target, viewer, key, 'delete');
    const params = new Params('positional');
    // TypeORM answers a DELETE with [rows, affected count].
    const [, deleted]: [unknown, number] = await this.data.query(
      `DELETE FROM reduced_data d WHERE d.target_id = ${params.add(target.id)} AND d.data_type = ${params.add(PHOTOMETRY)}
          AND ${seriesSql([identity], params)}`,
      params.positional,
    );
    return { deleted, label: summary.label };
  }

  /** Shares one series (e.g. an API batch, which has no page of its own) as the policy allows (checkedSharing). */
  async shareSeries(target: CurveTarget, viewer: Viewer, key: unknown, request: { visibility: unknown; classroomId?: unknown }): Promise<SeriesListing> {
    const { identity } = await this.changeableSeries(target, viewer, key, 'share');
    const sharing = await checkedSharing(this.data.manager, viewer, request);
    const params = new Params('positional');
    await this.data.query(
      `UPDATE reduced_data d SET visibility = ${params.add(sharing.visibility)}, classroom_id = ${params.add(sharing.classroomId)}
        WHERE d.target_id = ${params.add(target.id)} AND d.data_type = ${params.add(PHOTOMETRY)} AND ${seriesSql([identity], params)}`,
      params.positional,
    );
    const [after] = await this.seriesRows(target, viewer, 'everyone', { only: [identity] });
    return ReducedDataService.listing(after.summary);
  }

  /**
   * The points of a light curve as the viewer sees it in this view (optionally only the series named by `keys`:
   * those left shown in the legend), oldest first, for the CSV writer: each with its limit and facility, and its
   * series' origin (student · source) for the portal's layout's source column.
   */
  async exportPoints(target: CurveTarget, viewer: Viewer, view: LightCurveView, keys?: unknown[]): Promise<ExportedPoint[]> {
    const only = keys?.map((key) => ReducedDataService.identity(key));
    if (only && !only.length) return [];
    const series = await this.seriesRows(target, viewer, view, { only });
    const seriesOf = (s: { ownerId: string | null; kind: string; ref: string; facility: string; filter: string }) =>
      JSON.stringify([s.ownerId ?? '', s.kind, s.ref, s.facility, s.filter]);
    const origins = new Map(series.map(({ summary }) => [seriesOf(summary), summary.origin]));
    const params = new Params('positional');
    const conditions = ReducedDataService.pointConditions(target, viewer, view, only, params);
    const rows: Array<{
      ownerId: string | null;
      kind: string;
      ref: string;
      facility: string;
      filter: string;
      timestamp: Date;
      value: Record<string, unknown>;
      limit: number | null;
      sourceName: string;
    }> = await this.data.query(
      `SELECT ${SERIES_COLUMNS_SQL}, d.timestamp, d.value, d."limit" AS "limit", d.source_name AS "sourceName"
         FROM reduced_data d WHERE ${conditions.join(' AND ')} ORDER BY d.timestamp, d.id`,
      params.positional,
    );
    return rows.map((row) => ({
      timestamp: new Date(row.timestamp),
      magnitude: typeof row.value.magnitude === 'number' ? row.value.magnitude : null,
      error: typeof row.value.error === 'number' ? row.value.error : null,
      filter: typeof row.value.filter === 'string' ? row.value.filter : '',
      limit: row.limit,
      facility: row.facility,
      // A series that appeared between the two statements has no label yet: its source name stands in.
      source: origins.get(seriesOf(row)) ?? row.sourceName,
    }));
  }

  /** One page of a target's reduced data the viewer may see in this view (optionally of one data type), oldest first. */
  async page(
    target: CurveTarget,
    viewer: Viewer,
    view: LightCurveView,
    dataType: string | undefined,
    page: { limit: number; offset: number },
  ): Promise<{ items: ReducedDatum[]; total: number }> {
    const params = new Params('named');
    const query = this.data
      .createQueryBuilder('d')
      .where(`d.target_id = ${params.add(target.id)}`)
      .andWhere(params.visible(viewer))
      .andWhere(viewSql(view, viewer, target, params));
    if (dataType) query.andWhere(`d.data_type = ${params.add(dataType)}`);
    const [items, total] = await query.setParameters(params.named).orderBy('d.timestamp', 'ASC').addOrderBy('d.id', 'ASC').skip(page.offset).take(page.limit).getManyAndCount();
    return { items, total };
  }

  countForTarget(targetId: number): Promise<number> {
    return this.data.count({ where: { targetId } });
  }
}
