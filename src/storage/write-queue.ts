import type { NostrEvent } from '../nostr/event';
import type { Billing } from '../payments/charge';
import type { Committer, Written } from './committer';
import type { EventStore, InsertResult } from './events';

export type WriteResult =
  | InsertResult
  | { status: 'unpaid'; price: bigint; balance: bigint }
  | { status: 'error'; message: string };

/** The answer to a write whose transaction did not reach the disk. */
export const LOST_MESSAGE = 'error: could not store the event, try again';
const LOST: WriteResult = Object.freeze({ status: 'error', message: LOST_MESSAGE });

/**
 * The relay's writes through the group committer: an event and its charge are written in the same transaction
 * (neither can exist without the other), and the answer waits for the commit, so `OK true` always means on disk.
 */
export class WriteQueue {
  /** Events written but not yet durable. */
  pending = 0;
  written = 0;

  constructor(
    private readonly committer: Committer,
    private readonly store: EventStore,
    private readonly billing: Billing,
    private readonly onError: (err: unknown) => void,
  ) {}

  get batches(): number {
    return this.committer.commits;
  }

  /** Stores an event, charging `price` to `payer` when it is stored; `done` runs once that is on disk. */
  submit(event: NostrEvent, raw: string, payer: string, price: bigint, done: (result: WriteResult) => void): void {
    this.afterCommit(
      this.write(() => {
        const balance = price > 0n ? this.billing.balance(payer) : 0n;
        if (balance < price) {
          // Unpaid: answer what the insert would have answered (a duplicate stays a duplicate), keeping nothing.
          const would = this.committer.dryRun(() => this.store.insert(event, raw));
          return would.status === 'stored' ? { status: 'unpaid', price, balance } : would;
        }
        const r = this.store.insert(event, raw);
        if (r.status === 'stored' && price > 0n) this.billing.charge(payer, price);
        return r;
      }),
      done,
    );
  }

  /** Charges for an event that is not stored (ephemeral): `done` gets stored (paid) or unpaid, once on disk. */
  chargeOnly(payer: string, price: bigint, done: (result: WriteResult) => void): void {
    this.afterCommit(
      this.write(() => {
        const balance = this.billing.balance(payer);
        if (balance < price) return { status: 'unpaid', price, balance };
        this.billing.charge(payer, price);
        return { status: 'stored' };
      }),
      done,
    );
  }

  /**
   * Runs `fn` after the answers (and so the fan-out) of every write made so far, with whether the last of them
   * reached the disk.
   */
  afterPending(fn: (durable: boolean) => void): void {
    void this.committer.settled().then(fn);
  }

  /** Commits now (shutdown); answers follow once the commit is on disk. */
  flush(): void {
    this.committer.commit();
  }

  private write(fn: () => WriteResult): Written<WriteResult> {
    try {
      return this.committer.run(fn);
    } catch (err) {
      this.onError(err);
      return { value: LOST, durable: Promise.resolve(false) };
    }
  }

  private afterCommit(written: Written<WriteResult>, done: (result: WriteResult) => void): void {
    this.pending++;
    void written.durable.then((committed) => {
      this.pending--;
      if (committed) this.written++;
      done(committed ? written.value : LOST);
    });
  }
}
