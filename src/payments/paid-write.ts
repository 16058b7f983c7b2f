import type { NostrEvent } from '../nostr/event';
import { balanceAccount } from '../ledger/account-paths';
import type { Ledger } from '../ledger/ledger';
import type { DurableWriter, Lost } from '../storage/durable-writer';
import type { EventStore, InsertResult } from '../storage/events';
import { priceOf, type Prices } from './pricing';

/** Not stored for want of balance: the facts of the `restricted: payment required` refusal. */
export interface Unpaid {
  status: 'unpaid';
  price: bigint;
  /** The payer's prepaid balance, short of `price`. */
  balance: bigint;
}

export type PaidWriteResult = InsertResult | Unpaid;

/** An ephemeral event paid for (or free): it is fanned out, never stored. */
const ACCEPTED: PaidWriteResult = Object.freeze({ status: 'stored' });

/**
 * The one place a paid EVENT moves money: its price, the payer's balance, the charge and the refusal's facts. The
 * event and its charge are written in the same transaction of the durable writer (neither exists without the
 * other), and the answer waits for that transaction to be on disk.
 */
export class PaidWrite {
  constructor(
    private readonly writer: DurableWriter,
    private readonly store: EventStore,
    private readonly ledger: Ledger,
    private readonly prices: Prices,
  ) {}

  /**
   * Stores a verified event, charging its price to `payer` when it is stored; an ephemeral event is only charged
   * (and a free one answered at once, with no write). `serialized`: its NIP-01 serialization, which is priced.
   */
  submit(
    event: NostrEvent,
    raw: string,
    payer: string,
    serialized: string,
    ephemeral: boolean,
    done: (result: PaidWriteResult | Lost) => void,
  ): void {
    const price = this.prices.isFree ? 0n : priceOf(this.prices, event.kind, event.pubkey, Buffer.byteLength(serialized));
    if (!ephemeral) this.writer.run(() => this.write(event, raw, payer, price), done);
    else if (price > 0n) this.writer.run(() => this.chargeOnly(payer, price), done);
    else done(ACCEPTED);
  }

  /** The hook run inside the writer's transaction: (event, raw, payer) → stored | duplicate | rejected | unpaid. */
  private write(event: NostrEvent, raw: string, payer: string, price: bigint): PaidWriteResult {
    const balance = price > 0n ? this.balance(payer) : 0n;
    if (balance < price) {
      // Unpaid: answer what the insert would have answered (a duplicate stays a duplicate), keeping nothing.
      const would = this.writer.dryRun(() => this.store.insert(event, raw));
      return would.status === 'stored' ? { status: 'unpaid', price, balance } : would;
    }
    const r = this.store.insert(event, raw);
    if (r.status === 'stored' && price > 0n) this.charge(payer, price);
    return r;
  }

  /** An ephemeral event is not stored: only its price moves. */
  private chargeOnly(payer: string, price: bigint): PaidWriteResult {
    const balance = this.balance(payer);
    if (balance < price) return { status: 'unpaid', price, balance };
    this.charge(payer, price);
    return ACCEPTED;
  }

  private balance(payer: string): bigint {
    return this.ledger.available(balanceAccount(payer));
  }

  /** Dr liabilities/balances/<payer>, Cr revenue/relay-fees; only called after balance() said it is covered. */
  private charge(payer: string, price: bigint): void {
    const r = this.ledger.transfer({ debitAccount: balanceAccount(payer), creditAccount: 'revenue/relay-fees', amount: price });
    // the balance was checked in the same transaction on the only connection that writes: this cannot fail
    if (!r.ok) throw new Error(`ledger refused a covered charge: ${r.reason}`);
  }
}
