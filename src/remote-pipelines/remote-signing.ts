/**
 * The remote protocol's signatures (pure: node:crypto only). Every request between the portal and a processing
 * service, both ways, carries `X-Portal-Timestamp` (Unix seconds) and `X-Portal-Signature: sha256=<hex>`, the
 * HMAC-SHA256 under the shared secret of `<timestamp>.<raw body>`. Input downloads use URLs signed with a key of
 * the portal's own, valid for a short while.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-portal-timestamp';
export const SIGNATURE_HEADER = 'x-portal-signature';
/** How far a timestamp may be from the portal's clock, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** An HMAC being computed over a timestamp and a body that arrives in pieces. */
export function signer(secret: string, timestamp: string) {
  const hmac = createHmac('sha256', secret).update(`${timestamp}.`);
  return {
    update(chunk: Buffer | string) {
      hmac.update(chunk);
    },
    signature: () => `sha256=${hmac.digest('hex')}`,
  };
}

/** The signature of a whole body. */
export function sign(secret: string, timestamp: string, body: Buffer | string): string {
  const s = signer(secret, timestamp);
  s.update(body);
  return s.signature();
}

/** Headers that sign a request the portal sends (a task, a cancel). */
export function signedHeaders(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return { 'X-Portal-Timestamp': timestamp, 'X-Portal-Signature': sign(secret, timestamp, body) };
}

export function signaturesMatch(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a timestamp is refused, or null: not a whole number of seconds, or more than five minutes off. */
export function timestampProblem(timestamp: string | undefined, now = Date.now()): string | null {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return `${TIMESTAMP_HEADER} must be the time in Unix seconds`;
  const skew = Math.abs(now / 1000 - Number(timestamp));
  return skew > MAX_CLOCK_SKEW_SECONDS ? `${TIMESTAMP_HEADER} is ${Math.round(skew)} s from the portal's clock; at most ${MAX_CLOCK_SKEW_SECONDS} s is accepted` : null;
}

/** The query of an input's download URL: when it expires and its signature under the portal's key. */
export function inputUrlSignature(key: Buffer, runId: number, productId: number, expires: number): string {
  return createHmac('sha256', key).update(`input:${runId}:${productId}:${expires}`).digest('base64url');
}
