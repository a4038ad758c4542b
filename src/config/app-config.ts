import * as os from 'node:os';
import * as path from 'node:path';
import { LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevelName } from '../logging/log-format';
import { PROJECT_ROOT } from './paths';

export const EMBEDDED_REDIS_KINDS = ['built-in', 'redis-server'] as const;
export type EmbeddedRedisKind = (typeof EMBEDDED_REDIS_KINDS)[number];

/** Every setting the portal reads from the environment, parsed once. */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Empty when the embedded PGlite should be used. */
  databaseUrl: string;
  /** Empty when the embedded Redis-protocol server should be used. */
  redisUrl: string;
  uploadMaxBytes: number;
  sessionSecret: string;
  /** Seed the demo (accounts, M13, the Sun) when the database is empty. */
  seedDemo: boolean;
  cookieSecure: boolean;
  /** The pipeline registry file. */
  pipelinesConfig: string;
  /** Run pipeline jobs inside the web process too (the embedded default always does). */
  inProcessWorker: boolean;
  /** Pipeline jobs one worker process runs at once (servers). */
  pipelineConcurrency: number;
  /** Web processes `npm start` runs on servers, sharing the port (node:cluster); 1: the process itself serves. */
  webProcesses: number;
  /** Pipeline jobs the embedded default's worker process runs at once: PIPELINE_CONCURRENCY, else one per core. */
  embeddedWorkerConcurrency: number;
  /** The embedded default's Redis: the built-in Redis-protocol server, or `redis-server` from PATH. */
  embeddedRedis: EmbeddedRedisKind;
  /** A run still going after this many seconds is stopped and marked failed. */
  pipelineTimeoutSeconds: number;
  /** Events a remote pipeline's service may send per second for one run before it is answered 429. */
  remoteEventsPerSecond: number;
  /** How long a worker's hold on a job lasts without renewal; a dead worker's job is requeued after about this. */
  pipelineLockSeconds: number;
  /**
   * On SIGTERM/SIGINT, how long runs in flight may go on to finish; those still going then are interrupted, their
   * log stored, and queued again for the next worker. 0 interrupts them at once.
   */
  shutdownGraceSeconds: number;
  /** Longest side in pixels of the PNG thumbnail made for every FITS image. */
  thumbnailMaxSide: number;
  /** Pixel budget of one image for thumbnails and previews: larger ones are refused from their header. */
  previewMaxPixels: number;
  /** Worker threads per process that decode and render thumbnails and previews (off the event loop). */
  previewThreads: number;
  /** Pixel budget of one frame read by a pipeline (the builtins, and class pipelines using the SDK's frame reader). */
  pipelineMaxFramePixels: number;
  /** Pixel budget of all the frames one run reads together. */
  pipelineMaxRunPixels: number;
  /** pino's level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: LogLevelName;
  /** `json`: one JSON object per line; `text`: a short line for a person at a terminal. */
  logFormat: LogFormat;
  /** Abuse limits (429 with Retry-After); see ThrottlingModule. */
  throttling: ThrottlingConfig;
  /**
   * Which proxies' X-Forwarded-For to believe, as Express's "trust proxy" takes it: the client address decides the
   * per-address limits, so behind a reverse proxy on another host name it (its address, or a hop count).
   */
  trustProxy: boolean | number | string;
  /**
   * The origins (scheme://host[:port]) whose pages may open a Socket.IO connection; empty: only pages served by
   * the host the request was sent to.
   */
  allowedOrigins: string[];
  /** Where notification emails go out (smtp:// or smtps://, e.g. smtp://user:pass@mail.school.example:587); empty: no email. */
  smtpUrl: string;
  /** The From of notification emails. */
  mailFrom: string;
  /** The portal's address as users reach it (scheme://host[:port]), for links in emails. */
  portalUrl: string;
}

/** Each limit counts within its window; a key that reaches it is refused for one window. */
export interface ThrottlingConfig {
  /** Failed logins per username (any case) before that username is refused. */
  loginFailuresPerUsername: number;
  /** Failed logins from one address (a school behind one router shares it) before that address is refused. */
  loginFailuresPerAddress: number;
  loginWindowSeconds: number;
  /** Wrong join codes per logged-in user, and per address, at /classes/join and /signup. */
  joinCodeFailuresPerUser: number;
  joinCodeFailuresPerAddress: number;
  joinCodeWindowSeconds: number;
  /** JSON API requests per user (or per address when not logged in). */
  apiRequests: number;
  apiWindowSeconds: number;
}

