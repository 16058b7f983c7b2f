import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database';

/** An incoming payment as stored; amounts in the relay's asset (ASSET_CODE/ASSET_SCALE), times in ms. */
export interface IncomingPaymentRow {
  id: string;
  pubkey: string;
  client: string;
  incomingAmount: bigint | null;
  receivedAmount: bigint;
  /** Set by POST …/complete; see `isCompleted` for completion by amount. */
  completed: boolean;
  metadata: Record<string, unknown> | undefined;
  streamToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface NewIncomingPayment {
  id: string;
  pubkey: string;
  client: string;
  incomingAmount: bigint | undefined;
  metadata: Record<string, unknown> | undefined;
  streamToken: string;
  createdAt: number;
  expiresAt: number;
}

/** What `recordReceived` answers when the payment takes no more money; `credit` did not run. */
export const PAYMENT_CLOSED = Object.freeze({ ok: false as const, reason: 'incoming_payment_closed' as const });
export type PaymentClosed = typeof PAYMENT_CLOSED;

interface RawRow {
  id: string;
  pubkey: string;
  client: string;
  incoming_amount: bigint | null;
  received_amount: bigint;
  completed: bigint;
  metadata: string | null;
  stream_token: string;
  created_at: bigint;
  expires_at: bigint;
}

/** Completed: marked so, or everything asked for has arrived (the spec's `receivedAmount ≥ incomingAmount`). */
export const isCompleted = (p: IncomingPaymentRow): boolean =>
  p.completed || (p.incomingAmount !== null && p.receivedAmount >= p.incomingAmount);

/** Takes money: neither completed nor expired. */
export const isOpen = (p: IncomingPaymentRow, now: number): boolean => !isCompleted(p) && now < p.expiresAt;

const fromRaw = (r: RawRow): IncomingPaymentRow => ({
  id: r.id,
  pubkey: r.pubkey,
  client: r.client,
  incomingAmount: r.incoming_amount,
  receivedAmount: r.received_amount,
  completed: r.completed === 1n,
  metadata: r.metadata === null ? undefined : (JSON.parse(r.metadata) as Record<string, unknown>),
  streamToken: r.stream_token,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

/**
 * The incoming payments table (migration 0009). Synchronous and transaction-agnostic like the Ledger: the caller
 * runs writes in the committer's turn, so `recordReceived` shares the credit's transaction.
 */
export class IncomingPayments {
  readonly #insert: Statement;
  readonly #get: Statement<[string], RawRow>;
  readonly #add: Statement<[bigint, string]>;
  readonly #complete: Statement<[string]>;
  readonly #page: Statement<[string, string | null, string | null, number, string, number], RawRow>;
  readonly #purge: Statement<[number, number]>;
  readonly #live: Statement<[string, number, number], number>;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.#insert = db.prepare(
      `INSERT INTO op_incoming_payments (id, pubkey, client, incoming_amount, metadata, stream_token, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = db.prepare<[string], RawRow>('SELECT * FROM op_incoming_payments WHERE id = ?').safeIntegers(true);
    this.#add = db.prepare('UPDATE op_incoming_payments SET received_amount = received_amount + ? WHERE id = ?');
    this.#complete = db.prepare('UPDATE op_incoming_payments SET completed = 1 WHERE id = ?');
    // Keyset pagination by (created_at, id), oldest first.
    this.#page = db
      .prepare<[string, string | null, string | null, number, string, number], RawRow>(
        `SELECT * FROM op_incoming_payments WHERE pubkey = ? AND (? IS NULL OR client = ?) AND (created_at, id) > (?, ?)
         ORDER BY created_at, id LIMIT ?`,
      )
      .safeIntegers(true);
    this.#live = db
      .prepare<[string, number, number], number>(
        `SELECT count(*) FROM (SELECT 1 FROM op_incoming_payments WHERE client = ? AND expires_at > ? AND completed = 0
           AND (incoming_amount IS NULL OR received_amount < incoming_amount) LIMIT ?)`,
      )
      .pluck();
    this.#purge = db.prepare(
      'DELETE FROM op_incoming_payments WHERE id IN (SELECT id FROM op_incoming_payments WHERE expires_at < ? LIMIT ?)',
    );
  }

  create(p: NewIncomingPayment): IncomingPaymentRow {
    this.#insert.run(
      p.id,
      p.pubkey,
      p.client,
      p.incomingAmount ?? null,
      p.metadata === undefined ? null : JSON.stringify(p.metadata),
      p.streamToken,
      p.createdAt,
      p.expiresAt,
    );
    return this.get(p.id)!;
  }

  get(id: string): IncomingPaymentRow | undefined {
    const r = this.#get.get(id);
    return r && fromRaw(r);
  }

  /** Whether packets for `id` may still bring money (before the credit: answers probes and refusals early). */
  takesMoney(id: string): boolean {
    const p = this.get(id);
    return p !== undefined && isOpen(p, this.now());
  }

  /**
   * The tie between STREAM credits and incoming payments; MUST run inside the credit's transaction. When payment
   * `id` still takes money, runs `credit` (the ledger transfer of the packet's `amount` to the payment's pubkey) and,
   * if it succeeded, adds `amount` to `receivedAmount` in the same transaction. Otherwise (completed, expired,
   * purged) nothing is written and PAYMENT_CLOSED is returned. The packet that reaches `incomingAmount` is taken
   * whole, as the spec's "equals or exceeds" allows; the next one is refused.
   */
  recordReceived<T extends { ok: boolean }>(id: string, amount: bigint, credit: () => T): T | PaymentClosed {
    if (!this.takesMoney(id)) return PAYMENT_CLOSED;
    const result = credit();
    if (result.ok) this.#add.run(amount, id);
    return result;
  }

  /** Undoes `recordReceived` for a credit that was undone (its packet expired while it was written). */
  undoReceived(id: string, amount: bigint): void {
    this.#add.run(-amount, id);
  }

  complete(id: string): IncomingPaymentRow | undefined {
    this.#complete.run(id);
    return this.get(id);
  }

  /** Up to `limit` payments of `pubkey` (created by `client`, if given) after the cursor, oldest first. */
  page(pubkey: string, client: string | undefined, after: { createdAt: number; id: string } | undefined, limit: number): IncomingPaymentRow[] {
    const c = client ?? null;
    return this.#page.all(pubkey, c, c, after?.createdAt ?? -1, after?.id ?? '', limit).map(fromRaw);
  }

  /** How many payments created by `client` still take money (neither completed nor expired), counting at most `max`. */
  liveOf(client: string, max: number): number {
    return this.#live.get(client, this.now(), max)!;
  }

  /** Deletes up to `max` payments that expired before `before`; returns how many. */
  purgeExpired(before: number, max: number): number {
    return this.#purge.run(before, max).changes;
  }
}
