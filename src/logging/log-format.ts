/**
 * Pure helpers for the structured logs: which request ids we accept, what a request looks like in the log (no
 * cookies, tokens or CSRF values), and the short one-line form of LOG_FORMAT=text. No pino here, so they are
 * easy to test.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * An incoming X-Request-Id we can repeat in logs and pages as it is, or null: a proxy's id is kept so one
 * request can be followed across services, but anything long or with other characters (spaces, quotes, newlines
 * that could forge log lines) is replaced by our own.
 */
export function saneRequestId(value: unknown): string | null {
  const candidate = Array.isArray(value) ? value[0] : value;
  return typeof candidate === 'string' && SANE_REQUEST_ID.test(candidate) ? candidate : null;
}

export const REDACTED = '[redacted]';
/** Headers that carry credentials: a session cookie, a bearer token, a CSRF token. */
const SECRET_HEADERS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization', 'x-csrf-token']);
/** Query parameters that carry a secret (the multipart upload's `?_csrf=`). */
const SECRET_QUERY_PARAMETERS = new Set(['_csrf', 'token', 'access_token']);

export function redactHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value;
  return out;
}

/** The URL with the values of secret query parameters replaced; the rest of the query is kept as sent. */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const question = url.indexOf('?');
  if (question < 0) return url;
  const query = url
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals < 0 ? pair : pair.slice(0, equals);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: compare the raw name.
      }
      return SECRET_QUERY_PARAMETERS.has(name.toLowerCase()) && equals >= 0 ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, question)}?${query}`;
}

/** The request as logged: method, URL and headers with secrets redacted; no body, no query object. */
export function serializeRequest(req: { id?: unknown; method?: string; url?: string; headers?: Record<string, unknown>; remoteAddress?: string }) {
  return { id: req.id, method: req.method, url: redactUrl(req.url), headers: redactHeaders(req.headers), remoteAddress: req.remoteAddress };
}

/** The response as logged: its status (its headers are ours and the same every time, and one is the session cookie). */
export function serializeResponse(res: { statusCode?: number }) {
  return { statusCode: res.statusCode };
}

// pino's numeric levels.
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One log record (pino's JSON object) as a short line for a person at a terminal:
 * `2026-12-02T06:00:00.000Z INFO  [Portal] message key=value`, a request as `GET /url 200 12ms`, and an error's
 * stack on the following lines.
 */
export function formatTextLine(record: Record<string, any>): string {
  const { level, time, msg, context, pid: _pid, hostname: _hostname, req, res, responseTime, err, stack, requestId, ...rest } = record;
  const when = typeof time === 'number' ? new Date(time).toISOString() : String(time ?? '');
  const levelName = (typeof level === 'number' ? (LEVEL_NAMES[level] ?? String(level)) : String(level ?? '').toUpperCase()).padEnd(5);
  // A newline in a message could pass for a log line of its own: escape it (the stack below is indented instead).
  const text = (typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg)).replace(/\r?\n/g, '\\n');
  let line = `${when} ${levelName} ${context ? `[${context}] ` : ''}${text}`;
  if (req && typeof req === 'object') {
    line += ` ${req.method ?? ''} ${req.url ?? ''}`;
    if (res && typeof res === 'object' && res.statusCode !== undefined) line += ` ${res.statusCode}`;
    if (typeof responseTime === 'number') line += ` ${Math.round(responseTime)}ms`;
  }
  const id = requestId ?? req?.id;
  if (id !== undefined) line += ` requestId=${id}`;
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    line += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  }
  const trace = typeof stack === 'string' ? stack : err && typeof err === 'object' ? (err.stack ?? err.message) : undefined;
  if (trace) line += `\n${String(trace).replace(/^/gm, '    ')}`;
  return `${line}\n`;
}
