import { BadRequestException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { parseShareChoice, sameShare, ShareChoice, ShareOption, shareOptions } from '../sharing/share-choice';
import { sharingRefusal, Viewer } from '../sharing/sharing-policy';

/**
 * "Share this with…" for groups and runs: the request read (share-choice.ts, the same words as every other form and
 * the API), checked by the policy (sharingRefusal) and against the classes that exist, so a bad request is a 400
 * with a reason rather than a foreign-key error. Keeping the current sharing is always allowed (a teacher changing
 * a student's run shared with another of the student's classes).
 */
export async function checkedSharing(
  manager: EntityManager,
  viewer: Viewer,
  request: { visibility: unknown; classroomId?: unknown },
  current?: ShareChoice,
): Promise<ShareChoice> {
  const parsed = parseShareChoice(request.visibility, request.classroomId);
  if ('error' in parsed) throw new BadRequestException(parsed.error);
  const { choice } = parsed;
  if (current && sameShare(choice, current)) return choice;
  const refusal = sharingRefusal(viewer, choice.visibility, choice.classroomId);
  if (refusal) throw new BadRequestException(refusal);
  if (choice.visibility === 'class') {
    const [found] = await manager.query('SELECT 1 FROM classrooms WHERE id = $1', [choice.classroomId]);
    if (!found) throw new BadRequestException(`There is no class with id ${choice.classroomId}`);
  }
  return choice;
}

/** The pages' sharing select: private, each class the viewer is in, public; the current setting selected. */
export async function sharingChoices(manager: EntityManager, viewer: Viewer, current: ShareChoice): Promise<ShareOption[]> {
  const classes: Array<{ id: number; name: string }> = viewer.memberOf.length
    ? await manager.query('SELECT id, name FROM classrooms WHERE id = ANY($1::int[]) ORDER BY name, id', [[...viewer.memberOf]])
    : [];
  const currentClass = current.visibility === 'class' && !classes.some((c) => c.id === current.classroomId) ? await className(manager, current.classroomId) : null;
  return shareOptions(classes, current, currentClass);
}

async function className(manager: EntityManager, classroomId: number | null): Promise<string | null> {
  if (classroomId === null) return null;
  const [row] = await manager.query('SELECT name FROM classrooms WHERE id = $1', [classroomId]);
  return row?.name ?? null;
}

/** Whom an object is shared with, in words, for pages and flash messages. */
export async function sharingLabel(manager: EntityManager, current: ShareChoice): Promise<string> {
  if (current.visibility === 'public') return 'everyone logged in';
  if (current.visibility === 'private') return 'only its owner and their teachers';
  return `the class ${(await className(manager, current.classroomId)) ?? 'that no longer exists'}`;
}
