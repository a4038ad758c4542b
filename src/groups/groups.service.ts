import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { textOrThrow } from '../common/text-input';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { canChange, canView, changeableWhere, ownedColumns, visibleWhere } from '../sharing/sharing-policy';
import { Owned, Visibility } from '../sharing/visibility';
import { SessionUser } from '../users/user.entity';
import { DataProductGroup } from './data-product-group.entity';
import { ShareOption } from '../sharing/share-choice';
import { checkedSharing, sharingChoices, sharingLabel } from '../sharing/sharing-request';
import { isRowId } from '../common/request-parsing';

export interface GroupSummary {
  id: number;
  name: string;
  /** The products in the group that the viewer may see. */
  productCount: number;
  createdAt: Date;
  createdBy: string | null;
  visibility: Visibility;
  classroomId: number | null;
}

/** What may change about a group at once (the API's PATCH): its name and its sharing. */
export interface GroupChanges {
  name?: unknown;
  visibility?: unknown;
  classroomId?: unknown;
}


/**
 * Groups of data products. A group has an owner (who made it) and a sharing of its own; who may see it and who
 * may change it is the sharing policy's answer, and inside a group a viewer sees only the products the policy
 * lets them see (a group shared with a class does not share the private products in it).
 */
@Injectable()
export class GroupsService {
  constructor(
    @InjectRepository(DataProductGroup) private readonly groups: Repository<DataProductGroup>,
    private readonly products: DataProductsService,
  ) {}

  /** A group as the sharing policy sees it. */
  static owned(group: Pick<DataProductGroup, 'createdById' | 'visibility' | 'classroomId'>): Owned {
    return { ownerId: group.createdById, visibility: group.visibility, classroomId: group.classroomId };
  }

  /** A product as the sharing policy sees it. */
  static ownedProduct(product: Pick<DataProduct, 'uploadedById' | 'visibility' | 'classroomId'>): Owned {
    return { ownerId: product.uploadedById, visibility: product.visibility, classroomId: product.classroomId };
  }

  /** One page of the groups `user` may see, newest first, with the count of their products `user` may see. */
  async page(user: SessionUser, page: { limit: number; offset: number }): Promise<{ items: GroupSummary[]; total: number }> {
    const groupVisible = visibleWhere(user, ownedColumns('g', 'created_by_id'), 'groupViewer');
    const productVisible = visibleWhere(user, ownedColumns('p', 'uploaded_by_id'), 'productViewer');
    const [total, rows] = await Promise.all([
      this.groups.createQueryBuilder('g').where(groupVisible.sql, groupVisible.params).getCount(),
      this.groups
        .createQueryBuilder('g')
        .leftJoin('g.createdBy', 'creator')
        .select(['g.id AS id', 'g.name AS name', 'g.created_at AS "createdAt"', 'creator.username AS "createdBy"'])
        .addSelect(['g.visibility AS visibility', 'g.classroom_id AS "classroomId"'])
        .addSelect(
          `(SELECT count(*) FROM data_product_group_members m JOIN data_products p ON p.id = m.data_product_id
             WHERE m.group_id = g.id AND ${productVisible.sql})`,
          'productCount',
        )
        .where(groupVisible.sql, groupVisible.params)
        .setParameters(productVisible.params)
        .orderBy('g.created_at', 'DESC')
        .addOrderBy('g.id', 'DESC')
        .offset(page.offset)
        .limit(page.limit)
        .getRawMany(),
    ]);
    return { items: rows.map((row) => ({ ...row, productCount: Number(row.productCount) })), total };
  }

  /**
   * The groups `user` may add products to (the ones they may change), newest first, by id and name only: the
   * "add ticked to" choice on the target page and the gallery.
   */
  async choices(user: SessionUser): Promise<Array<{ id: number; name: string }>> {
    const changeable = changeableWhere(user, 'g.created_by_id');
    return this.groups
      .createQueryBuilder('g')
      .select(['g.id AS id', 'g.name AS name'])
      .where(changeable.sql, changeable.params)
      .orderBy('g.created_at', 'DESC')
      .addOrderBy('g.id', 'DESC')
      .getRawMany();
  }

  /** The groups `user` may see that hold any of the given products, with their member ids (for "select by group"). */
  async groupsOfProducts(productIds: number[], user: SessionUser): Promise<Array<{ id: number; name: string; productIds: number[] }>> {
    if (!productIds.length) return [];
    const visible = visibleWhere(user, ownedColumns('g', 'created_by_id'), 'groupViewer');
    const rows: Array<{ id: number; name: string; product_id: number }> = await this.groups
      .createQueryBuilder('g')
      .innerJoin('data_product_group_members', 'm', 'm.group_id = g.id')
      .select(['g.id AS id', 'g.name AS name', 'm.data_product_id AS product_id'])
      .where('m.data_product_id = ANY(:productIds)', { productIds })
      .andWhere(visible.sql, visible.params)
      .orderBy('g.name')
      .getRawMany();
    const byGroup = new Map<number, { id: number; name: string; productIds: number[] }>();
    for (const row of rows) {
      const group = byGroup.get(row.id) ?? { id: row.id, name: row.name, productIds: [] };
      group.productIds.push(Number(row.product_id));
      byGroup.set(row.id, group);
    }
    return [...byGroup.values()];
  }

  /** The group with all its products, whoever asks: for code that checks the policy itself. 404 when missing. */
  async find(id: number): Promise<DataProductGroup> {
    const group = isRowId(id)
      ? await this.groups.findOne({ where: { id }, relations: { products: { target: true }, createdBy: true } })
      : null;
    if (!group) throw new NotFoundException(`There is no group with id ${id}`);
    return group;
  }