const GiB = 1024 ** 3;

function parseBytes(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(value);
  if (!match) throw new Error(`UPLOAD_MAX_BYTES: cannot read "${value}" as a size (e.g. 2147483648, 500MB, 2GiB)`);
  const unit = (match[2] || '').toLowerCase().replace(/i?b$/, '');
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: GiB, t: 1024 ** 4 }[unit] ?? 1;
  return Math.floor(Number(match[1]) * scale);
}

function parseBool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return /^(1|true|yes|on)$/i.test(value);
}

function positiveInteger(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name}: "${value}" is not a whole number above 0`);
  return parsed;
}

/**
 * Jobs a worker process runs at once on servers unless PIPELINE_CONCURRENCY says otherwise. Chosen by the dispatch
 * bench: a job spends most of its time waiting for PostgreSQL and Redis, and with 4 at once two workers start about
 * 20 % more runs a second than with 2; the frame work itself goes to a thread pool, so more jobs do not mean more
 * event-loop work.
 */
export const DEFAULT_PIPELINE_CONCURRENCY = 4;

/** WEB_PROCESSES: a whole number, or `auto` for one per core. */
function parseWebProcesses(value: string | undefined): number {
  if (value?.trim().toLowerCase() === 'auto') return os.availableParallelism();
  return positiveInteger(value, 1, 'WEB_PROCESSES');
}

function nonNegativeInteger(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name}: "${value}" is not a whole number of 0 or more`);
  return parsed;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined || value === '') return fallback;
  const lower = value.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(lower)) throw new Error(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return lower as T;
}

/** TRUST_PROXY: true/false, a number of hops, or addresses and subnets ("loopback", "10.0.0.0/8, 192.168.1.5"). */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  const text = value?.trim() ?? '';
  if (text === '') return 'loopback';
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

/** ALLOWED_ORIGINS: comma-separated origins, e.g. "https://portal.school.example, http://10.0.0.5:3000". */
function parseOrigins(value: string | undefined): string[] {
  const origins: string[] = [];
  for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    // An origin has no path, query or credentials: "https://portal.example/app" is a mistake worth saying.
    const bare = url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    if (!url || !/^https?:$/.test(url.protocol) || !bare) {
      throw new Error(`ALLOWED_ORIGINS: "${entry}" is not an origin like https://portal.school.example or http://10.0.0.5:3000`);
    }
    origins.push(url.origin);
  }
  return origins;
}

/** SMTP_URL: empty (no email) or an smtp:// / smtps:// URL, which nodemailer reads (query options such as ?ignoreTLS=true too). */
function parseSmtpUrl(value: string | undefined): string {
  const text = value?.trim() ?? '';
  if (!text) return '';
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^smtps?:$/.test(url.protocol) || !url.hostname) {
    throw new Error('SMTP_URL: not an address like smtp://mail.school.example:587 or smtps://user:password@mail.school.example');
  }
  return text;
}

