import { isIP } from 'node:net';
import { normalizeIp, type IpList } from '../config/ip-list';

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy (TRUSTED_PROXIES); then the
 * rightmost X-Forwarded-For entry that is not itself a trusted proxy (entries to its left are the client's word,
 * and a client can write anything there).
 */
export function clientIp(remote: string, forwardedFor: string, trusted: IpList): string {
  const peer = normalizeIp(remote);
  if (trusted.size === 0 || forwardedFor === '' || !trusted.has(peer)) return peer;
  const hops = forwardedFor.split(',');
  let ip = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i].trim();
    if (isIP(hop) === 0) break;
    ip = normalizeIp(hop);
    if (!trusted.has(ip)) break;
  }
  return ip;
}