  /** The group if `user` may see it (403 otherwise), with only the products in it that `user` may see. */
  async findForViewer(id: number, user: SessionUser): Promise<DataProductGroup> {
    const group = await this.find(id);
    if (!canView(user, GroupsService.owned(group))) throw new ForbiddenException('This group is not shared with you');
    group.products = group.products
      .filter((product) => canView(user, GroupsService.ownedProduct(product)))
      .sort((a, b) => a.targetId - b.targetId || a.createdAt.getTime() - b.createdAt.getTime());
    return group;
  }

  /** The group if `user` may change it: 404 when missing, 403 when they may not see it or not change it. */
  async findChangeable(id: number, user: SessionUser): Promise<DataProductGroup> {
    const group = await this.find(id);
    if (!canView(user, GroupsService.owned(group))) throw new ForbiddenException('This group is not shared with you');
    if (!canChange(user, GroupsService.owned(group))) {
      throw new ForbiddenException('Only the student who made this group, their teacher or an admin may change it');
    }
    return group;
  }

  /** Whether `user` may rename, fill, empty, share or delete the group. */
  static canManage(group: Pick<DataProductGroup, 'createdById'>, user: SessionUser): boolean {
    return canChange(user, { ownerId: group.createdById });
  }

  /**
   * A new group of products `user` may see, owned by `user`. Private (its maker and their teachers) unless
   * `sharing` says otherwise: sharing is a separate, deliberate step.
   */
  async create(name: string, productIds: number[], user: SessionUser, sharing?: { visibility: unknown; classroomId?: unknown }): Promise<DataProductGroup> {
    const cleanName = GroupsService.validName(name);
    if (!productIds.length) throw new BadRequestException('Tick at least one data product for the new group');
    const checked = sharing ? await checkedSharing(this.groups.manager, user, sharing) : { visibility: 'private' as const, classroomId: null };
    const products = await this.products.findManyVisible(productIds, user);
    if (await this.groups.exist({ where: { name: cleanName, createdById: user.id } })) {
      throw new ConflictException(`You already have a group called "${cleanName}"; add to it instead`);
    }
    return this.groups.save(this.groups.create({ name: cleanName, products, createdById: user.id, ...checked }));
  }

  /** Adds products `user` may see (those not already in the group) to a group `user` may change. */
  async add(groupId: number, productIds: number[], user: SessionUser): Promise<{ group: DataProductGroup; added: number }> {
    if (!productIds.length) throw new BadRequestException('Tick at least one data product to add to the group');
    const group = await this.findChangeable(groupId, user);
    const products: DataProduct[] = await this.products.findManyVisible(productIds, user);
    const present = new Set(group.products.map((product) => product.id));
    const fresh = products.filter((product) => !present.has(product.id));
    if (fresh.length) {
      await this.groups.createQueryBuilder().relation(DataProductGroup, 'products').of(group).add(fresh.map((p) => p.id));
    }
    return { group, added: fresh.length };
  }

  /** Takes a product out of a group `user` may change (the product stays). */
  async removeProduct(groupId: number, productId: number | undefined, user: SessionUser): Promise<DataProductGroup> {
    const group = await this.findChangeable(groupId, user);
    if (productId === undefined || !group.products.some((product) => product.id === productId)) {
      throw new BadRequestException('That data product is not in this group');
    }
    await this.groups.createQueryBuilder().relation(DataProductGroup, 'products').of(group).remove(productId);
    return group;
  }

  /** Renames and/or shares a group `user` may change, all or nothing; the sharing is checked by the policy. */
  async update(groupId: number, user: SessionUser, changes: GroupChanges): Promise<DataProductGroup> {
    const group = await this.findChangeable(groupId, user);
    const values: Partial<Pick<DataProductGroup, 'name' | 'visibility' | 'classroomId'>> = {};
    if (changes.name !== undefined) {
      values.name = GroupsService.validName(changes.name);
      if (values.name !== group.name && (await this.groups.exist({ where: { name: values.name, createdById: group.createdById ?? IsNull() } }))) {
        throw new ConflictException(`${group.createdById === user.id ? 'You already have' : 'Its owner already has'} a group called "${values.name}"`);
      }
    }
    if (changes.visibility !== undefined || changes.classroomId !== undefined) {
      const request = { visibility: changes.visibility ?? group.visibility, classroomId: changes.classroomId };
      Object.assign(values, await checkedSharing(this.groups.manager, user, request, group));
    }
    if (Object.keys(values).length) await this.groups.update({ id: group.id }, values);
    return Object.assign(group, values);
  }

  /** Deletes a group `user` may change (not its products). */
  async deleteAs(groupId: number, user: SessionUser): Promise<DataProductGroup> {
    const group = await this.findChangeable(groupId, user);
    await this.groups.remove(group);
    return group;
  }

  /** The group page's sharing select. */
  sharingChoices(user: SessionUser, group: DataProductGroup): Promise<ShareOption[]> {
    return sharingChoices(this.groups.manager, user, group);
  }

  /** Whom the group is shared with, in words. */
  sharingLabel(group: Pick<DataProductGroup, 'visibility' | 'classroomId'>): Promise<string> {
    return sharingLabel(this.groups.manager, group);
  }

  /** The name by the text rule (common/text.ts): NFC, no invisible characters, so "G" and "G" + U+200B clash. */
  static validName(name: unknown): string {
    return textOrThrow(name, 'groupName', { required: true });
  }
}
