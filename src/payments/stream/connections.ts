import { LRUCache } from 'lru-cache';
import type { StreamConnection } from './state';
import type { StreamLimits } from '../stream-limits';

/**
 * The STREAM connections the receiver keeps, by token. Only connections with an accepted packet are kept (keep());
 * for the others only the address a client announced in a probe is remembered, in a bounded LRU whose eviction
 * closes nothing. Connections that never received money are an LRU bounded per ILP peer and in all; one that
 * received money moves to its own LRU (promote()), so free connections cannot evict it. A connection leaving a
 * table (eviction, forget(), clear()) is handed to `close` once.
 */
export class StreamConnections {
  private readonly paid: LRUCache<string, StreamConnection>;
  private readonly free: LRUCache<string, StreamConnection>;
  /** The free connections of each peer, least recently used first. */
  private readonly freeByPeer = new Map<string, Map<string, StreamConnection>>();
  private readonly addresses: LRUCache<string, string>;

  constructor(
    private readonly limits: Pick<StreamLimits, 'maxConnections' | 'maxConnectionsPerPeer'>,
    close: (conn: StreamConnection) => void,
  ) {
    this.paid = new LRUCache<string, StreamConnection>({ max: limits.maxConnections, dispose: close });
    this.free = new LRUCache<string, StreamConnection>({
      max: limits.maxConnections,
      dispose: (conn) => {
        const mine = this.freeByPeer.get(conn.peer);
        mine?.delete(conn.token);
        if (mine?.size === 0) this.freeByPeer.delete(conn.peer);
        // promoted to the paid LRU: still open
        if (!conn.paid) close(conn);
      },
    });
    this.addresses = new LRUCache<string, string>({ max: limits.maxConnections });
  }

  get size(): number {
    return this.paid.size + this.free.size;
  }

  /** A kept connection, marked as recently used (in its peer's order too when free). */
  lookup(token: string): StreamConnection | undefined {
    const paid = this.paid.get(token);
    if (paid) return paid;
    const conn = this.free.get(token);
    if (!conn) return undefined;
    const mine = this.freeByPeer.get(conn.peer)!;
    mine.delete(token);
    mine.set(token, conn);
    return conn;
  }

  /** The address announced for a connection not kept yet. */
  addressOf(token: string): string | undefined {
    return this.addresses.get(token);
  }

  /** Remembers the address a client announced on a connection not kept yet (in a probe we reject). */
  announce(token: string, address: string): void {
    this.addresses.set(token, address);
  }

  /** Keeps a connection whose packet was accepted, closing its peer's least recently used free one past the bound. */
  keep(conn: StreamConnection): void {
    conn.kept = true;
    this.addresses.delete(conn.token);
    const before = this.freeByPeer.get(conn.peer);
    if (before && before.size >= this.limits.maxConnectionsPerPeer) this.free.delete(before.keys().next().value!);
    // (evictions empty and remove a peer's map: look it up again)
    this.free.set(conn.token, conn);
    let mine = this.freeByPeer.get(conn.peer);
    if (!mine) this.freeByPeer.set(conn.peer, (mine = new Map()));
    mine.set(conn.token, conn);
  }

  /** Money arrived on it: out of reach of free connections' eviction. */
  promote(conn: StreamConnection): void {
    if (conn.paid || conn.closed) return;
    conn.paid = true;
    this.free.delete(conn.token);
    this.paid.set(conn.token, conn);
  }

  /** Forgets a connection, closing it if it was kept. */
  forget(conn: StreamConnection): void {
    if (conn.paid) this.paid.delete(conn.token);
    else if (conn.kept) this.free.delete(conn.token);
    this.addresses.delete(conn.token);
  }

  /** Closes and forgets every connection (shutdown). */
  clear(): void {
    this.paid.clear();
    this.free.clear();
    this.addresses.clear();
  }

  *values(): IterableIterator<StreamConnection> {
    yield* this.paid.values();
    yield* this.free.values();
  }
}
