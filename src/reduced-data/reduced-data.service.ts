import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PhotometryPoint } from './photometry-csv.reader';
import { ReducedDatum } from './reduced-datum.entity';

export const PHOTOMETRY = 'photometry';

/**
 * The light curve as the page's script reads it: one series per filter (a point without a filter is "unknown"),
 * each as parallel arrays, oldest first: `t` in milliseconds since 1970 (UTC), `mag`, and `err` (null when the
 * point has none). Arrays of numbers keep 10,000 points to some 300 kB, a third of objects with ISO strings.
 */
export interface LightCurveSeries {
  filter: string;
  t: number[];
  mag: number[];
  err: Array<number | null>;
}
export interface LightCurve {
  series: LightCurveSeries[];
}

/**
 * A target's light-curve version (see lightCurveVersion): the number of its photometry points and their highest id.
 * One expression for the ETag check and for the curve built, so the two always agree.
 */
const LIGHT_CURVE_VERSION_SQL = `SELECT count(*) || '-' || coalesce(max(id), 0) FROM reduced_data WHERE target_id = $1 AND data_type = $2`;

/** Light curves kept in memory (10,000 points are some 400 kB of JSON). */
const CACHED_CURVES = 20;

@Injectable()
export class ReducedDataService {
  private readonly curves = new Map<number, { json: string; version: string }>();

  constructor(@InjectRepository(ReducedDatum) private readonly data: Repository<ReducedDatum>) {}

  /**
   * Stores photometry points inside the caller's transaction. A point already stored for this target (same time,
   * magnitude, error and filter) is skipped by the unique index, so re-importing a file adds nothing.
   */
  async addPhotometry(
    manager: EntityManager,
    targetId: number,
    dataProductId: number | null,
    sourceName: string,
    points: PhotometryPoint[],
  ): Promise<{ added: number; skipped: number }> {
    let added = 0;
    // Batches keep each statement well under Postgres's 65535-parameter limit.
    for (let start = 0; start < points.length; start += 1000) {
      const batch = points.slice(start, start + 1000).map((point) => ({
        targetId,
        dataProductId,
        dataType: PHOTOMETRY,
        sourceName,
        timestamp: point.timestamp,
        value: { magnitude: point.magnitude, error: point.error, filter: point.filter },
      }));
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
   * Which state of a target's photometry a light curve shows: the number of its points and their highest id.
   * Points are only ever inserted (ids never reused) or deleted, so two different sets of points never share it.
   */
  async lightCurveVersion(targetId: number): Promise<string> {
    const [{ version }] = await this.data.query(`SELECT (${LIGHT_CURVE_VERSION_SQL}) AS version`, [targetId, PHOTOMETRY]);
    return version;
  }

  /**
   * The light curve (see LightCurve) as JSON text, and the version (see lightCurveVersion) it shows. Built by
   * Postgres in one statement (one snapshot for both): 10,000 points are never turned into entities and back.
   * Points whose magnitude is not a number are left out; the numbers are the stored JSON numbers themselves;
   * series are in code-point order of their filter. The newest curves are kept in memory by version, so a class
   * opening the same target builds it once.
   */
  async lightCurveJson(targetId: number, knownVersion?: string): Promise<{ json: string; version: string }> {
    const cached = this.curves.get(targetId);
    if (cached && cached.version === knownVersion) return cached;
    // Built as text with string_agg: json_agg would put a space after every comma, a tenth of the payload.
    const [curve]: Array<{ json: string; version: string }> = await this.data.query(
      `WITH points AS (
         SELECT CASE WHEN jsonb_typeof(value->'filter') = 'string' AND value->>'filter' <> '' THEN value->>'filter' ELSE 'unknown' END AS filter,
                floor(extract(epoch FROM timestamp) * 1000)::bigint AS t, id, timestamp,
                value->'magnitude' AS mag,
                CASE WHEN jsonb_typeof(value->'error') = 'number' THEN value->'error' ELSE 'null'::jsonb END AS err
           FROM reduced_data
          WHERE target_id = $1 AND data_type = $2 AND jsonb_typeof(value->'magnitude') = 'number'
       ), series AS (
         SELECT filter,
                '{"filter":' || to_json(filter)::text
                || ',"t":[' || string_agg(t::text, ',' ORDER BY timestamp, id)
                || '],"mag":[' || string_agg(mag::text, ',' ORDER BY timestamp, id)
                || '],"err":[' || string_agg(err::text, ',' ORDER BY timestamp, id) || ']}' AS json
           FROM points GROUP BY filter
       )
       SELECT '{"series":[' || coalesce((SELECT string_agg(json, ',' ORDER BY filter COLLATE "C") FROM series), '') || ']}' AS json,
              (${LIGHT_CURVE_VERSION_SQL}) AS version`,
      [targetId, PHOTOMETRY],
    );
    this.curves.delete(targetId);
    this.curves.set(targetId, curve);
    // A map keeps insertion order: drop the least recently built curves beyond the limit.
    for (const oldest of this.curves.keys()) {
      if (this.curves.size <= CACHED_CURVES) break;
      this.curves.delete(oldest);
    }
    return curve;
  }

  /** One page of a target's reduced data (optionally of one data type), oldest first. */
  async page(targetId: number, dataType: string | undefined, page: { limit: number; offset: number }): Promise<{ items: ReducedDatum[]; total: number }> {
    const [items, total] = await this.data.findAndCount({
      where: { targetId, ...(dataType ? { dataType } : {}) },
      order: { timestamp: 'ASC', id: 'ASC' },
      skip: page.offset,
      take: page.limit,
    });
    return { items, total };
  }

  /** Photometry points sent directly (not read from a file): all stored in one transaction, duplicates skipped. */
  addPoints(targetId: number, sourceName: string, points: PhotometryPoint[]): Promise<{ added: number; skipped: number }> {
    return this.data.manager.transaction((manager) => this.addPhotometry(manager, targetId, null, sourceName, points));
  }

  /** A target's photometry points, oldest first, for export. */
  photometryOf(targetId: number): Promise<ReducedDatum[]> {
    return this.data.find({ where: { targetId, dataType: PHOTOMETRY }, order: { timestamp: 'ASC', id: 'ASC' } });
  }

  countForTarget(targetId: number): Promise<number> {
    return this.data.count({ where: { targetId } });
  }
}
