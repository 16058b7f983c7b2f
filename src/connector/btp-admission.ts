import type { Logger } from 'pino';
import type { Config } from '../config/load';
import { blockedIps, maxConnectionsPerIp, type ConnectionPolicy } from '../relay/policies/connection-policies';

/**
 * Bounds on `/btp` sockets, so that strangers who never authenticate cannot take the process's file descriptors
 * from the relay: BLOCKED_IPS as on the relay (ALLOWED_IPS is the relay's own: ILP peers may live elsewhere),
 * BTP_MAX_CONNECTIONS_PER_IP open sockets per address (429), and BTP_MAX_UNAUTHENTICATED sockets from everyone
 * together still waiting to authenticate (503), each closed BTP_AUTH_TIMEOUT seconds after it opened unless it
 * has authenticated by then.
 */
export function btpAdmission(config: Config, unauthenticated: () => number): ConnectionPolicy[] {
  const max = config.btpMaxUnauthenticated;
  const waiting: ConnectionPolicy = () =>
    unauthenticated() < max
      ? undefined
      : {
          status: '503 Service Unavailable',
          reason: `rate-limited: ${max} BTP connections are waiting to authenticate; try again`,
          // by then the oldest of them has authenticated or been closed
          retryAfter: config.btpAuthTimeout,
        };
  return [
    config.blockedIps.size > 0 && blockedIps(config.blockedIps),
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
    /** The log line's message: which door refused. */
    private readonly message = 'btp refused',
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
    this.log.warn({ reason, ip, ...fields, ...(suppressed > 0 && { suppressed }) }, this.message);
  }
}
