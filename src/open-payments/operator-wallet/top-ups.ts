import type { Statement } from 'better-sqlite3';
import { balanceAccount } from '../../ledger/account-paths';
import type { Ledger } from '../../ledger/ledger';
import type { Db } from '../../storage/database';
import type { ScaleConversion } from './scale';

/** An open top-up as the watcher reads it. */
export interface OpenTopUp {
  incomingPayment: string;
  pubkey: string;
  expiresAt: number;
  reads: number;
}

/** The top-ups table (migration 0010): created, read on a schedule, credited once. */
export class TopUps {
  readonly #insert: Statement<[string, string, bigint, number, number, number]>;
  readonly #due: Statement<[number, number], OpenTopUp>;
  readonly #reschedule: Statement<[number, string]>;
  readonly #markCredited: Statement<[bigint, bigint, number, string]>;
  readonly #leftover: Statement<[string], bigint>;
  readonly #setLeftover: Statement<[string, bigint]>;
  readonly #clearLeftover: Statement<[string]>;
  readonly #open: Statement<[], number>;
  readonly #openFor: Statement<[string], number>;
  readonly #owns: Statement<[string, string], number>;
  readonly #purge: Statement<[number, number]>;

  constructor(
    db: Db,
    private readonly ledger: Ledger,
    private readonly scale: ScaleConversion,
  ) {
    this.#insert = db.prepare(
      'INSERT INTO top_ups (incoming_payment, pubkey, amount, created_at, expires_at, next_read_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#due = db.prepare(
      `SELECT incoming_payment AS incomingPayment, pubkey, expires_at AS expiresAt, reads FROM top_ups
       WHERE credited IS NULL AND next_read_at <= ? ORDER BY next_read_at LIMIT ?`,
    );
    this.#reschedule = db.prepare('UPDATE top_ups SET next_read_at = ?, reads = reads + 1 WHERE incoming_payment = ? AND credited IS NULL');
    this.#markCredited = db.prepare(
      'UPDATE top_ups SET received = ?, credited = ?, credited_at = ? WHERE incoming_payment = ? AND credited IS NULL',
    );
    this.#leftover = db.prepare<[string], bigint>('SELECT units FROM top_up_leftovers WHERE pubkey = ?').pluck().safeIntegers(true);
    this.#setLeftover = db.prepare('INSERT OR REPLACE INTO top_up_leftovers (pubkey, units) VALUES (?, ?)');
    this.#clearLeftover = db.prepare('DELETE FROM top_up_leftovers WHERE pubkey = ?');
    this.#open = db.prepare<[], number>('SELECT count(*) FROM top_ups WHERE credited IS NULL').pluck();
    this.#openFor = db.prepare<[string], number>('SELECT count(*) FROM top_ups WHERE credited IS NULL AND pubkey = ?').pluck();
    this.#owns = db.prepare<[string, string], number>('SELECT 1 FROM top_ups WHERE incoming_payment = ? AND pubkey = ?').pluck();
    this.#purge = db.prepare(
      'DELETE FROM top_ups WHERE incoming_payment IN (SELECT incoming_payment FROM top_ups WHERE credited IS NOT NULL AND credited_at < ? LIMIT ?)',
    );
  }

  add(incomingPayment: string, pubkey: string, walletUnits: bigint, createdAt: number, expiresAt: number, firstReadAt: number): void {
    this.#insert.run(incomingPayment, pubkey, walletUnits, createdAt, expiresAt, firstReadAt);
  }

  due(now: number, limit: number): OpenTopUp[] {
    return this.#due.all(now, limit);
  }

  reschedule(incomingPayment: string, nextReadAt: number): void {
    this.#reschedule.run(nextReadAt, incomingPayment);
  }

  open(): number {
    return this.#open.get() ?? 0;
  }

  openFor(pubkey: string): number {
    return this.#openFor.get(pubkey) ?? 0;
  }

  /** Whether `incomingPayment` is a top-up of `pubkey` (the QR code is drawn only for those). */
  owns(incomingPayment: string, pubkey: string): boolean {
    return this.#owns.get(incomingPayment, pubkey) === 1;
  }

  /**
   * Credits `pubkey` with `received` wallet units (plus its leftover, converted to our scale) and marks the top-up
   * credited, all or nothing: the caller runs it in one transaction. Returns the amount credited, or undefined when
   * the top-up was credited already (so a second read, a restart or a race credits nothing more).
   */
  credit(top: Pick<OpenTopUp, 'incomingPayment' | 'pubkey'>, received: bigint, now: number): bigint | undefined {
    const before = this.#leftover.get(top.pubkey) ?? 0n;
    const { amount, leftover } = this.scale.fromWallet(received + before);
    if (this.#markCredited.run(received, amount, now, top.incomingPayment).changes !== 1) return undefined;
    if (leftover > 0n) this.#setLeftover.run(top.pubkey, leftover);
    else if (before > 0n) this.#clearLeftover.run(top.pubkey);
    if (amount > 0n) {
      const r = this.ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(top.pubkey), amount });
      if (!r.ok) throw new Error(`top-up: the ledger refused the credit (${r.reason})`);
    }
    return amount;
  }

  /** Deletes up to `limit` top-ups credited before `before` (their money is in the ledger's journal). */
  purgeCredited(before: number, limit: number): number {
    return this.#purge.run(before, limit).changes;
  }
}
