import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PHOTOMETRY } from '../reduced-data/reduced-data.service';
import { ownedColumns, Viewer, visibleCondition } from '../sharing/sharing-policy';
import { Target } from './target.entity';

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
}

/**
 * The target page is the portal's busiest; every statement costs a round trip and a plan, so the facts it needs
 * besides the products table come in one statement.
 */
@Injectable()
export class TargetPageQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async facts(target: Pick<Target, 'id' | 'classroomId'>, viewer: Viewer): Promise<TargetPageFacts> {
    // The sharing policy's condition, once per table; both start at $4 and so share their parameters.
    const product = visibleCondition(viewer, ownedColumns('p', 'uploaded_by_id'), 4);
    const point = visibleCondition(viewer, ownedColumns('d'), 4);
    const [row] = await this.dataSource.query(
      `SELECT coalesce((SELECT json_agg(json_build_object('id', l.id, 'name', l.name) ORDER BY l.name)
                          FROM target_lists l JOIN target_list_targets m ON m.target_list_id = l.id
                         WHERE m.target_id = $1), '[]') AS lists,
              EXISTS (SELECT 1 FROM reduced_data d
                       WHERE d.target_id = $1 AND d.data_type = $2 AND jsonb_typeof(d.value->'magnitude') = 'number'
                         AND ${point.sql}) AS "hasLightCurve",
              (SELECT json_build_object('id', p.id, 'originalName', p.original_name, 'createdAt', p.created_at)
                 FROM data_products p WHERE p.target_id = $1 AND p.product_type = 'timelapse' AND ${product.sql}
                ORDER BY p.created_at DESC, p.id DESC LIMIT 1) AS timelapse,
              (SELECT c.name FROM classrooms c WHERE c.id = $3::int) AS "className"`,
      [target.id, PHOTOMETRY, target.classroomId, ...product.params],
    );
    const timelapse = row.timelapse as { id: number; originalName: string; createdAt: string } | null;
    return {
      lists: row.lists,
      hasLightCurve: row.hasLightCurve,
      timelapse: timelapse ? { ...timelapse, createdAt: new Date(timelapse.createdAt) } : null,
      className: row.className,
    };
  }
}
