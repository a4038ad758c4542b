import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository, SelectQueryBuilder } from 'typeorm';
import { searchText } from '../common/text';
import { textOrThrow } from '../common/text-input';
import { ClassChoice, ShareChoice } from '../sharing/share-choice';
import { classChoices, className, sharingProblem } from '../sharing/sharing-request';
import { ownedColumns, visibleCondition, visibleWhere } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';
import { TargetFields } from './dto/target-form';
import { canEditTarget, canViewTarget } from './target-access';
import { TargetList } from './target-list.entity';
import { Target } from './target.entity';
import { isRowId } from '../common/request-parsing';

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

  /** Restricts a query on alias `t` to what `user` may see. */
  static visibleTo(query: SelectQueryBuilder<any>, user: SessionUser, alias = 't'): SelectQueryBuilder<any> {
    const { sql, params } = visibleWhere(user, ownedColumns(alias), `${alias}Viewer`);
    return query.andWhere(sql, params);
  }

  /** One page of a search, and how many targets match in all (/targets and the API's list). */
  async searchPage(user: SessionUser, search: TargetSearch, page: { limit: number; offset: number }): Promise<{ items: TargetWithDistance[]; total: number }> {
    // The count needs no owner join and no ordering; the two queries run side by side on the pool.
    const [total, items] = await Promise.all([
      this.countMatches(user, search),
      // offset/limit rather than skip/take: the only join is many-to-one, so rows are targets one for one.
      this.runSearch(this.searchQuery(user, search).offset(page.offset).limit(page.limit), search),
    ]);
    return { items, total };
  }

  /** How many targets match: count(*) with no owner join and no order (the rows are targets one for one). */
  private async countMatches(user: SessionUser, search: TargetSearch): Promise<number> {
    const row = await this.searchQuery(user, search, false).select('count(*)::int', 'total').orderBy().getRawOne<{ total: number }>();
    return row?.total ?? 0;
  }

  private searchQuery(user: SessionUser, search: TargetSearch, withOwner = true): SelectQueryBuilder<Target> {
    const base = this.targets.createQueryBuilder('t');
    const query = TargetsService.visibleTo(withOwner ? base.leftJoinAndSelect('t.owner', 'owner') : base, user);
    // Cleaned as names are (common/text.ts), so a pasted "M13" + U+200B or a decomposed "é" still finds the target.
    const text = search.text ? searchText(search.text) : '';
    if (text) {
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere(
        new Brackets((where) =>
          where
            .where('t.name ILIKE :pattern', { pattern })
            .orWhere('EXISTS (SELECT 1 FROM unnest(t.aliases) AS alias WHERE alias ILIKE :pattern)', { pattern }),
        ),
      );
    }
    if (search.listId) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM target_list_targets m WHERE m.target_id = t.id AND m.target_list_id = :listId)',
        { listId: search.listId },
      );
    }
    if (search.cone) {
      // Great-circle distance by the haversine formula, stable for small radii.
      const distance = `degrees(2 * asin(least(1, sqrt(
          power(sin(radians(t.dec - :coneDec) / 2), 2) +
          cos(radians(t.dec)) * cos(radians(:coneDec)) * power(sin(radians(t.ra - :coneRa) / 2), 2)))))`;
      query
        .addSelect(distance, 'distance')
        .andWhere('t.ra IS NOT NULL AND t.dec IS NOT NULL')
        .andWhere(`${distance} <= :coneRadius`)
        .setParameters({ coneRa: search.cone.ra, coneDec: search.cone.dec, coneRadius: search.cone.radius })
        .orderBy('distance', 'ASC')
        .addOrderBy('t.id', 'ASC');
    } else {
      query.orderBy('t.name', 'ASC').addOrderBy('t.id', 'ASC');
    }
    return query;
  }

  private async runSearch(query: SelectQueryBuilder<Target>, search: TargetSearch): Promise<TargetWithDistance[]> {
    if (search.cone) {
      const { entities, raw } = await query.getRawAndEntities();
      return entities.map((target, i) => ({ target, distance: Number(raw[i].distance) }));
    }
    const targets = await query.getMany();
    return targets.map((target) => ({ target, distance: null }));
  }

  /** The target if it exists (404 otherwise) and `user` may see it (403 otherwise). */
  async findVisible(id: number, user: SessionUser): Promise<Target> {
    // One query (findOne with a relation makes two: its LIMIT 1 goes through a DISTINCT subquery); every page asks.
    const target = isRowId(id)
      ? await this.targets.createQueryBuilder('t').leftJoinAndSelect('t.owner', 'owner').where('t.id = :id', { id }).getOne()
      : null;
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
  allLists(user: SessionUser): Promise<Array<{ id: number; name: string; targetCount: number }>> {
    const visible = visibleCondition(user, ownedColumns('t'), 1);
    return this.lists.query(
      `SELECT l.id, l.name,
              (SELECT count(*)::int FROM target_list_targets m JOIN targets t ON t.id = m.target_id
                WHERE m.target_list_id = l.id AND ${visible.sql}) AS "targetCount"
         FROM target_lists l ORDER BY l.name, l.id`,
      visible.params,
    );
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
