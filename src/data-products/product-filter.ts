import { PRODUCT_TYPES, ProductType } from './data-product.entity';

/**
 * The target page's filter of its products table (and gallery): whose products to list among those the viewer may
 * see at all (the sharing policy decides that part, never this filter).
 * - `mine`: the target owner's products and the viewer's own (the default: a target page is about its target);
 * - `class`: also products shared with a class the viewer is in, and a teacher's students' products;
 * - `everyone`: everything the viewer may see.
 * Pure: no framework imports.
 */
export const PRODUCT_SCOPES = ['mine', 'class', 'everyone'] as const;
export type ProductScope = (typeof PRODUCT_SCOPES)[number];

export const SCOPE_LABELS: Record<ProductScope, string> = {
  mine: "The owner's and mine",
  class: 'Also my class',
  everyone: 'Everyone (all I may see)',
};

export interface ProductFilter {
  scope: ProductScope;
  /** Only products of this type; null for all. */
  productType: ProductType | null;
}

export const isProductScope = (value: unknown): value is ProductScope => PRODUCT_SCOPES.includes(value as ProductScope);

/** Reads `?scope=&type=` from a page's query; an unreadable value is the message to show (400). */
export function parseProductFilter(query: Record<string, unknown>, defaultScope: ProductScope): { filter: ProductFilter } | { error: string } {
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : value === undefined ? '' : null);
  const scope = text(query.scope);
  const type = text(query.type);
  if (scope === null || (scope !== '' && !isProductScope(scope))) return { error: `scope must be one of ${PRODUCT_SCOPES.join(', ')}` };
  if (type === null || (type !== '' && !PRODUCT_TYPES.includes(type as ProductType))) return { error: `type must be one of ${PRODUCT_TYPES.join(', ')}` };
  return { filter: { scope: (scope || defaultScope) as ProductScope, productType: (type || null) as ProductType | null } };
}

/** SQL placeholders (already cast) the scope condition reads: the target's owner, the viewer, their students and classes. */
export interface ScopePlaceholders {
  targetOwner: string;
  me: string;
  students: string;
  classes: string;
}

/**
 * The scope as a SQL condition over the products alias `alias`. A product without an owner (an upload from before
 * owners were recorded) counts as the target owner's. It narrows a list already restricted by the policy.
 */
export function scopeCondition(scope: ProductScope, alias: string, p: ScopePlaceholders): string {
  if (scope === 'everyone') return 'TRUE';
  const owner = `${alias}.uploaded_by_id`;
  const mine = `coalesce(${owner}, ${p.targetOwner}) = ${p.targetOwner} OR ${owner} = ${p.me}`;
  if (scope === 'mine') return `(${mine})`;
  return `(${mine} OR ${owner} = ANY(${p.students}) OR (${alias}.visibility = 'class' AND ${alias}.classroom_id = ANY(${p.classes})))`;
}
