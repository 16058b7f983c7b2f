import type { Statement, Transaction } from 'better-sqlite3';
import type { Db } from '../storage/database';
import { accountKind, type AccountPath, type LimitRule } from './account-paths';
import { NOT_PENDING, type NotPending, type TransferFailure } from './failures';
import { MAX_AMOUNT } from './max-amount';
import { LedgerViews, type Invariant } from './views';

/** The journal id of the transfer's first entry (always below 2^53). */
export type TransferId = number;

export interface Transfer {
  debitAccount: AccountPath;
  creditAccount: AccountPath;
  /** > 0, in the smallest unit of ASSET_CODE/ASSET_SCALE. */
  amount: bigint;
}

export interface Balances {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

export interface Account extends Balances {
  path: AccountPath;
  rule: LimitRule;
  limit: bigint;
}

export type TransferResult = { ok: true; id: TransferId } | TransferFailure;
export type ResolveResult = { ok: true } | NotPending;

/** An account row as the hot path reads it (raw, no object per read). */
type Row = readonly [
  rule: LimitRule,
  limit: bigint,
  debitsPosted: bigint,
  creditsPosted: bigint,
  debitsPending: bigint,
  creditsPending: bigint,
];

interface PendingRow {
  debit: AccountPath;
  credit: AccountPath;
  amount: bigint;
}

const OK: { ok: true } = Object.freeze({ ok: true });
const COLUMNS = `rule, limit_amount AS "limit", debits_posted AS debitsPosted, credits_posted AS creditsPosted,
  debits_pending AS debitsPending, credits_pending AS creditsPending`;

const UNTOUCHED: Record<LimitRule, Row> = {
  debits_must_not_exceed_credits: Object.freeze(['debits_must_not_exceed_credits', 0n, 0n, 0n, 0n, 0n] as const),
  credits_must_not_exceed_debits: Object.freeze(['credits_must_not_exceed_debits', 0n, 0n, 0n, 0n, 0n] as const),
  none: Object.freeze(['none', 0n, 0n, 0n, 0n, 0n] as const),
};

/** The zero account an on-demand path is until its first transfer; undefined for any other missing path. */
function untouched(path: string): Row | undefined {
  const kind = accountKind(path);
  return kind?.onDemand ? UNTOUCHED[kind.rule] : undefined;
}

/**
 * The only writer of money tables. Synchronous, and safe inside a caller's transaction: every operation is one
 * transaction (a savepoint when nested), so a caller that throws afterwards rolls the money back with its own
 * writes. Nothing is cached in memory for the same reason; accounts are read by primary key each time.
 */
export class Ledger {
  readonly #now: () => number;
  readonly #select: Statement<[string], Row>;
  readonly #insertAccount: Statement<[string, LimitRule]>;
  readonly #openAccount: Statement<[string, LimitRule, bigint]>;
  readonly #add: Statement<[bigint, bigint, bigint, bigint, string]>;
  readonly #journalNew: Statement<[number, string, string, string, bigint]>;
  readonly #journalResolve: Statement<[number, TransferId, string, string, string, bigint]>;
  readonly #insertPending: Statement<[TransferId, string, string, bigint, number]>;
  readonly #selectPending: Statement<[TransferId], PendingRow>;
  readonly #deletePending: Statement<[TransferId]>;
  readonly #pendingIds: Statement<[], number>;
  readonly #list: Statement<[string, string], Account>;
  readonly #views: LedgerViews;
  readonly #totals: Statement<[], { posted: bigint; pending: bigint }>;
  readonly #applyTx: Transaction<(t: Transfer, pending: boolean) => TransferResult>;
  readonly #resolveTx: Transaction<(id: TransferId, post: boolean) => ResolveResult>;
  readonly #voidAllTx: Transaction<() => number>;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#select = db
      .prepare<[string], Row>(
        `SELECT rule, limit_amount, debits_posted, credits_posted, debits_pending, credits_pending
         FROM accounts WHERE path = ?`,
      )
      .raw(true)
      .safeIntegers(true);
    this.#insertAccount = db.prepare('INSERT INTO accounts (path, rule) VALUES (?, ?)');
    this.#openAccount = db.prepare(
      `INSERT INTO accounts (path, rule, limit_amount) VALUES (?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET limit_amount = excluded.limit_amount`,
    );
    this.#add = db.prepare(
      `UPDATE accounts SET debits_posted = debits_posted + ?, credits_posted = credits_posted + ?,
         debits_pending = debits_pending + ?, credits_pending = credits_pending + ? WHERE path = ?`,
    );
    // A new transfer's id is the id of its journal entry, allocated here (the journal is never deleted from).
    this.#journalNew = db.prepare(
      `INSERT INTO journal (id, time, transfer_id, op, debit, credit, amount) VALUES
       ((SELECT coalesce(max(id), 0) + 1 FROM journal), ?, (SELECT coalesce(max(id), 0) + 1 FROM journal), ?, ?, ?, ?)`,
    );
    this.#journalResolve = db.prepare(
      'INSERT INTO journal (time, transfer_id, op, debit, credit, amount) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#insertPending = db.prepare(
      'INSERT INTO pending_transfers (id, debit, credit, amount, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#selectPending = db
      .prepare<[TransferId], PendingRow>('SELECT debit, credit, amount FROM pending_transfers WHERE id = ?')
      .safeIntegers(true);
    this.#deletePending = db.prepare('DELETE FROM pending_transfers WHERE id = ?');
    this.#pendingIds = db.prepare<[], number>('SELECT id FROM pending_transfers ORDER BY id').pluck();
    this.#list = db
      .prepare<[string, string], Account>(
        `SELECT path, ${COLUMNS} FROM accounts WHERE path >= ? AND path < ? ORDER BY path`,
      )
      .safeIntegers(true);
    this.#views = new LedgerViews(db);
    this.#totals = db
      .prepare<[], { posted: bigint; pending: bigint }>('SELECT posted, pending FROM ledger_totals WHERE id = 1')
      .safeIntegers(true);
    this.#applyTx = db.transaction((t: Transfer, pending: boolean) => this.#apply(t, pending));
    this.#resolveTx = db.transaction((id: TransferId, post: boolean) => this.#resolve(id, post));
    this.#voidAllTx = db.transaction(() => {
      const ids = this.#pendingIds.all();
      for (const id of ids) this.#resolve(id, false);
      return ids.length;
    });
  }

  /**
   * Creates the account if absent, with the rule of its kind; sets its limit when one is given (e.g. a peer's
   * creditLimit on `assets/interledger/<peer>`). Lowering a limit never undoes what was already moved.
   */
  openAccount(path: AccountPath, limit?: bigint): void {
    const kind = accountKind(path);
    if (!kind) throw new TypeError(`ledger: ${path} is not in the chart of accounts`);
    if (limit === undefined) {
      if (!this.#select.get(path)) this.#insertAccount.run(path, kind.rule);
      return;
    }
    if (typeof limit !== 'bigint' || limit < 0n || limit > MAX_AMOUNT) {
      throw new RangeError(`ledger: limit must be a bigint in [0, ${MAX_AMOUNT}]`);
    }
    if (kind.rule === 'none' && limit !== 0n) throw new RangeError(`ledger: ${path} has no rule to limit`);
    this.#openAccount.run(path, kind.rule, limit);
  }

  /** Creates and posts a transfer at once (an event charge). */
  transfer(t: Transfer): TransferResult {
    return this.#applyTx.immediate(t, false);
  }

  /** Creates a pending transfer: limits already count it; `post` or `void` settles it. */
  createPending(t: Transfer): TransferResult {
    return this.#applyTx.immediate(t, true);
  }

  post(id: TransferId): ResolveResult {
    return this.#resolveTx.immediate(id, true);
  }

  void(id: TransferId): ResolveResult {
    return this.#resolveTx.immediate(id, false);
  }

  /** Voids every pending transfer (at start: their packets died with the previous process). Returns how many. */
  voidAllPending(): number {
    return this.#voidAllTx.immediate();
  }

  /** The four totals; zeros for an on-demand account never touched; undefined for a path without an account. */
  balance(path: AccountPath): Balances | undefined {
    const row = this.#load(path);
    if (!row) return undefined;
    const [, , debitsPosted, creditsPosted, debitsPending, creditsPending] = row;
    return { debitsPosted, creditsPosted, debitsPending, creditsPending };
  }

  /**
   * What can still be debited: credits posted − debits posted − debits pending, plus the limit on a debit-limited
   * account. For a pubkey its spendable balance; for a peer how much more it may send us. 0n without an account.
   */
  available(path: AccountPath): bigint {
    const row = this.#load(path);
    if (!row) return 0n;
    const [rule, limit, debitsPosted, creditsPosted, debitsPending] = row;
    return creditsPosted + (rule === 'debits_must_not_exceed_credits' ? limit : 0n) - debitsPosted - debitsPending;
  }

  /** Accounts whose path starts with `prefix`, by path. */
  listAccounts(prefix = ''): Account[] {
    // Paths compare bytewise; U+10FFFF sorts after every character that can follow the prefix.
    return this.#list.all(prefix, `${prefix}\u{10FFFF}`);
  }

  /** The zero-sum check in O(1), from the totals row the triggers of 0008_ledger_totals.sql keep with `accounts`. */
  totals(): Invariant {
    const row = this.#totals.get();
    if (!row) throw new Error('ledger: the ledger_totals row is missing');
    const { posted, pending } = row;
    return { posted, pending, balanced: posted === 0n && pending === 0n };
  }

  /** The zero-sum check from every account row (a deep check, O(accounts)); `totals()` must agree with it. */
  invariant(): Invariant {
    return this.#views.invariant();
  }

  #load(path: string): Row | undefined {
    return this.#select.get(path) ?? untouched(path);
  }

  #apply({ debitAccount, creditAccount, amount }: Transfer, pending: boolean): TransferResult {
    if (typeof amount !== 'bigint' || amount <= 0n) throw new RangeError(`ledger: amount must be a bigint > 0`);
    if (debitAccount === creditAccount) throw new RangeError(`ledger: transfer from ${debitAccount} to itself`);
    const dRow = this.#select.get(debitAccount);
    const d = dRow ?? untouched(debitAccount);
    if (!d) return { ok: false, reason: 'unknown_account', account: debitAccount };
    const cRow = this.#select.get(creditAccount);
    const c = cRow ?? untouched(creditAccount);
    if (!c) return { ok: false, reason: 'unknown_account', account: creditAccount };

    const [dRule, dLimit, dDebitsPosted, dCreditsPosted, dDebitsPending] = d;
    const [cRule, cLimit, cDebitsPosted, cCreditsPosted, , cCreditsPending] = c;
    const debits = dDebitsPosted + dDebitsPending + amount;
    const credits = cCreditsPosted + cCreditsPending + amount;
    if (debits > MAX_AMOUNT) return { ok: false, reason: 'overflow', account: debitAccount };
    if (credits > MAX_AMOUNT) return { ok: false, reason: 'overflow', account: creditAccount };
    if (dRule === 'debits_must_not_exceed_credits' && debits > dCreditsPosted + dLimit) {
      const available = dCreditsPosted + dLimit - dDebitsPosted - dDebitsPending;
      return { ok: false, reason: 'insufficient_balance', account: debitAccount, available };
    }
    if (cRule === 'credits_must_not_exceed_debits' && credits > cDebitsPosted + cLimit) {
      const available = cDebitsPosted + cLimit - cCreditsPosted - cCreditsPending;
      return { ok: false, reason: 'exceeds_limit', account: creditAccount, available };
    }

    // Refusals returned above, before any write; an on-demand account is written only with its first transfer.
    if (!dRow) this.#insertAccount.run(debitAccount, dRule);
    if (!cRow) this.#insertAccount.run(creditAccount, cRule);
    const now = this.#now();
    let id: TransferId;
    if (pending) {
      this.#add.run(0n, 0n, amount, 0n, debitAccount);
      this.#add.run(0n, 0n, 0n, amount, creditAccount);
      id = Number(this.#journalNew.run(now, 'create', debitAccount, creditAccount, amount).lastInsertRowid);
      this.#insertPending.run(id, debitAccount, creditAccount, amount, now);
    } else {
      this.#add.run(amount, 0n, 0n, 0n, debitAccount);
      this.#add.run(0n, amount, 0n, 0n, creditAccount);
      id = Number(this.#journalNew.run(now, 'transfer', debitAccount, creditAccount, amount).lastInsertRowid);
    }
    return { ok: true, id };
  }

  #resolve(id: TransferId, post: boolean): ResolveResult {
    const p = this.#selectPending.get(id);
    if (!p) return NOT_PENDING;
    const { debit, credit, amount } = p;
    this.#deletePending.run(id);
    const moved = post ? amount : 0n;
    if (this.#add.run(moved, 0n, -amount, 0n, debit).changes !== 1) throw new Error(`ledger: ${debit} vanished`);
    if (this.#add.run(0n, moved, 0n, -amount, credit).changes !== 1) throw new Error(`ledger: ${credit} vanished`);
    this.#journalResolve.run(this.#now(), id, post ? 'post' : 'void', debit, credit, amount);
    return OK;
  }
}
