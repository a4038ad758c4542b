/**
 * Who may see an owned object (target, data product, group, run, light-curve point):
 * - `private`: its owner, and the teachers of the classes the owner is a student in;
 * - `class`: the members of one class (its `classroomId`), besides the above;
 * - `public`: everyone logged in.
 */
export const VISIBILITIES = ['private', 'class', 'public'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const isVisibility = (value: unknown): value is Visibility => VISIBILITIES.includes(value as Visibility);

/** What the sharing policy needs to know of an object. */
export interface Owned {
  ownerId: string | null;
  visibility: Visibility;
  classroomId: number | null;
}
