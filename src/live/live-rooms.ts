import { createHash } from 'node:crypto';

/**
 * The Socket.IO rooms every logged-in socket joins when it connects, so that any process can end a user's (or one
 * session's) live connections through the Redis adapter without knowing which web process holds them.
 */
export const userRoom = (userId: string) => `user:${userId}`;

/**
 * A session's room, named by a digest of the session id: room names travel through Redis in the adapter's messages,
 * and a session id there would be a login for whoever reads them.
 */
export const sessionRoom = (sessionId: string) => `session:${createHash('sha256').update(sessionId).digest('base64url').slice(0, 32)}`;
