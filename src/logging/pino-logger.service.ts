import { LoggerService, LogLevel } from '@nestjs/common';
import { Logger } from 'pino';

type PinoMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const looksLikeStack = (value: unknown): value is string => typeof value === 'string' && /\n\s+at /.test(value);

/**
 * Nest's LoggerService on pino, so Nest's own lines and every `new Logger(context)` come out as one JSON object
 * each: `{level, time, msg, context, ...}`. A message may be an object (its fields are kept, `msg` is the text)
 * or an Error (logged as `err` with its stack).
 */
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  /** LOG_LEVEL decides; Nest's level lists (e.g. `logger: ['error']`) are not used with pino. */
  setLogLevels(_levels: LogLevel[]) {}

  private write(level: PinoMethod, message: unknown, params: unknown[]) {
    const rest = [...params];
    // Nest passes the context last (Logger adds it); a stack trace in that place is a stack, not a context.
    let context: string | undefined;
    const last = rest[rest.length - 1];
    if (typeof last === 'string' && !looksLikeStack(last)) context = rest.pop() as string;
    const record: Record<string, unknown> = {};
    if (context) record.context = context;
    let text: string | undefined;
    if (message instanceof Error) {
      record.err = message;
      text = message.message;
    } else if (message && typeof message === 'object') {
      const { msg, message: inner, ...fields } = message as Record<string, unknown>;
      Object.assign(record, fields);
      text = typeof msg === 'string' ? msg : typeof inner === 'string' ? inner : undefined;
    } else {
      text = message === undefined ? undefined : String(message);
    }
    const extra: unknown[] = [];
    for (const param of rest) {
      if (param === undefined) continue;
      if (param instanceof Error) record.err = param;
      else if (typeof param === 'string' && (level === 'error' || level === 'fatal' || looksLikeStack(param))) record.stack = param;
      else extra.push(param);
    }
    if (extra.length) record.extra = extra;
    this.pino[level](record, text);
  }
}
