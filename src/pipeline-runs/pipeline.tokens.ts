/** The Redis URL the pipeline services publish and subscribe on. */
export const PIPELINE_REDIS_URL = Symbol('PIPELINE_REDIS_URL');

/**
 * Redis pub/sub channels are shared by every database of one server, so two portals on one Redis (different
 * `/db` numbers, as CI and tests use) would hear each other's log lines and cancels. Prefix every channel with
 * the database number to keep them apart.
 */
export function pubSubPrefix(redisUrl: string): string {
  let db = '0';
  try {
    db = new URL(redisUrl).pathname.replace(/^\//, '') || '0';
  } catch {
    // An unparsable URL fails later, at connect time, with ioredis's own message.
  }
  return `portal:${db}`;
}
