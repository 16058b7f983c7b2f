import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Receives every warn/error/fatal entry as it is logged (before pino's serialization and redaction). */
export type LogListener = (level: number, args: unknown[]) => void;

const listeners = new WeakMap<Logger, Set<LogListener>>();

/**
 * JSON lines on stdout (or `destination`, for tests); `format` pretty prints them for a terminal instead, with
 * pino-pretty as a synchronous stream in this thread. No transports, so the bundle needs no worker files.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, format: 'json' | 'pretty' = 'json'): Logger {
  const out =
    format === 'pretty'
      ? pretty({
          sync: true,
          destination: destination ?? 1,
          colorize: !destination && process.stdout.isTTY === true,
          translateTime: 'SYS:standard',
          ignore: 'pid,hostname,service',
          singleLine: true,
        })
      : destination;
  const own = new Set<LogListener>();
  const logger = pino({
    level,
    base: { service: 'peer' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['token', 'password', 'auth', '*.token', '*.password'], censor: '[redacted]' },
    hooks: {
      // Children inherit the hook, so entries of every child reach the root's listeners.
      logMethod(args, method, lvl) {
        if (lvl >= 40 && own.size > 0) {
          for (const l of own) {
            try {
              l(lvl, args);
            } catch {
              /* a listener never breaks logging */
            }
          }
        }
        return method.apply(this, args);
      },
    },
  }, out);
  listeners.set(logger, own);
  return logger;
}

/**
 * Calls `listener` for each warn or worse entry of `log` (or of the logger it is a child of); returns the
 * unsubscribe function. A logger not made by createLogger has no hook: nothing is reported.
 */
export function onWarnings(log: Logger, listener: LogListener): () => void {
  for (let l: object | null = log; l; l = Object.getPrototypeOf(l)) {
    const set = listeners.get(l as Logger);
    if (set) {
      set.add(listener);
      return () => set.delete(listener);
    }
  }
  return () => {};
}
