import { BadRequestException } from '@nestjs/common';
import { parseShareChoice, ShareChoice } from '../../sharing/share-choice';

/**
 * A sharing choice from a page form or the API: `visibility` (private | class | public, or the page select's
 * class:<id>) and `classroomId`. With `optional`, nothing chosen is null (an upload then takes its default);
 * anything unreadable is a 400 naming the problem.
 */
export function shareChoiceOf(visibility: unknown, classroomId: unknown, optional: true): ShareChoice | null;
export function shareChoiceOf(visibility: unknown, classroomId: unknown): ShareChoice;
export function shareChoiceOf(visibility: unknown, classroomId: unknown, optional = false): ShareChoice | null {
  if (optional && (visibility === undefined || visibility === null || visibility === '')) return null;
  const parsed = parseShareChoice(visibility, classroomId);
  if ('error' in parsed) throw new BadRequestException({ message: parsed.error, errors: { visibility: [parsed.error] } });
  return parsed.choice;
}
