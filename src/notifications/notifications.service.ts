import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUuid } from '../common/request-parsing';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LiveConnectionsService } from '../live/live-connections.service';
import { notificationEmail } from './notification-email';
import { CleanNotification, cleanNotification, isNotificationKind, NOTIFICATION_KIND_LABELS, NOTIFICATION_KINDS, NotificationEvent, NotificationKind } from './notification-kinds';
import { NotificationMailer } from './notification-mailer';
import { Notification } from './notification.entity';
import { BELL_COUNT_LIMIT, unreadCountSql } from './unread-count';
import { preparedQuery } from '../database/prepared-query';

export type { NotificationEvent, NotificationKind } from './notification-kinds';

/** Socket.IO events to the user's room (their every open page): a new notification, and notifications read. */
export const NOTIFICATION_EVENT = 'notification';
export const NOTIFICATIONS_READ_EVENT = 'notifications-read';

/** What the live events and the API say about one notification. */
export interface NotificationView {
  id: number;
  kind: NotificationKind;
  title: string;
  body: string | null;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

/** A user's choice for one kind, with what the form calls it. */
export interface NotificationPreferenceView {
  kind: NotificationKind;
  label: string;
  inPortal: boolean;
  byEmail: boolean;
}

export type NotificationPreferenceChoices = Record<NotificationKind, { inPortal: boolean; byEmail: boolean }>;

export const notificationView = (row: Notification): NotificationView => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  body: row.body,
  link: row.link,
  createdAt: row.createdAt.toISOString(),
  readAt: row.readAt ? row.readAt.toISOString() : null,
});

/** A recipient as notify() reads them: their address and their choices for the kinds at hand. */
interface Recipient {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  active: boolean;
  /** kind → [in the portal, by email]; kinds without a row are on. */
  choices: Record<string, [boolean, boolean]> | null;
}

