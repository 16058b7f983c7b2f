import type { Logger } from 'pino';
import type { Config } from '../config/load';
import { blockedIps, allowedIps, maxConnectionsPerIp, type ConnectionPolicy } from '../relay/policies/connection-policies';

/**
 * Bounds on `/btp` sockets, so that strangers who never authenticate cannot take the process's file descriptors
 * from the relay: BLOCKED_IPS/ALLOWED_IPS as on the relay, BTP_MAX_CONNECTIONS_PER_IP open sockets per address
 * (429), and BTP_MAX_UNAUTHENTICATED sockets from everyone together still waiting to authenticate (503), each of
 * which is closed BTP_AUTH_TIMEOUT seconds after it opened if it has not authenticated by then.
 */
export function btpAdmission(config: Config, unauthenticated: () => number): ConnectionPolicy[] {
  const max = config.btpMaxUnauthenticated;
  const waiting: ConnectionPolicy = () =>
    unauthenticated() >= max
      ? { status: '503 Service Unavailable', reason: `rate-limited: ${max} BTP connections are waiting to authenticate; try again`, retryAfter: config.btpAuthTimeout }
      : undefined;
  return [
    config.blockedIps.size > 0 && blockedIps(config.blockedIps),
    config.allowedIps.size > 0 && allowedIps(config.allowedIps),
    maxConnectionsPerIp(config.btpMaxConnectionsPerIp),
    waiting,
  ].filter((p): p is ConnectionPolicy => !!p);
}

/** At most one log line per reason in this many ms; the lines between are counted and reported with the next. */
const LOG_EVERY_MS = 10_000;

/**
 * Logs refusals (of upgrades, of auth) with the remote address, at most once per LOG_EVERY_MS per reason, so that
 * a flood of refusals cannot become a flood of log lines: the next line says how many were suppressed meanwhile.
 */
export class RefusalLog {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  refused(reason: string, ip: string, fields: Record<string, unknown> = {}): void {
    const now = this.clock();
    const last = this.#last.get(reason);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(reason, { at: now, suppressed: 0 });
    this.log.warn({ reason, ip, ...fields, ...(suppressed > 0 && { suppressed }) }, 'btp refused');
  }
}
