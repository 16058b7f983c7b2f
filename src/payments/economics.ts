import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database';

export interface EconomicSnapshot {
  takenAt: number;
  eventsStored: number;
  /** Credits of revenue/relay-fees: what stored events have earned. */
  revenue: bigint;
  /** Prepaid balances not yet spent: Σ (credits − debits) of liabilities/balances/*. */
  balancesOutstanding: bigint;
  payers: number;
  /** What each BTP peer owes us (debits − credits of assets/interledger/<peer>). */
  peerPositions: Record<string, string>;
}

/**
 * Periodic snapshots of the relay's economy into `economic_snapshots`, for the dashboard's history and metrics.
 * Read-only over the money tables (the ledger stays their only writer).
 */
export class Economics {
  private readonly read: Statement<[], { revenue: bigint | null; outstanding: bigint | null; payers: bigint }>;
  private readonly peers: Statement<[], { path: string; position: bigint }>;
  private readonly events: Statement<[], bigint>;
  private readonly insert: Statement;
  private readonly recent: Statement<[number], { taken_at: bigint; events_stored: bigint; revenue: bigint; balances_outstanding: bigint; payers: bigint; peer_positions: string }>;

  constructor(db: Db) {
    this.read = db
      .prepare<[], { revenue: bigint | null; outstanding: bigint | null; payers: bigint }>(
        `SELECT
           (SELECT credits_posted - debits_posted FROM accounts WHERE path = 'revenue/relay-fees') AS revenue,
           (SELECT sum(credits_posted - debits_posted) FROM accounts WHERE path >= 'liabilities/balances/' AND path < 'liabilities/balances0') AS outstanding,
           (SELECT count(*) FROM accounts WHERE path >= 'liabilities/balances/' AND path < 'liabilities/balances0' AND debits_posted > 0) AS payers`,
      )
      .safeIntegers();
    this.peers = db
      .prepare<[], { path: string; position: bigint }>(`SELECT path, debits_posted - credits_posted AS position FROM accounts WHERE path >= 'assets/interledger/' AND path < 'assets/interledger0' ORDER BY path`)
      .safeIntegers();
    this.events = db.prepare<[], bigint>('SELECT count(*) FROM events').pluck().safeIntegers();
    this.insert = db.prepare(
      'INSERT INTO economic_snapshots (taken_at, events_stored, revenue, balances_outstanding, payers, peer_positions) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.recent = db
      .prepare<[number], { taken_at: bigint; events_stored: bigint; revenue: bigint; balances_outstanding: bigint; payers: bigint; peer_positions: string }>('SELECT * FROM (SELECT * FROM economic_snapshots ORDER BY taken_at DESC LIMIT ?) ORDER BY taken_at')
      .safeIntegers();
  }

  /** The economy now, computed from the ledger and the event table. */
  now(): EconomicSnapshot {
    const r = this.read.get()!;
    const peerPositions: Record<string, string> = {};
    for (const p of this.peers.all()) peerPositions[p.path.slice('assets/interledger/'.length)] = p.position.toString();
    return {
      takenAt: Math.floor(Date.now() / 1000),
      eventsStored: Number(this.events.get()),
      revenue: r.revenue ?? 0n,
      balancesOutstanding: r.outstanding ?? 0n,
      payers: Number(r.payers),
      peerPositions,
    };
  }

  /** Takes a snapshot and stores it. */
  snapshot(): EconomicSnapshot {
    const s = this.now();
    this.insert.run(s.takenAt, s.eventsStored, s.revenue, s.balancesOutstanding, s.payers, JSON.stringify(s.peerPositions));
    return s;
  }

  /** The latest `limit` snapshots, oldest first. */
  history(limit: number): EconomicSnapshot[] {
    return this.recent.all(limit).map((r) => ({
      takenAt: Number(r.taken_at),
      eventsStored: Number(r.events_stored),
      revenue: r.revenue,
      balancesOutstanding: r.balances_outstanding,
      payers: Number(r.payers),
      peerPositions: JSON.parse(r.peer_positions) as Record<string, string>,
    }));
  }
}
