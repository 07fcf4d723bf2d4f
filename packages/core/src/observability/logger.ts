import { type DestinationStream, type LevelWithSilent, type Logger as PinoLogger, pino } from 'pino';
import { redact, redactString } from '../util/redact.js';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** Minimum level. Default: `LOG_LEVEL` from config, else `'info'`. */
  level?: LevelWithSilent | string;
  /** Value of the `component` field on every line. Default `'dbrs'`. */
  component?: string;
  /** Where JSON lines go. Default: stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Extra fields on every line (service name, environment…). */
  base?: Record<string, unknown>;
}

/**
 * A pino logger writing one JSON object per line with `timestamp`, `level`
 * (as a word), `component` and, by convention, `event`. Every object and
 * message is scrubbed of secrets before it is serialised, so a connection
 * URL or an error carrying a password cannot leak through a log line.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      level: (options.level ?? 'info').toLowerCase(),
      base: { component: options.component ?? 'dbrs', ...(options.base ?? {}) },
      messageKey: 'message',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object),
      },
      // Errors are scrubbed by `redact` in the log formatter; keep pino's
      // serializer from flattening them first so the cause chain survives.
      serializers: { err: (err: unknown) => redact(err), error: (err: unknown) => redact(err) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    options.destination,
  );
}

/** A logger that drops everything: the default when none is injected. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
