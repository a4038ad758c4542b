import { BadRequestException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ClassChoice, parseShareChoice, sameShare, ShareChoice, ShareOption, shareOptions } from './share-choice';
import { sharingRefusal, Viewer } from './sharing-policy';

/**
 * Why `viewer` may not give something this sharing (the policy's answer, or a class that does not exist), or null.
 * Keeping an object's current sharing is always allowed: a teacher editing a student's work shared with another of
 * the student's classes must not be stopped from fixing a typo.
 */
export async function sharingProblem(manager: EntityManager, viewer: Viewer, choice: ShareChoice, current?: ShareChoice): Promise<string | null> {
  if (current && sameShare(choice, current)) return null;
  const refusal = sharingRefusal(viewer, choice.visibility, choice.classroomId);
  if (refusal) return refusal;
  if (choice.visibility === 'class' && (await className(manager, choice.classroomId)) === null) return `There is no class with id ${choice.classroomId}`;
  return null;
}

/**
 * "Share this with…" for every owned object: the request read (share-choice.ts, the same words as every form and
 * the API), checked by sharingProblem, so a bad request is a 400 with a reason rather than a foreign-key error.
 */
export async function checkedSharing(
  manager: EntityManager,
  viewer: Viewer,
  request: { visibility: unknown; classroomId?: unknown },
  current?: ShareChoice,
): Promise<ShareChoice> {
  const parsed = parseShareChoice(request.visibility, request.classroomId);
  if ('error' in parsed) throw new BadRequestException(parsed.error);
  const problem = await sharingProblem(manager, viewer, parsed.choice, current);
  if (problem) throw new BadRequestException(problem);
  return parsed.choice;
}

/** The classes `viewer` may share with (those they are in), by name. */
export async function classChoices(manager: EntityManager, viewer: Viewer): Promise<ClassChoice[]> {
  if (!viewer.memberOf.length) return [];
  return manager.query('SELECT id, name FROM classrooms WHERE id = ANY($1::int[]) ORDER BY name, id', [[...viewer.memberOf]]);
}

/** The pages' sharing select: private, each class the viewer is in, public; the current setting selected. */
export async function sharingChoices(manager: EntityManager, viewer: Viewer, current: ShareChoice): Promise<ShareOption[]> {
  const classes = await classChoices(manager, viewer);
  const currentClass = current.visibility === 'class' && !classes.some((c) => c.id === current.classroomId) ? await className(manager, current.classroomId) : null;
  return shareOptions(classes, current, currentClass);
}

/** The name of a class, for showing what something is shared with; null when it no longer exists. */
export async function className(manager: EntityManager, classroomId: number | null): Promise<string | null> {
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
