/**
 * The header bell's count: a user's unread notifications, as a SQL expression over the placeholder of their id.
 * Pure, so a page's own statement may read the count with its data (then it sets `unreadNotifications` in its view
 * model and UnreadCountMiddleware does not ask again).
 */
export const unreadCountSql = (userPlaceholder: string) =>
  `(SELECT count(*)::int FROM (SELECT 1 FROM notifications n WHERE n.user_id = ${userPlaceholder}::uuid AND n.read_at IS NULL LIMIT ${BELL_COUNT_LIMIT}) unread)`;

/**
 * The bell counts up to this many (it shows "99+" from 100): the count is read on every page and with every new
 * notification, and counting all of a user's unread ones grew with them (thousands for a student who never reads
 * them). /notifications says the exact number.
 */
export const BELL_COUNT_LIMIT = 100;

/** The bell's text for a count: "99+" from BELL_COUNT_LIMIT. */
export const bellCount = (count: number) => (count >= BELL_COUNT_LIMIT ? `${BELL_COUNT_LIMIT - 1}+` : String(count));

/** The view model's (and res.locals') name for the count, read by layout.hbs. */
export const UNREAD_COUNT_LOCAL = 'unreadNotifications';