/**
 * Notifications: the one writer of `notifications` and `notification_preferences`. notify() is how the rest of
 * the portal tells users what happened (a run of theirs ended, a new assignment, a hand-in, feedback, a due date):
 * it follows each user's choices per kind, stores the in-portal ones, pushes them to the user's open pages through
 * the Socket.IO Redis emitter (any process: the web, a worker, the CLI), and hands the email ones to the mailer,
 * which sends them after this returns. Live events and email are best effort: logged when they fail, never thrown.
 */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly live: LiveConnectionsService,
    private readonly mailer: NotificationMailer,
  ) {}

  /**
   * Tells each event's user, as their choices for its kind say. Unknown users (deleted meanwhile) are skipped; an
   * unknown kind or a user id that is not a UUID is a programming error and throws before anything is stored.
   */
  async notify(events: Array<{ userId: string; kind: NotificationKind; title: string; body?: string; link?: string }>): Promise<void> {
    for (const event of events) {
      if (!isNotificationKind(event.kind)) throw new TypeError(`Unknown notification kind ${JSON.stringify(event.kind)}`);
      if (!isUuid(event.userId)) throw new TypeError(`A notification's userId must be a user's UUID, not ${JSON.stringify(event.userId)}`);
    }
    if (events.length === 0) return;
    const cleaned = events.map((event: NotificationEvent) => cleanNotification(event));
    // One statement: the recipients (those that exist, with their address and their choices for these kinds), and
    // the notifications their choices keep in the portal stored, each with its user's unread count (the CTE's rows
    // are not yet in the table). A run's end notifies from the worker: one round trip and one commit, not two.
    const {
      rows: [answer],
    } = await preparedQuery<{ recipients: Recipient[]; stored: Array<Omit<Notification, 'createdAt'> & { createdAt: string; unreadCount: number }> }>(
      this.dataSource,
      `WITH events AS (
         SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::text[], $5::varchar[]) WITH ORDINALITY AS e(user_id, kind, title, body, link, position)),
       recipients AS (
         SELECT u.id, u.username, u.display_name AS "displayName", u.email, u.active,
                (SELECT json_object_agg(p.kind, json_build_array(p.in_portal, p.by_email)) FROM notification_preferences p
                  WHERE p.user_id = u.id AND p.kind = ANY($2::varchar[])) AS choices
           FROM users u WHERE u.id = ANY($1::uuid[])),
       added AS (
         INSERT INTO notifications (user_id, kind, title, body, link)
         SELECT e.user_id, e.kind, e.title, e.body, e.link FROM events e JOIN recipients r ON r.id = e.user_id
          WHERE coalesce((r.choices -> e.kind ->> 0)::boolean, true)
          ORDER BY e.position
         RETURNING id, user_id, kind, title, body, link, created_at, read_at)
       SELECT (SELECT coalesce(json_agg(r), '[]') FROM recipients r) AS recipients,
              (SELECT coalesce(json_agg(json_build_object(
                        'id', a.id, 'userId', a.user_id, 'kind', a.kind, 'title', a.title, 'body', a.body, 'link', a.link,
                        'createdAt', a.created_at, 'readAt', a.read_at,
                        'unreadCount', least(${unreadCountSql('a.user_id')} + (SELECT count(*) FROM added b WHERE b.user_id = a.user_id)::int, ${BELL_COUNT_LIMIT}))
                      ORDER BY a.id), '[]')
                 FROM added a) AS stored`,
      [cleaned.map((n) => n.userId), cleaned.map((n) => n.kind), cleaned.map((n) => n.title), cleaned.map((n) => n.body), cleaned.map((n) => n.link)],
    );
    const recipients = new Map(answer.recipients.map((recipient) => [recipient.id, recipient]));
    const choice = (notification: CleanNotification): [boolean, boolean] => recipients.get(notification.userId)?.choices?.[notification.kind] ?? [true, true];
    if (answer.stored.length) {
      await this.live.sendToUsers(
        answer.stored.map(({ unreadCount, ...row }) => ({
          userId: row.userId,
          event: NOTIFICATION_EVENT,
          payload: { notification: notificationView({ ...row, createdAt: new Date(row.createdAt) } as Notification), unreadCount },
        })),
      );
    }

    if (!this.mailer.enabled) return;
    for (const notification of cleaned) {
      const recipient = recipients.get(notification.userId);
      if (!recipient?.active || !recipient.email || !choice(notification)[1]) continue;
      this.mailer.send(recipient.id, notificationEmail(notification, { ...recipient, email: recipient.email }, this.config.portalUrl));
    }
  }

  /** How many of the user's notifications are unread, as the bell counts them: up to BELL_COUNT_LIMIT. */
  async unreadCount(user: { id: string }): Promise<number> {
    const {
      rows: [{ n }],
    } = await preparedQuery<{ n: number }>(this.dataSource, `SELECT ${unreadCountSql('$1')} AS n`, [user.id]);
    return n;
  }

  /** How many of the user's notifications are unread, all of them (/notifications says it). */
  async exactUnreadCount(user: { id: string }): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.dataSource.query(`SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL`, [user.id]);
    return n;
  }

  /** A page of the user's notifications, newest first (only the unread ones with `unread`), and how many match. */
  async list(user: { id: string }, page: { limit: number; offset: number; unread?: boolean }): Promise<{ items: Notification[]; total: number }> {
    const query = this.dataSource.getRepository(Notification).createQueryBuilder('n').where('n.user_id = :userId', { userId: user.id });
    if (page.unread) query.andWhere('n.read_at IS NULL');
    const [items, total] = await query.orderBy('n.id', 'DESC').offset(page.offset).limit(page.limit).getManyAndCount();
    return { items, total };
  }

  /**
   * Marks the user's notifications read: those of `ids` (others' ids, and ids of nothing, are passed over) or all.
   * Their other open pages hear of it, so every bell shows the same count. Returns how many changed.
   */
  async markRead(user: { id: string }, ids: number[] | 'all'): Promise<{ marked: number; unreadCount: number }> {
    if (ids !== 'all' && ids.length === 0) return { marked: 0, unreadCount: await this.unreadCount(user) };
    const [rows]: [Array<{ id: number }>, number] = await this.dataSource.query(
      `UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL ${ids === 'all' ? '' : 'AND id = ANY($2::int[])'} RETURNING id`,
      ids === 'all' ? [user.id] : [user.id, ids],
    );
    const unreadCount = await this.unreadCount(user);
    if (rows.length) {
      await this.live.sendToUsers([{ userId: user.id, event: NOTIFICATIONS_READ_EVENT, payload: { ids: rows.map((row) => row.id), unreadCount } }]);
    }
    return { marked: rows.length, unreadCount };
  }

  /**
   * Marks one of the user's notifications read and returns it (the page's "open": read, then on to its link);
   * null when the user has no notification `id`.
   */
  async open(user: { id: string }, id: number): Promise<Notification | null> {
    const notification = await this.dataSource.getRepository(Notification).findOne({ where: { id, userId: user.id } });
    if (notification && !notification.readAt) await this.markRead(user, [id]);
    return notification;
  }

  /** The user's choice for every kind (defaults where they chose nothing). */
  async preferences(user: { id: string }): Promise<NotificationPreferenceView[]> {
    const rows: Array<{ kind: string; inPortal: boolean; byEmail: boolean }> = await this.dataSource.query(
      `SELECT kind, in_portal AS "inPortal", by_email AS "byEmail" FROM notification_preferences WHERE user_id = $1`,
      [user.id],
    );
    const chosen = new Map(rows.map((row) => [row.kind, row]));
    return NOTIFICATION_KINDS.map((kind) => ({
      kind,
      label: NOTIFICATION_KIND_LABELS[kind],
      inPortal: chosen.get(kind)?.inPortal ?? true,
      byEmail: chosen.get(kind)?.byEmail ?? true,
    }));
  }

  /** Stores the user's choice for every kind, in one statement. */
  async setPreferences(user: { id: string }, choices: NotificationPreferenceChoices): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO notification_preferences (user_id, kind, in_portal, by_email)
       SELECT $1, * FROM unnest($2::varchar[], $3::boolean[], $4::boolean[])
       ON CONFLICT (user_id, kind) DO UPDATE SET in_portal = EXCLUDED.in_portal, by_email = EXCLUDED.by_email`,
      [user.id, [...NOTIFICATION_KINDS], NOTIFICATION_KINDS.map((kind) => choices[kind].inPortal), NOTIFICATION_KINDS.map((kind) => choices[kind].byEmail)],
    );
  }
}
