import * as path from 'node:path';
import { LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevelName } from '../logging/log-format';
import { PROJECT_ROOT } from './paths';

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
  /** Pipeline jobs one worker process runs at once. */
  pipelineConcurrency: number;
  /** A run still going after this many seconds is stopped and marked failed. */
  pipelineTimeoutSeconds: number;
  /** How long a worker's hold on a job lasts without renewal; a dead worker's job is requeued after about this. */
  pipelineLockSeconds: number;
  /** Longest side in pixels of the PNG thumbnail made for every FITS image. */
  thumbnailMaxSide: number;
  /** pino's level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: LogLevelName;
  /** `json`: one JSON object per line; `text`: a short line for a person at a terminal. */
  logFormat: LogFormat;
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

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined || value === '') return fallback;
  const lower = value.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(lower)) throw new Error(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return lower as T;
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
    pipelineConcurrency: positiveInteger(env.PIPELINE_CONCURRENCY, 2, 'PIPELINE_CONCURRENCY'),
    pipelineTimeoutSeconds: positiveInteger(env.PIPELINE_TIMEOUT_SECONDS, 3600, 'PIPELINE_TIMEOUT_SECONDS'),
    pipelineLockSeconds: positiveInteger(env.PIPELINE_LOCK_SECONDS, 30, 'PIPELINE_LOCK_SECONDS'),
    thumbnailMaxSide: positiveInteger(env.THUMBNAIL_MAX_SIDE, 400, 'THUMBNAIL_MAX_SIDE'),
    logLevel: oneOf(env.LOG_LEVEL, LOG_LEVELS, 'info', 'LOG_LEVEL'),
    logFormat: oneOf(env.LOG_FORMAT, LOG_FORMATS, 'json', 'LOG_FORMAT'),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
