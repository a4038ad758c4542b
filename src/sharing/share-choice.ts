import { Owned, Visibility } from './visibility';

/**
 * How forms name a sharing choice. Pages use one select whose values are `private`, `public` or `class:<id>`, so
 * a class can only be chosen together with "class"; the JSON API sends `visibility` and `classroomId` apart. Both
 * come through parseShareChoice. Pure: no framework imports.
 */
export type ShareChoice = Pick<Owned, 'visibility' | 'classroomId'>;

export interface ClassChoice {
  id: number;
  name: string;
}

const CLASS_VALUE = /^class:(\d{1,9})$/;

/** The select's value for a choice. */
export function shareValue(choice: ShareChoice): string {
  return choice.visibility === 'class' && choice.classroomId !== null ? `class:${choice.classroomId}` : choice.visibility;
}

function classId(raw: unknown): number | null | 'bad' {
  if (raw === undefined || raw === null || raw === '') return null;
  const text = String(raw).trim();
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) return 'bad';
  return Number(text);
}

/**
 * Reads a sharing choice: `visibility` is private | class | public | class:<id>, and `classroomId` names the class
 * when `visibility` is plain "class". Whether the user may share with that class is the policy's question
 * (sharingRefusal), asked by the caller.
 */
export function parseShareChoice(visibility: unknown, classroomId?: unknown): { choice: ShareChoice } | { error: string } {
  const text = typeof visibility === 'string' ? visibility.trim() : '';
  const combined = CLASS_VALUE.exec(text);
  if (combined) return { choice: { visibility: 'class', classroomId: Number(combined[1]) } };
  if (text === 'private' || text === 'public') return { choice: { visibility: text, classroomId: null } };
  if (text !== 'class') return { error: 'Choose who may see it: private, a class, or public' };
  const id = classId(classroomId);
  if (id === 'bad') return { error: 'The class must be given by its id, a whole number' };
  if (id === null) return { error: 'Choose the class to share with' };
  return { choice: { visibility: 'class', classroomId: id } };
}

const LABELS: Record<Exclude<Visibility, 'class'>, string> = {
  private: 'Private: the owner and their teachers',
  public: 'Public: everyone logged in',
};

export interface ShareOption {
  value: string;
  label: string;
  selected: boolean;
}

/**
 * The options of a "who may see it" select: private, each of `classes`, public; `current` is selected. A class the
 * current choice names but that is not among `classes` (a teacher editing a student's work) is offered too, so
 * saving other fields keeps it.
 */
export function shareOptions(classes: readonly ClassChoice[], current: ShareChoice | null, currentClassName?: string | null): ShareOption[] {
  const selected = current ? shareValue(current) : null;
  const listed = [...classes];
  if (current?.visibility === 'class' && current.classroomId !== null && !listed.some((c) => c.id === current.classroomId)) {
    listed.push({ id: current.classroomId, name: currentClassName ?? `class ${current.classroomId}` });
  }
  return [
    { value: 'private', label: LABELS.private, selected: selected === 'private' },
    ...listed.map((c) => ({ value: `class:${c.id}`, label: `Class: ${c.name}`, selected: selected === `class:${c.id}` })),
    { value: 'public', label: LABELS.public, selected: selected === 'public' },
  ];
}

export const sameShare = (a: ShareChoice, b: ShareChoice) => a.visibility === b.visibility && (a.visibility !== 'class' || a.classroomId === b.classroomId);
