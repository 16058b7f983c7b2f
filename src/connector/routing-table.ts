import type { PeerLink } from '../config/schema';

export type Route = { type: 'local' } | { type: 'peer'; peerId: string };

/**
 * Longest-prefix routing on ILP addresses. Our own address is local; `<ours>.<peer id>` is that peer's child
 * address (ILDCP gives it to them); each peer's configured `routes` point at it too.
 */
export class RoutingTable {
  private readonly prefixes: [prefix: string, route: Route][];

  constructor(readonly ownAddress: string, peers: readonly PeerLink[]) {
    const entries: [string, Route][] = [[ownAddress, { type: 'local' }]];
    for (const p of peers) {
      entries.push([`${ownAddress}.${p.id}`, { type: 'peer', peerId: p.id }]);
      for (const r of p.routes) entries.push([r, { type: 'peer', peerId: p.id }]);
    }
    // longest first, so the first match is the most specific
    this.prefixes = entries.sort((a, b) => b[0].length - a[0].length);
  }

  lookup(destination: string): Route | undefined {
    for (const [prefix, route] of this.prefixes) {
      if (destination === prefix || destination.startsWith(`${prefix}.`)) return route;
    }
    return undefined;
  }

  /** The address a peer gets from ILDCP. */
  childAddress(peerId: string): string {
    return `${this.ownAddress}.${peerId}`;
  }
}
