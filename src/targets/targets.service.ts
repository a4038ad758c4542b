import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { searchText } from '../common/text';
import { unreadCountSql } from '../notifications/unread-count';
import { textOrThrow } from '../common/text-input';
import { ClassChoice, ShareChoice } from '../sharing/share-choice';
import { classChoices, className, sharingProblem } from '../sharing/sharing-request';
import { ownedColumns, visibleCondition } from '../sharing/sharing-policy';
import { SessionUser, User } from '../users/user.entity';
import { TargetFields } from './dto/target-form';
import { canEditTarget, canViewTarget } from './target-access';
import { TargetList } from './target-list.entity';
import { Target } from './target.entity';
import { isRowId } from '../common/request-parsing';
import { preparedQuery } from '../database/prepared-query';

export interface TargetSearch {
  /** Matches name or any alias, case-insensitively, anywhere in the string. */
  text?: string;
  cone?: { ra: number; dec: number; radius: number };
  listId?: number;
}

export interface TargetWithDistance {
  target: Target;
  /** Degrees from the cone centre, when a cone search was made. */
  distance: number | null;
}

@Injectable()
export class TargetsService {
  constructor(
    @InjectRepository(Target) private readonly targets: Repository<Target>,
    @InjectRepository(TargetList) private readonly lists: Repository<TargetList>,
  ) {}

  /**
   * One page of a search, and how many targets match in all (/targets and the API's list), in one statement: the
   * count and the page side by side, the page's rows (with their owners) as one JSON value. With `pageExtras`, what
   * else /targets shows, in the same statement: every target list with how many of its targets the viewer may see
   * (allLists), and the header bell's unread count (notifications/unread-count.ts). A `limit` of null is every
   * match (the CSV export).
   */
  async searchPage(
    user: SessionUser,
    search: TargetSearch,
    page: { limit: number | null; offset: number },
    options: { pageExtras?: boolean } = {},
  ): Promise<{ items: TargetWithDistance[]; total: number; extras?: { lists: TargetListSummary[]; unreadNotifications: number } }> {
    const params: unknown[] = [page.limit, page.offset];
    const visible = visibleCondition(user, ownedColumns('t'), params.length + 1);
    params.push(...visible.params);
    const where = [visible.sql];
    // Cleaned as names are (common/text.ts), so a pasted "M13" + U+200B or a decomposed "é" still finds the target.
    const text = search.text ? searchText(search.text) : '';
    if (text) {
      const pattern = `$${params.push(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}::text`;
      where.push(`(t.name ILIKE ${pattern} OR EXISTS (SELECT 1 FROM unnest(t.aliases) AS alias WHERE alias ILIKE ${pattern}))`);
    }
    if (search.listId) {
      where.push(`EXISTS (SELECT 1 FROM target_list_targets m WHERE m.target_id = t.id AND m.target_list_id = $${params.push(search.listId)}::int)`);
    }
    let distance = 'NULL::float8';
    // The page's order, inside (over the table) and again outside (over the page's rows, for json_agg).
    let order = { inner: 't.name, t.id', outer: 'page.name, page.id' };
    if (search.cone) {
      const [ra, dec, radius] = [params.push(search.cone.ra), params.push(search.cone.dec), params.push(search.cone.radius)].map((n) => `$${n}::float8`);
      // Great-circle distance by the haversine formula, stable for small radii.
      distance = `degrees(2 * asin(least(1, sqrt(
          power(sin(radians(t.dec - ${dec}) / 2), 2) +
          cos(radians(t.dec)) * cos(radians(${dec})) * power(sin(radians(t.ra - ${ra}) / 2), 2)))))`;
      where.push('t.ra IS NOT NULL AND t.dec IS NOT NULL', `${distance} <= ${radius}`);
      order = { inner: `${distance}, t.id`, outer: 'page.distance, page.id' };
    }
    const condition = where.join(' AND ');
    const extras = options.pageExtras ? `, (${listsSql(visible.sql)}) AS lists, ${unreadCountSql(`$${params.push(user.id)}`)} AS "unreadNotifications"` : '';
    // The count needs no owner join and no ordering; the page is an index range of (name, id) without a cone.
    const {
      rows: [row],
    } = await preparedQuery<Record<string, any>>(
      this.targets.manager,
      `SELECT (SELECT count(*)::int FROM targets t WHERE ${condition}) AS total,
              (SELECT coalesce(json_agg(page ORDER BY ${order.outer}), '[]') FROM (
                 SELECT ${distance} AS distance, ${TARGET_JSON_COLUMNS}
                   FROM targets t LEFT JOIN users o ON o.id = t.owner_id
                  WHERE ${condition} ORDER BY ${order.inner} LIMIT $1 OFFSET $2) page) AS items${extras}`,
      params,
    );
    const items = (row.items as Array<TargetJson & { distance: number | null }>).map((item) => ({
      target: targetFromJson(item),
      distance: search.cone ? Number(item.distance) : null,
    }));
    return { items, total: row.total, ...(options.pageExtras ? { extras: { lists: row.lists, unreadNotifications: row.unreadNotifications } } : {}) };
  }

