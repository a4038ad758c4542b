import pino, { DestinationStream, Logger } from 'pino';
import { formatTextLine, LogFormat, LogLevelName, serializeRequest, serializeResponse } from './log-format';

export interface LogSettings {
  level: LogLevelName;
  format: LogFormat;
}

/** Turns pino's JSON lines into the short text form before they reach `out` (LOG_FORMAT=text). */
export function textDestination(out: { write(chunk: string): unknown } = process.stdout): DestinationStream {
  return {
    write(line: string) {
      try {
        out.write(formatTextLine(JSON.parse(line)));
      } catch {
        out.write(line);
      }
    },
  };
}

/**
 * The process's one pino logger: a JSON object per line on stdout ({level, time, msg, context, ...}), or the
 * text form. `destination` is for tests.
 */
export function createPinoLogger(settings: LogSettings, destination?: DestinationStream): Logger {
  const out = settings.format === 'text' ? textDestination(destination ?? process.stdout) : (destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: settings.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "info", not 30: readable by people and by log tools alike.
      formatters: { level: (label) => ({ level: label }) },
      // Log objects name their errors `err`; requests and responses are always cut down to what is safe to keep.
      serializers: { err: pino.stdSerializers.err, req: serializeRequest, res: serializeResponse },
      // Belt and braces for anything that logs raw headers under another key.
      redact: { paths: ['headers.cookie', 'headers.authorization', 'headers["x-csrf-token"]', '*.headers.cookie', '*.headers.authorization', '*.headers["x-csrf-token"]'], censor: '[redacted]' },
    },
    out,
  );
}
