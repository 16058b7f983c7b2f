import { BlockList, isIP } from 'node:net';

/**
 * Canonical text of an IP address, so that one address has one spelling: IPv6 compressed and lowercase (uWS
 * reports it uncompressed), and IPv4-mapped IPv6 (`::ffff:1.2.3.4`, a dual-stack socket's view of IPv4) as IPv4.
 */
export function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  let host: string;
  try {
    host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const hi = parseInt(mapped[1], 16);
  const lo = parseInt(mapped[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * A set of addresses and subnets from a comma-separated setting (`1.2.3.4, 10.0.0.0/8, ::1`). Single addresses are
 * a Set lookup (O(1)); subnets, usually few, go through node's BlockList only when the list has any.
 */
export class IpList {
  private readonly exact = new Set<string>();
  private readonly subnets: BlockList | undefined;
  readonly size: number;

  constructor(readonly entries: readonly string[]) {
    let subnets: BlockList | undefined;
    for (const entry of entries) {
      const [addr, bits, extra] = entry.split('/');
      const family = isIP(addr);
      if (family === 0 || extra !== undefined) throw new Error(`expected IP addresses or CIDR subnets, got "${entry}"`);
      if (bits === undefined) {
        this.exact.add(normalizeIp(addr));
        continue;
      }
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`bad prefix length in "${entry}"`);
      (subnets ??= new BlockList()).addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.subnets = subnets;
    this.size = entries.length;
  }

  static parse(raw: string): IpList {
    return new IpList(raw.split(',').map((s) => s.trim()).filter(Boolean));
  }

  /** Whether `ip` (already normalized) is listed. */
  has(ip: string): boolean {
    if (this.exact.has(ip)) return true;
    if (!this.subnets) return false;
    const family = isIP(ip);
    return family !== 0 && this.subnets.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