  /** The target if it exists (404 otherwise) and `user` may see it (403 otherwise). */
  async findVisible(id: number, user: SessionUser): Promise<Target> {
    // One plain query, its row made into the entity here: every page about a target asks, and a query builder's
    // SQL and hydration cost more than the query.
    const [row] = isRowId(id)
      ? (await preparedQuery<TargetJson>(this.targets.manager, `SELECT ${TARGET_JSON_COLUMNS} FROM targets t LEFT JOIN users o ON o.id = t.owner_id WHERE t.id = $1`, [id])).rows
      : [];
    return TargetsService.visibleOrThrow(id, row ? targetFromJson(row) : null, user);
  }

  /** findVisible's answer for a target read elsewhere (null: there is none): the target, or the 404 or 403. */
  static visibleOrThrow(id: number, target: Target | null, user: SessionUser): Target {
    if (!target) throw new NotFoundException(`There is no target with id ${id}`);
    if (!canViewTarget(user, target)) throw new ForbiddenException('This target is private: it is not shared with you');
    return target;
  }

  async findEditable(id: number, user: SessionUser): Promise<Target> {
    const target = await this.findVisible(id, user);
    if (!canEditTarget(user, target)) throw new ForbiddenException("Only the target's owner, their teachers or an admin may change this target");
    return target;
  }

  /** The classes `user` may share with (see sharing/sharing-request.ts). */
  classChoices(user: SessionUser): Promise<ClassChoice[]> {
    return classChoices(this.targets.manager, user);
  }

  className(classroomId: number | null): Promise<string | null> {
    return className(this.targets.manager, classroomId);
  }

  /** Why `user` may not give something this sharing, or null; callers answer 400 with it (sharing/sharing-request.ts). */
  sharingProblem(user: SessionUser, choice: ShareChoice, current?: ShareChoice): Promise<string | null> {
    return sharingProblem(this.targets.manager, user, choice, current);
  }

  /** Field errors for names that clash with another target's name or aliases. */
  async nameClashes(fields: Pick<TargetFields, 'name' | 'aliases'>, exceptId?: number): Promise<Record<string, string>> {
    const errors: Record<string, string> = {};
    const names = [fields.name, ...fields.aliases].map((name) => name.toLowerCase());
    const clashing = await this.targets
      .createQueryBuilder('t')
      .where('t.id <> :exceptId', { exceptId: exceptId ?? -1 })
      .andWhere(
        new Brackets((where) =>
          where
            .where('lower(t.name) IN (:...names)', { names })
            .orWhere('EXISTS (SELECT 1 FROM unnest(t.aliases) AS alias WHERE lower(alias) IN (:...names))', { names }),
        ),
      )
      .getMany();
    for (const other of clashing) {
      const otherNames = [other.name, ...other.aliases].map((name) => name.toLowerCase());
      if (otherNames.includes(fields.name.toLowerCase())) errors.name = `Another target is already called "${fields.name}"`;
      const alias = fields.aliases.find((a) => otherNames.includes(a.toLowerCase()));
      if (alias) errors.aliases = `"${alias}" already names another target`;
    }
    return errors;
  }

  async create(fields: TargetFields, owner: SessionUser): Promise<Target> {
    try {
      return await this.targets.save(this.targets.create({ ...fields, ownerId: owner.id }));
    } catch (error) {
      throw this.translateUniqueViolation(error, fields.name);
    }
  }

  async update(target: Target, fields: TargetFields): Promise<Target> {
    try {
      Object.assign(target, fields);
      return await this.targets.save(target);
    } catch (error) {
      throw this.translateUniqueViolation(error, fields.name);
    }
  }

  async remove(target: Target): Promise<void> {
    await this.targets.remove(target);
  }

  // Lists ------------------------------------------------------------------------------------------------------

  /** Every target list by name, each with how many of its targets `user` may see (the others are not counted). */
  allLists(user: SessionUser): Promise<TargetListSummary[]> {
    const visible = visibleCondition(user, ownedColumns('t'), 1);
    return this.lists.query(`SELECT l.id, l.name, ${listCountSql(visible.sql)} AS "targetCount" FROM target_lists l ORDER BY l.name, l.id`, visible.params);
  }

  async findList(id: number): Promise<TargetList> {
    const list = isRowId(id) ? await this.lists.findOne({ where: { id } }) : null;
    if (!list) throw new NotFoundException(`There is no target list with id ${id}`);
    return list;
  }

