import type { Statement } from 'better-sqlite3';
import type { LedgerViews } from '../ledger/views';
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

/** One point of the dashboard's long money history: unix ms and amounts. */
export interface EconomicPoint {
  t: number;
  revenue: bigint;
  outstanding: bigint;
}

type SnapshotRow = { taken_at: bigint; events_stored: bigint; revenue: bigint; balances_outstanding: bigint; payers: bigint; peer_positions: string };

/**
 * Periodic snapshots of the relay's economy into `economic_snapshots`, for the dashboard's history and metrics.
 * The figures come from the ledger's read model (ledger/views.ts); this table is the only thing written here.
 */
export class Economics {
  private readonly events: Statement<[], bigint>;
  private readonly insert: Statement;
  private readonly recent: Statement<[number], SnapshotRow>;
  private readonly sinceRows: Statement<[number], EconomicPoint>;

  constructor(
    db: Db,
    private readonly money: LedgerViews,
  ) {
    this.events = db.prepare<[], bigint>('SELECT count(*) FROM events').pluck().safeIntegers();
    this.insert = db.prepare(
      'INSERT INTO economic_snapshots (taken_at, events_stored, revenue, balances_outstanding, payers, peer_positions) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.recent = db
      .prepare<[number], SnapshotRow>('SELECT * FROM (SELECT * FROM economic_snapshots ORDER BY taken_at DESC LIMIT ?) ORDER BY taken_at')
      .safeIntegers();
    this.sinceRows = db
      .prepare<[number], EconomicPoint>(
        `SELECT taken_at * 1000 AS t, revenue, balances_outstanding AS outstanding FROM economic_snapshots
         WHERE taken_at >= ? ORDER BY taken_at`,
      )
      .safeIntegers(true);
  }

  /** The economy now, computed from the ledger and the event table. */
  now(): EconomicSnapshot {
    const peerPositions: Record<string, string> = {};
    for (const p of this.money.peerPositions()) peerPositions[p.peer] = p.owes.toString();
    return {
      takenAt: Math.floor(Date.now() / 1000),
      eventsStored: Number(this.events.get()),
      revenue: this.money.revenue(),
      balancesOutstanding: this.money.outstanding(),
      payers: this.money.payers(),
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

  /** Revenue and outstanding balances of every snapshot since `sinceSeconds` (unix), oldest first. */
  since(sinceSeconds: number): EconomicPoint[] {
    return this.sinceRows.all(sinceSeconds);
  }
}
