import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { hasControlCharacters } from '../common/text';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { SessionUser } from '../users/user.entity';
import { DataProductGroup } from './data-product-group.entity';

export interface GroupSummary {
  id: number;
  name: string;
  productCount: number;
  createdAt: Date;
  createdBy: string | null;
}

@Injectable()
export class GroupsService {
  constructor(
    @InjectRepository(DataProductGroup) private readonly groups: Repository<DataProductGroup>,
    private readonly products: DataProductsService,
  ) {}

  /** Groups holding at least one product `user` may see (or empty groups), newest first. */
  async list(user: SessionUser): Promise<GroupSummary[]> {
    const rows = await this.listQuery(user).getRawMany();
    return rows.map((row) => ({ ...row, productCount: Number(row.productCount) }));
  }

  /** One page of `list`, and how many groups it has in all. */
  async page(user: SessionUser, page: { limit: number; offset: number }): Promise<{ items: GroupSummary[]; total: number }> {
    const query = this.listQuery(user);
    const [sql, parameters] = query.getQueryAndParameters();
    const [{ count }] = await this.groups.query(`SELECT count(*)::int AS count FROM (${sql}) AS listed`, parameters);
    const rows = await query.addOrderBy('g.id', 'DESC').offset(page.offset).limit(page.limit).getRawMany();
    return { items: rows.map((row) => ({ ...row, productCount: Number(row.productCount) })), total: count };
  }

  /**
   * The groups `user` may add products to, newest first, by id and name only (the "add ticked to" choice on the
   * target page and gallery): the groups `list` shows, without counting every group's products on each page.
   */
  async choices(user: SessionUser): Promise<Array<{ id: number; name: string }>> {
    if (user.role === 'teacher') return this.groups.query('SELECT id, name FROM data_product_groups ORDER BY created_at DESC, id DESC');
    return this.groups.query(
      `SELECT g.id, g.name FROM data_product_groups g
        WHERE g.created_by_id = $1
           OR EXISTS (SELECT 1 FROM data_product_group_members m JOIN data_products p ON p.id = m.data_product_id
                        JOIN targets t ON t.id = p.target_id
                       WHERE m.group_id = g.id AND (t.visibility = 'public' OR t.owner_id = $1))
        ORDER BY g.created_at DESC, g.id DESC`,
      [user.id],
    );
  }

  private listQuery(user: SessionUser) {
    const query = this.groups
      .createQueryBuilder('g')
      .leftJoin('g.createdBy', 'creator')
      .leftJoin('data_product_group_members', 'm', 'm.group_id = g.id')
      .leftJoin('data_products', 'p', 'p.id = m.data_product_id')
      .leftJoin('targets', 't', 't.id = p.target_id')
      .select(['g.id AS id', 'g.name AS name', 'g.created_at AS "createdAt"', 'creator.username AS "createdBy"'])
      .addSelect('COUNT(p.id)', 'productCount')
      .groupBy('g.id')
      .addGroupBy('creator.username')
      .orderBy('g.created_at', 'DESC');
    if (user.role !== 'teacher') {
      // Count only visible products; show a group if it has one, or if the student made it.
      query
        .andWhere("(t.id IS NULL OR t.visibility = 'public' OR t.owner_id = :viewerId)", { viewerId: user.id })
        .having('COUNT(p.id) > 0 OR g.created_by_id = :viewerId', { viewerId: user.id });
    }
    return query;
  }

  /** Groups containing any of the given products, with their member ids (for "select by group"). */
  async groupsOfProducts(productIds: number[]): Promise<Array<{ id: number; name: string; productIds: number[] }>> {
    if (!productIds.length) return [];
    const rows: Array<{ id: number; name: string; product_id: number }> = await this.groups.query(
      `SELECT g.id, g.name, m.data_product_id AS product_id
         FROM data_product_groups g JOIN data_product_group_members m ON m.group_id = g.id
        WHERE m.data_product_id = ANY($1) ORDER BY g.name`,
      [productIds],
    );
    const byGroup = new Map<number, { id: number; name: string; productIds: number[] }>();
    for (const row of rows) {
      const group = byGroup.get(row.id) ?? { id: row.id, name: row.name, productIds: [] };
      group.productIds.push(Number(row.product_id));
      byGroup.set(row.id, group);
    }
    return [...byGroup.values()];
  }

  async find(id: number): Promise<DataProductGroup> {
    const group = Number.isSafeInteger(id)
      ? await this.groups.findOne({ where: { id }, relations: { products: { target: true }, createdBy: true } })
      : null;
    if (!group) throw new NotFoundException(`There is no group with id ${id}`);
    return group;
  }

  /** The group with only the products `user` may see. */
  async findForViewer(id: number, user: SessionUser): Promise<DataProductGroup> {
    const group = await this.find(id);
    group.products = group.products
      .filter((product) => user.role === 'teacher' || product.target.visibility === 'public' || product.target.ownerId === user.id)
      .sort((a, b) => a.targetId - b.targetId || a.createdAt.getTime() - b.createdAt.getTime());
    return group;
  }

  async create(name: string, productIds: number[], user: SessionUser): Promise<DataProductGroup> {
    const cleanName = GroupsService.validName(name);
    if (!productIds.length) throw new BadRequestException('Tick at least one data product for the new group');
    const products = await this.products.findManyVisible(productIds, user);
    if (await this.groups.exist({ where: { name: cleanName } })) {
      throw new ConflictException(`A group called "${cleanName}" exists already; add to it instead`);
    }
    return this.groups.save(this.groups.create({ name: cleanName, products, createdById: user.id }));
  }

  /** Adds products (those not already in the group); returns how many were added. */
  async add(groupId: number, productIds: number[], user: SessionUser): Promise<{ group: DataProductGroup; added: number }> {
    if (!productIds.length) throw new BadRequestException('Tick at least one data product to add to the group');
    const group = await this.find(groupId);
    const products: DataProduct[] = await this.products.findManyVisible(productIds, user);
    const present = new Set(group.products.map((product) => product.id));
    const fresh = products.filter((product) => !present.has(product.id));
    if (fresh.length) {
      await this.groups.createQueryBuilder().relation(DataProductGroup, 'products').of(group).add(fresh.map((p) => p.id));
    }
    return { group, added: fresh.length };
  }

  async removeProduct(groupId: number, productId: number): Promise<void> {
    const group = await this.find(groupId);
    await this.groups.createQueryBuilder().relation(DataProductGroup, 'products').of(group).remove(productId);
  }

  /** The group's creator and teachers may change or delete it. */
  static canManage(group: Pick<DataProductGroup, 'createdById'>, user: SessionUser): boolean {
    return user.role === 'teacher' || group.createdById === user.id;
  }

  /** Deletes the group (not its products) if `user` may manage it. */
  async deleteAs(groupId: number, user: SessionUser): Promise<void> {
    const group = await this.find(groupId);
    if (!GroupsService.canManage(group, user)) throw new ForbiddenException('Only the group creator or a teacher may change this group');
    await this.groups.remove(group);
  }

  async delete(groupId: number): Promise<void> {
    await this.groups.remove(await this.find(groupId));
  }

  static validName(name: unknown): string {
    const clean = String(name ?? '').trim();
    if (!clean || clean.length > 200 || hasControlCharacters(clean)) {
      throw new BadRequestException('A group name of 1 to 200 characters is required');
    }
    return clean;
  }
}