  /** A new list; its name by the text rule (common/text.ts), so "L" and "L" + U+FEFF are the same name. */
  async createList(rawName: unknown): Promise<TargetList> {
    const name = textOrThrow(rawName, 'listName', { required: true });
    if (await this.lists.exist({ where: { name } })) throw new ConflictException(`A target list called "${name}" exists already`);
    return this.lists.save(this.lists.create({ name, targets: [] }));
  }

  /** Adds the targets `user` may see to the list; returns how many were new to it. */
  async addToList(list: TargetList, targetIds: number[], user: SessionUser): Promise<number> {
    let added = 0;
    for (const id of targetIds) {
      const target = await this.findVisible(id, user);
      const result = await this.lists.query(
        'INSERT INTO target_list_targets (target_list_id, target_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING target_id',
        [list.id, target.id],
      );
      added += result.length;
    }
    return added;
  }

  async removeFromList(list: TargetList, targetId: number): Promise<void> {
    await this.lists.createQueryBuilder().relation(TargetList, 'targets').of(list).remove(targetId);
  }

  async deleteList(list: TargetList): Promise<void> {
    await this.lists.remove(list);
  }

  private translateUniqueViolation(error: unknown, name: string): unknown {
    if ((error as { code?: string }).code === '23505') return new ConflictException(`Another target is already called "${name}"`);
    return error;
  }
}

export interface TargetListSummary {
  id: number;
  name: string;
  targetCount: number;
}

/** How many of list `l`'s targets pass `visibleSql` (the sharing policy's condition on targets `t`). */
const listCountSql = (visibleSql: string) =>
  `(SELECT count(*)::int FROM target_list_targets m JOIN targets t ON t.id = m.target_id WHERE m.target_list_id = l.id AND ${visibleSql})`;

/** Every target list by name with its visible targets counted (allLists), as one JSON value. */
const listsSql = (visibleSql: string) =>
  `SELECT coalesce(json_agg(json_build_object('id', l.id, 'name', l.name, 'targetCount', ${listCountSql(visibleSql)}) ORDER BY l.name, l.id), '[]') FROM target_lists l`;

/** A target `t` and its owner `o` (the columns the entities load; no password hash), named as targetFromJson reads them. */
export const TARGET_JSON_COLUMNS = `t.id, t.name, t.aliases, t.type, t.ra, t.dec, t.epoch, t.pm_ra AS "pmRa", t.pm_dec AS "pmDec", t.scheme,
  t.elements, t.extra, t.visibility, t.classroom_id AS "classroomId", t.owner_id AS "ownerId", t.created_at AS "createdAt",
  t.updated_at AS "updatedAt", o.username AS "ownerUsername", o.role AS "ownerRole", o.display_name AS "ownerDisplayName",
  o.active AS "ownerActive", o.must_change_password AS "ownerMustChangePassword", o.email AS "ownerEmail",
  o.deactivated_at AS "ownerDeactivatedAt", o.created_at AS "ownerCreatedAt"`;

export type TargetJson = Omit<Target, 'owner' | 'classroom' | 'createdAt' | 'updatedAt'> & {
  createdAt: string | Date;
  updatedAt: string | Date;
  ownerUsername: string | null;
  ownerRole: User['role'];
  ownerDisplayName: string | null;
  ownerActive: boolean;
  ownerMustChangePassword: boolean;
  ownerEmail: string | null;
  ownerDeactivatedAt: string | Date | null;
  ownerCreatedAt: string | Date;
};

/** The entities from a row of TARGET_JSON_COLUMNS, as a plain row or inside JSON (dates then come as text). */
export function targetFromJson(row: TargetJson): Target {
  const target = Object.assign(new Target(), {
    id: row.id,
    name: row.name,
    aliases: row.aliases,
    type: row.type,
    ra: row.ra,
    dec: row.dec,
    epoch: row.epoch,
    pmRa: row.pmRa,
    pmDec: row.pmDec,
    scheme: row.scheme,
    elements: row.elements,
    extra: row.extra,
    visibility: row.visibility,
    classroomId: row.classroomId,
    ownerId: row.ownerId,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    owner: null as User | null,
  });
  if (row.ownerId !== null && row.ownerUsername !== null) {
    target.owner = Object.assign(new User(), {
      id: row.ownerId,
      username: row.ownerUsername,
      role: row.ownerRole,
      displayName: row.ownerDisplayName,
      active: row.ownerActive,
      mustChangePassword: row.ownerMustChangePassword,
      email: row.ownerEmail,
      deactivatedAt: row.ownerDeactivatedAt === null ? null : new Date(row.ownerDeactivatedAt),
      createdAt: new Date(row.ownerCreatedAt),
    });
  }
  return target;
}