/** PORTAL_URL: the address in emails' links; by default the first allowed origin, else http://localhost:PORT. */
function parsePortalUrl(value: string | undefined, origins: string[], port: number): string {
  const text = value?.trim() ?? '';
  if (!text) return origins[0] ?? `http://localhost:${port || 3000}`;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new Error(`PORTAL_URL: "${text}" is not an address like https://portal.school.example`);
  }
  return url.href.replace(/\/+$/, '');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: "${env.PORT}" is not a port number`);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.DATA_DIR ?? 'data'),
    databaseUrl: env.DATABASE_URL ?? '',
    redisUrl: env.REDIS_URL ?? '',
    uploadMaxBytes: parseBytes(env.UPLOAD_MAX_BYTES, 2 * GiB),
    sessionSecret: env.SESSION_SECRET ?? '',
    seedDemo: parseBool(env.SEED_DEMO, true),
    cookieSecure: parseBool(env.COOKIE_SECURE, false),
    pipelinesConfig: env.PIPELINES_CONFIG ? path.resolve(env.PIPELINES_CONFIG) : path.join(PROJECT_ROOT, 'pipelines.config.json'),
    inProcessWorker: parseBool(env.IN_PROCESS_WORKER, true),
    pipelineConcurrency: positiveInteger(env.PIPELINE_CONCURRENCY, DEFAULT_PIPELINE_CONCURRENCY, 'PIPELINE_CONCURRENCY'),
    webProcesses: parseWebProcesses(env.WEB_PROCESSES),
    embeddedWorkerConcurrency: positiveInteger(env.PIPELINE_CONCURRENCY, os.availableParallelism(), 'PIPELINE_CONCURRENCY'),
    embeddedRedis: oneOf(env.EMBEDDED_REDIS, EMBEDDED_REDIS_KINDS, 'built-in', 'EMBEDDED_REDIS'),
    pipelineTimeoutSeconds: positiveInteger(env.PIPELINE_TIMEOUT_SECONDS, 3600, 'PIPELINE_TIMEOUT_SECONDS'),
    remoteEventsPerSecond: positiveInteger(env.REMOTE_EVENTS_PER_SECOND, 50, 'REMOTE_EVENTS_PER_SECOND'),
    pipelineLockSeconds: positiveInteger(env.PIPELINE_LOCK_SECONDS, 30, 'PIPELINE_LOCK_SECONDS'),
    shutdownGraceSeconds: nonNegativeInteger(env.SHUTDOWN_GRACE_SECONDS, 30, 'SHUTDOWN_GRACE_SECONDS'),
    thumbnailMaxSide: positiveInteger(env.THUMBNAIL_MAX_SIDE, 400, 'THUMBNAIL_MAX_SIDE'),
    previewMaxPixels: positiveInteger(env.PREVIEW_MAX_PIXELS, 50_000_000, 'PREVIEW_MAX_PIXELS'),
    previewThreads: positiveInteger(env.PREVIEW_THREADS, 2, 'PREVIEW_THREADS'),
    pipelineMaxFramePixels: positiveInteger(env.PIPELINE_MAX_FRAME_PIXELS, 50_000_000, 'PIPELINE_MAX_FRAME_PIXELS'),
    pipelineMaxRunPixels: positiveInteger(env.PIPELINE_MAX_RUN_PIXELS, 1_000_000_000, 'PIPELINE_MAX_RUN_PIXELS'),
    logLevel: oneOf(env.LOG_LEVEL, LOG_LEVELS, 'info', 'LOG_LEVEL'),
    logFormat: oneOf(env.LOG_FORMAT, LOG_FORMATS, 'json', 'LOG_FORMAT'),
    throttling: {
      loginFailuresPerUsername: positiveInteger(env.THROTTLE_LOGIN_PER_USERNAME, 5, 'THROTTLE_LOGIN_PER_USERNAME'),
      loginFailuresPerAddress: positiveInteger(env.THROTTLE_LOGIN_PER_ADDRESS, 20, 'THROTTLE_LOGIN_PER_ADDRESS'),
      loginWindowSeconds: positiveInteger(env.THROTTLE_LOGIN_WINDOW_SECONDS, 900, 'THROTTLE_LOGIN_WINDOW_SECONDS'),
      joinCodeFailuresPerUser: positiveInteger(env.THROTTLE_JOIN_CODE_PER_USER, 10, 'THROTTLE_JOIN_CODE_PER_USER'),
      joinCodeFailuresPerAddress: positiveInteger(env.THROTTLE_JOIN_CODE_PER_ADDRESS, 50, 'THROTTLE_JOIN_CODE_PER_ADDRESS'),
      joinCodeWindowSeconds: positiveInteger(env.THROTTLE_JOIN_CODE_WINDOW_SECONDS, 900, 'THROTTLE_JOIN_CODE_WINDOW_SECONDS'),
      apiRequests: positiveInteger(env.THROTTLE_API_LIMIT, 600, 'THROTTLE_API_LIMIT'),
      apiWindowSeconds: positiveInteger(env.THROTTLE_API_WINDOW_SECONDS, 60, 'THROTTLE_API_WINDOW_SECONDS'),
    },
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    allowedOrigins: parseOrigins(env.ALLOWED_ORIGINS),
    smtpUrl: parseSmtpUrl(env.SMTP_URL),
    mailFrom: env.MAIL_FROM?.trim() || 'Astro Edu Portal <no-reply@localhost>',
    portalUrl: parsePortalUrl(env.PORTAL_URL, parseOrigins(env.ALLOWED_ORIGINS), port),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
