import { characterCount, normalizeText, TEXT_RULES } from '../common/text';

/**
 * The kinds of notification, what the preferences form calls them, and how an event's texts and link are made
 * safe to store, show and email. Pure.
 */
export const NOTIFICATION_KINDS = ['run-ended', 'assignment-new', 'hand-in', 'feedback', 'due-soon'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const isNotificationKind = (value: unknown): value is NotificationKind => (NOTIFICATION_KINDS as readonly unknown[]).includes(value);

/** What each kind is, for the preferences form (the sentence after "Tell me when…"). */
export const NOTIFICATION_KIND_LABELS: Record<NotificationKind, string> = {
  'run-ended': 'a pipeline run of mine ends (succeeded, failed or cancelled)',
  'assignment-new': 'a class of mine gets a new assignment',
  'hand-in': 'a student hands in work for an assignment I set',
  feedback: 'a teacher gives feedback on work I handed in',
  'due-soon': 'an assignment of mine is due soon',
};

/** One thing to tell one user: NotificationsService.notify takes a list of these. */
export interface NotificationEvent {
  userId: string;
  kind: NotificationKind;
  title: string;
  body?: string;
  /** A path in the portal, e.g. `/pipeline/12`; anything else is left out. */
  link?: string;
}

/** A notification as stored: its texts cleaned and cut to their limits, its link kept only if it is a portal path. */
export interface CleanNotification {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string | null;
  link: string | null;
}

export const MAX_LINK_LENGTH = 500;

/** `text` cut to `max` characters (code points), with an ellipsis when it was longer. */
function cut(text: string, max: number): string {
  if (characterCount(text) <= max) return text;
  return `${Array.from(text).slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * A portal path: one leading slash (not `//host`, which a browser reads as another site), no backslash, no space
 * or control character, at most MAX_LINK_LENGTH characters. Null otherwise.
 */
export function portalPath(link: unknown): string | null {
  if (typeof link !== 'string') return null;
  const path = link.trim();
  if (!/^\/(?![/\\])[^\s\\\p{Cc}]*$/u.test(path) || path.length > MAX_LINK_LENGTH) return null;
  return path;
}

/**
 * The event as it is stored. Its title and body come from the portal's own code (names of runs, targets,
 * assignments, a teacher's feedback), so nothing is refused: control and bidirectional characters are removed by
 * the text rule (common/text.ts), the body keeps its line breaks, and both are cut to their limits (title 200,
 * body 2,000 characters). An empty title becomes the kind's name.
 */
export function cleanNotification(event: NotificationEvent): CleanNotification {
  const title = normalizeText(String(event.title ?? ''), 'notificationTitle').value ?? '';
  const lines = String(event.body ?? '')
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .split('\n')
    .map((line) => normalizeText(line, 'notificationBody').value ?? '');
  const body = lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return {
    userId: event.userId,
    kind: event.kind,
    title: cut(title || event.kind, TEXT_RULES.notificationTitle.max),
    body: body ? cut(body, TEXT_RULES.notificationBody.max) : null,
    link: portalPath(event.link),
  };
}
