import type { NostrEvent } from '../nostr/event';
import type { Charge } from '../payments/charge';
import type { Committer } from './committer';
import type { EventStore, InsertResult } from './events';

export type WriteResult =
  | InsertResult
  | { status: 'unpaid'; price: bigint; balance: bigint }
  | { status: 'error'; message: string };

/** Thrown inside an event's savepoint to roll back its insert when the payer cannot pay. */
class Unpaid {
  constructor(readonly balance: bigint) {}
}

const LOST: WriteResult = Object.freeze({ status: 'error', message: 'error: could not store the event, try again' });

/**
 * The relay's writes through the group committer: an event and its charge are one savepoint (neither can exist
 * without the other), and the answer waits for the turn's commit, so `OK true` always means on disk.
 */
export class WriteQueue {
  /** Events written but not yet committed. */
  pending = 0;
  written = 0;

  constructor(
    private readonly committer: Committer,
    private readonly store: EventStore,
    private readonly charge: Charge,
    private readonly onError: (err: unknown) => void,
  ) {}

  get batches(): number {
    return this.committer.commits;
  }

  /** Stores an event, charging `price` to `payer` when it is stored; `done` runs after the commit. */
  submit(event: NostrEvent, raw: string, payer: string, price: bigint, done: (result: WriteResult) => void): void {
    this.afterCommit(this.write(() => {
      const r = this.store.insert(event, raw);
      if (r.status === 'stored' && price > 0n) this.pay(payer, price);
      return r;
    }, price), done);
  }

  /** Charges for an event that is not stored (ephemeral): `done` gets stored (paid) or unpaid, after the commit. */
  chargeOnly(payer: string, price: bigint, done: (result: WriteResult) => void): void {
    this.afterCommit(this.write(() => (this.pay(payer, price), { status: 'stored' as const }), price), done);
  }

  /** Commits now (shutdown); answers follow on the microtask queue. */
  flush(): void {
    this.committer.commit();
  }

  private pay(payer: string, price: bigint): void {
    const paid = this.charge(payer, price);
    if (!paid.ok) throw new Unpaid(paid.balance);
  }

  private write(fn: () => WriteResult, price: bigint): WriteResult {
    try {
      return this.committer.run(fn);
    } catch (err) {
      if (err instanceof Unpaid) return { status: 'unpaid', price, balance: err.balance };
      this.onError(err);
      return LOST;
    }
  }

  private afterCommit(result: WriteResult, done: (result: WriteResult) => void): void {
    this.pending++;
    void this.committer.durable().then((committed) => {
      this.pending--;
      if (committed) this.written++;
      done(committed || result.status !== 'stored' ? result : LOST);
    });
  }
}
