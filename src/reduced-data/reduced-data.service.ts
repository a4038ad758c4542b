import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PhotometryPoint } from './photometry-csv.reader';
import { ReducedDatum } from './reduced-datum.entity';

export const PHOTOMETRY = 'photometry';

export interface LightCurvePoint {
  /** ISO time */
  t: string;
  mag: number;
  err: number | null;
}

/** Light-curve points grouped by filter, oldest first. */
export type LightCurve = Record<string, LightCurvePoint[]>;

@Injectable()
export class ReducedDataService {
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

  async lightCurve(targetId: number): Promise<LightCurve> {
    const rows = await this.data.find({
      where: { targetId, dataType: PHOTOMETRY },
      order: { timestamp: 'ASC' },
    });
    const curve: LightCurve = {};
    for (const row of rows) {
      const value = row.value as { magnitude?: unknown; error?: unknown; filter?: unknown };
      if (typeof value.magnitude !== 'number') continue;
      const filter = typeof value.filter === 'string' && value.filter ? value.filter : 'unknown';
      (curve[filter] ??= []).push({
        t: row.timestamp.toISOString(),
        mag: value.magnitude,
        err: typeof value.error === 'number' ? value.error : null,
      });
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
