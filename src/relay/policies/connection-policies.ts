import type { Config } from '../../config/load';
import type { IpList } from '../../config/ip-list';
import { bucketsFor, type TokenBuckets } from '../../http/token-buckets';

/** Why an upgrade is refused: the HTTP status line and a JSON body `{"error": reason}`. */
export interface Refusal {
  status: string;
  reason: string;
  /** Seconds, for a Retry-After header. */
  retryAfter?: number;
}

/** Judges a WebSocket upgrade from `ip`, which already has `open` connections. */
export type ConnectionPolicy = (ip: string, open: number) => Refusal | undefined;

const FORBIDDEN = '403 Forbidden';
const TOO_MANY = '429 Too Many Requests';

export const blockedIps =
  (list: IpList): ConnectionPolicy =>
  (ip) =>
    list.has(ip) ? { status: FORBIDDEN, reason: 'blocked: this address is blocked on this relay' } : undefined;

export const allowedIps =
  (list: IpList): ConnectionPolicy =>
  (ip) =>
    list.has(ip) ? undefined : { status: FORBIDDEN, reason: 'blocked: this address may not connect to this relay' };

export const maxConnectionsPerIp =
  (max: number): ConnectionPolicy =>
  (_ip, open) =>
    open >= max ? { status: TOO_MANY, reason: `rate-limited: more than ${max} open connections from your address` } : undefined;

export const connectionsPerIp =
  (buckets: TokenBuckets): ConnectionPolicy =>
  (ip) =>
    buckets.take(ip)
      ? undefined
      : { status: TOO_MANY, reason: 'rate-limited: too many new connections from your address', retryAfter: buckets.wait(ip) };

/** The upgrade checks, in order: lists, then the count of open connections, then the rate of new ones. */
export function connectionPolicies(config: Config): ConnectionPolicy[] {
  const rate = bucketsFor(config.rateConnectionsPerIp);
  return [
    config.blockedIps.size > 0 && blockedIps(config.blockedIps),
    config.allowedIps.size > 0 && allowedIps(config.allowedIps),
    config.maxConnectionsPerIp > 0 && maxConnectionsPerIp(config.maxConnectionsPerIp),
    rate && connectionsPerIp(rate),
  ].filter((p): p is ConnectionPolicy => !!p);
}

/**
 * RATE_CONNECTIONS_PER_IP for paid STREAM sessions, which have no IP: whether the ILP peer `peer` may open one more
 * connection that carries no money (counted as `ilp:<peer id>`); undefined when the setting is off.
 */
export function streamConnectionsPerPeer(config: Config): ((peer: string) => boolean) | undefined {
  const rate = bucketsFor(config.rateConnectionsPerIp);
  return rate && ((peer) => rate.take(`ilp:${peer}`));
}
