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

const BINDINGS = Symbol('dbrs.bindings');
type WithBindings = Logger & { [BINDINGS]?: Record<string, unknown> };

/**
 * pino writes a child's bindings after its parent's, so `child({ component })`
 * three levels deep put `component` on the line three times. Here bindings live
 * in one object per logger, merged (a child's `component` joins its parent's
 * with a dot: `dbrs.suite.migrations`), and reach the line through `mixin`,
 * where the call's own fields win: every key appears once.
 */
function joinedChild(pinoChild: Logger['child']) {
  return function child(this: WithBindings, bindings: Record<string, unknown>, options?: object): Logger {
    const parent = this[BINDINGS] ?? {};
    const { component, ...rest } = bindings ?? {};
    const merged: Record<string, unknown> = { ...parent, ...rest };
    if (component !== undefined) {
      merged['component'] = parent['component'] ? `${parent['component']}.${component}` : component;
    }
    const created = pinoChild.call(this, {}, options as never) as unknown as WithBindings;
    created[BINDINGS] = merged;
    return created;
  };
}

/**
 * A pino logger writing one JSON object per line with `timestamp`, `level`
 * (as a word), `component` and, by convention, `event`, each key once. Every
 * object and message is scrubbed of secrets before it is serialised, so a
 * connection URL or an error carrying a password cannot leak through a log line.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const root = pino(
    {
      level: (options.level ?? 'info').toLowerCase(),
      base: null,
      mixin: (_obj, _level, logger) => ({ ...((logger as WithBindings)[BINDINGS] ?? {}) }),
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
  ) as unknown as WithBindings;
  root[BINDINGS] = { component: options.component ?? 'dbrs', ...(options.base ?? {}) };
  // Children are created with Object.create(parent), so they inherit these two.
  Object.assign(root, {
    child: joinedChild(root.child),
    bindings(this: WithBindings) {
      return { ...(this[BINDINGS] ?? {}) };
    },
  });
  return root as Logger;
}

/** A logger that drops everything: the default when none is injected. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
