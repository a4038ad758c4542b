/**
 * Whether a browser page of `origin` may use this portal's cookie-authenticated channels (the Socket.IO handshake):
 * with `allowed` configured (ALLOWED_ORIGINS), exactly those origins; without, a page served by the host the request
 * was sent to (`hostHeader`; the scheme may differ behind a TLS proxy). "null" (sandboxed frames, file: pages) and
 * anything unreadable are refused. A request without an Origin is not from a browser page (browsers send one on
 * every WebSocket and cross-origin request), so the caller decides about it; the session still decides who it is.
 */
export function originAllowed(origin: string, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (allowed.length > 0) return allowed.includes(url.origin);
  return hostHeader !== undefined && url.host === hostHeader.toLowerCase();
}
