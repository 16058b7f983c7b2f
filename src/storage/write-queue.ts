import type { NostrEvent } from '../nostr/event';
import type { Charge } from '../payments/charge';
import type { Db } from './database';
import type { EventStore, InsertResult } from './events';

export type WriteResult =
  | InsertResult
  | { status: 'unpaid'; price: bigint; balance: bigint }
  | { status: 'error'; message: string };

interface Pending {
  event: NostrEvent;
  raw: string;
  /** Who pays `price` when the event is stored (0: nobody). */
  payer: string;
  price: bigint;
  done: (result: WriteResult) => void;
}

/** Thrown inside an event's savepoint to roll back its insert when the payer cannot pay. */
class Unpaid {
  constructor(readonly balance: bigint) {}
}

/**
 * Group commit: events accepted during one event-loop turn are written in one transaction, and their callbacks
 * (the OK answers and the fan-out) run only after it commits, so `OK true` always means durably stored. An
 * event's charge is in the same transaction as its insert: neither can exist without the other.
 */
export class WriteQueue {
  private queue: Pending[] = [];
  private scheduled = false;
  batches = 0;
  written = 0;

  constructor(
    private readonly db: Db,
    private readonly store: EventStore,
    private readonly charge: Charge,
    private readonly onError: (err: unknown) => void,
  ) {}

  submit(event: NostrEvent, raw: string, payer: string, price: bigint, done: (result: WriteResult) => void): void {
    this.queue.push({ event, raw, payer, price, done });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued now; safe to call at any time (shutdown calls it directly). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const results: WriteResult[] = new Array(batch.length);
    try {
      this.db.transaction(() => {
        for (let i = 0; i < batch.length; i++) results[i] = this.insertOne(batch[i]);
      })();
      this.batches++;
      this.written += batch.length;
    } catch (err) {
      this.onError(err);
      results.fill({ status: 'error', message: 'error: could not store the event, try again' });
    }
    for (let i = 0; i < batch.length; i++) batch[i].done(results[i]);
  }

  /** One savepoint per event, so a failed charge or a failure in one event's rows rolls back just that event. */
  private insertOne(p: Pending): WriteResult {
    try {
      return this.db.transaction(() => {
        const r = this.store.insert(p.event, p.raw);
        if (r.status === 'stored' && p.price > 0n) {
          const paid = this.charge(p.payer, p.price);
          if (!paid.ok) throw new Unpaid(paid.balance);
        }
        return r;
      })();
    } catch (err) {
      if (err instanceof Unpaid) return { status: 'unpaid', price: p.price, balance: err.balance };
      this.onError(err);
      return { status: 'error', message: 'error: could not store the event' };
    }
  }
}
