import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database';

/** Prefix ranges of the chart of accounts (src/ledger/account-paths.ts); '0' is the character after '/'. */
const BALANCES: [string, string] = ['liabilities/balances/', 'liabilities/balances0'];
const PEERS: [string, string] = ['assets/interledger/', 'assets/interledger0'];

export interface Payer {
  pubkey: string;
  /** What the pubkey has spent on events (posted debits of its balance). */
  spent: bigint;
  /** What it has left (credits − debits posted). */
  balance: bigint;
}

export interface PeerPosition {
  peer: string;
  /** What the peer owes us: debits − credits posted on assets/interledger/<peer> (negative: we owe it). */
  owes: bigint;
  /** Packets in flight: debits − credits pending. */
  pending: bigint;
  /** Its creditLimit. */
  limit: bigint;
}

type Sums = { credits: bigint | null; debits: bigint | null };

/**
 * Read-only views of the ledger's tables for metrics and the dashboard (the ledger stays their only writer).
 * The one scan over every balance (top payers) is memoised for `ttlMs`, so dashboard polls cost one scan per period.
 */
export class MoneyView {
  private readonly revenueRow: Statement<[], Sums>;
  private readonly othersSums: Statement<[string, string], Sums>;
  private readonly othersRows: Statement<[string, string], { credits: bigint; debits: bigint }>;
  private readonly payers: Statement<[string, string, number], { path: string; debits: bigint; credits: bigint }>;
  private readonly peers: Statement<[string, string], { path: string; d: bigint; c: bigint; dp: bigint; cp: bigint; lim: bigint }>;
  private readonly memo = new Map<string, { at: number; value: unknown }>();

  constructor(
    db: Db,
    private readonly ttlMs = 5000,
  ) {
    this.revenueRow = db
      .prepare<[], Sums>(`SELECT credits_posted AS credits, debits_posted AS debits FROM accounts WHERE path = 'revenue/relay-fees'`)
      .safeIntegers(true);
    const others = 'FROM accounts WHERE path < ? OR path >= ?';
    this.othersSums = db
      .prepare<[string, string], Sums>(`SELECT sum(credits_posted) AS credits, sum(debits_posted) AS debits ${others}`)
      .safeIntegers(true);
    this.othersRows = db
      .prepare<[string, string], { credits: bigint; debits: bigint }>(`SELECT credits_posted AS credits, debits_posted AS debits ${others}`)
      .safeIntegers(true);
    this.payers = db
      .prepare<[string, string, number], { path: string; debits: bigint; credits: bigint }>(
        `SELECT path, debits_posted AS debits, credits_posted AS credits FROM accounts
         WHERE path >= ? AND path < ? AND debits_posted > 0 ORDER BY debits_posted DESC, path LIMIT ?`,
      )
      .safeIntegers(true);
    this.peers = db
      .prepare<[string, string], { path: string; d: bigint; c: bigint; dp: bigint; cp: bigint; lim: bigint }>(
        `SELECT path, debits_posted AS d, credits_posted AS c, debits_pending AS dp, credits_pending AS cp, limit_amount AS lim
         FROM accounts WHERE path >= ? AND path < ? ORDER BY path`,
      )
      .safeIntegers(true);
  }

  private memoised<T>(key: string, compute: () => T): T {
    const hit = this.memo.get(key);
    const now = Date.now();
    if (hit && now - hit.at < this.ttlMs) return hit.value as T;
    const value = compute();
    this.memo.set(key, { at: now, value });
    return value;
  }

  /** Everything stored events were charged: credits of revenue/relay-fees (less any debits). */
  revenue(): bigint {
    const r = this.revenueRow.get();
    return (r?.credits ?? 0n) - (r?.debits ?? 0n);
  }

  /**
   * Prepaid balances owed to pubkeys: Σ(credits − debits) posted over liabilities/balances/*. Read as minus the
   * same sum over every other account (the ledger's invariant makes the total 0), which are a handful of rows,
   * instead of scanning every pubkey's balance.
   */
  outstanding(): bigint {
    try {
      const s = this.othersSums.get(...BALANCES)!;
      return (s.debits ?? 0n) - (s.credits ?? 0n);
    } catch {
      // sum() raises on a 64-bit overflow; add in bigint instead.
      let total = 0n;
      for (const r of this.othersRows.iterate(...BALANCES)) total += r.debits - r.credits;
      return total;
    }
  }

  /** The pubkeys that spent the most on events. */
  topPayers(n = 10): Payer[] {
    return this.memoised(`top${n}`, () =>
      this.payers.all(...BALANCES, n).map((r) => ({ pubkey: r.path.slice(BALANCES[0].length), spent: r.debits, balance: r.credits - r.debits })),
    );
  }

  peerPositions(): PeerPosition[] {
    return this.peers.all(...PEERS).map((r) => ({ peer: r.path.slice(PEERS[0].length), owes: r.d - r.c, pending: r.dp - r.cp, limit: r.lim }));
  }
}
