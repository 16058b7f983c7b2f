import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database';

/**
 * The ledger's read model: balances, revenue and peer positions computed from `accounts`, in one place for every
 * reader (metrics, the dashboard, economic snapshots, the ledger's own deep check). Read-only; the ledger
 * (ledger.ts) stays the only writer. Sums go through `exactSum`: SQLite's sum() raises on a 64-bit overflow of a
 * partial sum, and money must never be a float or an error.
 */

/** Prefix ranges of the chart of accounts (account-paths.ts); '0' is the character after '/'. */
const BALANCES: [string, string] = ['liabilities/balances/', 'liabilities/balances0'];
const PEERS: [string, string] = ['assets/interledger/', 'assets/interledger0'];

/** Σ(credits − debits) over all accounts, posted and pending; both are 0n in a sound ledger. */
export interface Invariant {
  posted: bigint;
  pending: bigint;
  balanced: boolean;
}

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

type Sums<K extends string> = Record<K, bigint | null>;

/**
 * SQL sums of bigint columns, exact: the fast `sum()` query, or — when SQLite's 64-bit partial sum overflows and
 * it raises — the same rows added in bigint.
 */
function exactSum<K extends string, P extends unknown[]>(
  fast: Statement<P, Sums<K>>,
  rows: Statement<P, Record<K, bigint>>,
  keys: readonly K[],
  ...params: P
): Record<K, bigint> {
  const total = Object.fromEntries(keys.map((k) => [k, 0n])) as Record<K, bigint>;
  try {
    const s = fast.get(...params)!;
    for (const k of keys) total[k] = s[k] ?? 0n;
  } catch {
    for (const r of rows.iterate(...params)) for (const k of keys) total[k] += r[k];
  }
  return total;
}

export class LedgerViews {
  readonly #revenue: Statement<[], { credits: bigint; debits: bigint }>;
  readonly #othersSum: Statement<[string, string], Sums<'owed'>>;
  readonly #othersRows: Statement<[string, string], { owed: bigint }>;
  readonly #allSum: Statement<[], Sums<'posted' | 'pending'>>;
  readonly #allRows: Statement<[], { posted: bigint; pending: bigint }>;
  readonly #payers: Statement<[string, string], bigint>;
  readonly #topPayers: Statement<[string, string, number], { path: string; debits: bigint; credits: bigint }>;
  readonly #peers: Statement<[string, string], { path: string; d: bigint; c: bigint; dp: bigint; cp: bigint; lim: bigint }>;

  constructor(db: Db) {
    this.#revenue = db
      .prepare<[], { credits: bigint; debits: bigint }>(
        `SELECT credits_posted AS credits, debits_posted AS debits FROM accounts WHERE path = 'revenue/relay-fees'`,
      )
      .safeIntegers(true);
    const others = 'FROM accounts WHERE path < ? OR path >= ?';
    this.#othersSum = db.prepare<[string, string], Sums<'owed'>>(`SELECT sum(debits_posted - credits_posted) AS owed ${others}`).safeIntegers(true);
    this.#othersRows = db.prepare<[string, string], { owed: bigint }>(`SELECT debits_posted - credits_posted AS owed ${others}`).safeIntegers(true);
    this.#allSum = db
      .prepare<[], Sums<'posted' | 'pending'>>(
        'SELECT sum(credits_posted - debits_posted) AS posted, sum(credits_pending - debits_pending) AS pending FROM accounts',
      )
      .safeIntegers(true);
    this.#allRows = db
      .prepare<[], { posted: bigint; pending: bigint }>(
        'SELECT credits_posted - debits_posted AS posted, credits_pending - debits_pending AS pending FROM accounts',
      )
      .safeIntegers(true);
    this.#payers = db
      .prepare<[string, string], bigint>('SELECT count(*) FROM accounts WHERE path >= ? AND path < ? AND debits_posted > 0')
      .pluck()
      .safeIntegers(true);
    this.#topPayers = db
      .prepare<[string, string, number], { path: string; debits: bigint; credits: bigint }>(
        `SELECT path, debits_posted AS debits, credits_posted AS credits FROM accounts
         WHERE path >= ? AND path < ? AND debits_posted > 0 ORDER BY debits_posted DESC, path LIMIT ?`,
      )
      .safeIntegers(true);
    this.#peers = db
      .prepare<[string, string], { path: string; d: bigint; c: bigint; dp: bigint; cp: bigint; lim: bigint }>(
        `SELECT path, debits_posted AS d, credits_posted AS c, debits_pending AS dp, credits_pending AS cp, limit_amount AS lim
         FROM accounts WHERE path >= ? AND path < ? ORDER BY path`,
      )
      .safeIntegers(true);
  }

  /** Everything stored events were charged: credits of revenue/relay-fees (less any debits). */
  revenue(): bigint {
    const r = this.#revenue.get();
    return (r?.credits ?? 0n) - (r?.debits ?? 0n);
  }

  /**
   * Prepaid balances owed to pubkeys: Σ(credits − debits) posted over liabilities/balances/*. Read as minus the
   * same sum over every other account (the ledger's invariant makes the total 0), which are a handful of rows,
   * instead of scanning every pubkey's balance.
   */
  outstanding(): bigint {
    return exactSum(this.#othersSum, this.#othersRows, ['owed'], ...BALANCES).owed;
  }

  /** How many pubkeys have spent anything (one index range over the balances). */
  payers(): number {
    return Number(this.#payers.get(...BALANCES));
  }

  /** The pubkeys that spent the most on events. */
  topPayers(n = 10): Payer[] {
    return this.#topPayers
      .all(...BALANCES, n)
      .map((r) => ({ pubkey: r.path.slice(BALANCES[0].length), spent: r.debits, balance: r.credits - r.debits }));
  }

  peerPositions(): PeerPosition[] {
    return this.#peers.all(...PEERS).map((r) => ({ peer: r.path.slice(PEERS[0].length), owes: r.d - r.c, pending: r.dp - r.cp, limit: r.lim }));
  }

  /** The zero-sum check from every account row (a deep check, O(accounts)); the ledger's O(1) totals must agree. */
  invariant(): Invariant {
    const { posted, pending } = exactSum(this.#allSum, this.#allRows, ['posted', 'pending']);
    return { posted, pending, balanced: posted === 0n && pending === 0n };
  }
}
