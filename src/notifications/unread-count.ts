/**
 * The header bell's count: a user's unread notifications, as a SQL expression over the placeholder of their id.
 * Pure, so a page's own statement may read the count with its data (then it sets `unreadNotifications` in its view
 * model and UnreadCountMiddleware does not ask again).
 */
export const unreadCountSql = (userPlaceholder: string) =>
  `(SELECT count(*)::int FROM notifications n WHERE n.user_id = ${userPlaceholder}::uuid AND n.read_at IS NULL)`;

/** The view model's (and res.locals') name for the count, read by layout.hbs. */
export const UNREAD_COUNT_LOCAL = 'unreadNotifications';
