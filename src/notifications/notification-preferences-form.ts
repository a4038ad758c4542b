import { BadRequestException } from '@nestjs/common';
import { quoted } from '../common/request-parsing';
import { NOTIFICATION_KINDS, NotificationKind } from './notification-kinds';
import type { NotificationPreferenceChoices } from './notifications.service';

/** The form's checkbox for a kind: `portal:run-ended`, `email:run-ended`. */
export const preferenceField = (channel: 'portal' | 'email', kind: NotificationKind) => `${channel}:${kind}`;

const FIELDS = new Set(NOTIFICATION_KINDS.flatMap((kind) => [preferenceField('portal', kind), preferenceField('email', kind)]));
/** What a ticked checkbox sends (`on`), or `true` in JSON. */
const TICKED = new Set<unknown>(['on', 'true', '1', true]);

/**
 * The profile's notification choices from its form: one checkbox per kind and channel, ticked (`on`) or absent
 * (off). All or nothing: a field the form does not have, or a value a checkbox does not send, is a 400 naming it,
 * and nothing is stored. Pure.
 */
export function parsePreferenceForm(body: unknown): NotificationPreferenceChoices {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('The form cannot be read');
  const fields = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) {
    if (name === '_csrf') continue;
    if (!FIELDS.has(name)) throw new BadRequestException(`The notifications form has no field ${quoted(name)}`);
    if (!TICKED.has(value)) throw new BadRequestException(`The field ${quoted(name)} is a checkbox: ticked ("on") or left out, not ${quoted(value)}`);
  }
  const ticked = (name: string) => Object.prototype.hasOwnProperty.call(fields, name);
  return Object.fromEntries(
    NOTIFICATION_KINDS.map((kind) => [kind, { inPortal: ticked(preferenceField('portal', kind)), byEmail: ticked(preferenceField('email', kind)) }]),
  ) as NotificationPreferenceChoices;
}
