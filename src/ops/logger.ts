import pino, { type Logger } from 'pino';

/** JSON lines on stdout; no transports, so the bundle needs no worker files. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'peer' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['token', 'password', 'auth', '*.token', '*.password'], censor: '[redacted]' },
  });
}
