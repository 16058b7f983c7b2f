/** One warn/error log entry as the dashboard shows it: no objects, no secrets. */
export interface LogEntry {
  time: string;
  level: 'warn' | 'error' | 'fatal';
  msg: string;
  /** `err.message` and a few plain fields, e.g. `peer=alice`. */
  detail?: string;
}

/** Fields whose values are never shown, whatever their content. */
const SECRET = /token|secret|password|passwd|auth|key|cookie|sig|seed|preimage|fulfillment|credential/i;
const MAX_TEXT = 300;

const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

function describe(fields: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET.test(k)) continue;
    if (v instanceof Error) parts.push(`${k}: ${v.message}`);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') parts.push(`${k}=${String(v)}`);
    if (parts.length === 6) break;
  }
  return parts.length > 0 ? clip(parts.join(', ')) : undefined;
}

/** The last `size` warn/error entries of the logger, newest last (a ring buffer). */
export class RecentErrors {
  private readonly entries: LogEntry[] = [];

  constructor(private readonly size = 50) {}

  /** A LogListener (see onWarnings): pino's arguments are `([fields], [message], ...interpolation)`. */
  readonly record = (level: number, args: unknown[]): void => {
    const [first, second] = args;
    let msg = '';
    let detail: string | undefined;
    if (first instanceof Error) {
      msg = typeof second === 'string' ? second : first.message;
      detail = typeof second === 'string' ? clip(first.message) : undefined;
    } else if (typeof first === 'object' && first !== null) {
      msg = typeof second === 'string' ? second : '';
      detail = describe(first as Record<string, unknown>);
    } else {
      msg = String(first ?? '');
    }
    this.entries.push({ time: new Date().toISOString(), level: level >= 60 ? 'fatal' : level >= 50 ? 'error' : 'warn', msg: clip(msg), detail });
    if (this.entries.length > this.size) this.entries.shift();
  };

  list(): LogEntry[] {
    return [...this.entries];
  }
}
