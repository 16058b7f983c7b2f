import type { NostrEvent } from '../nostr/event';
import type { Db } from './database';
import type { EventStore, InsertResult } from './events';

export type WriteResult = InsertResult | { status: 'error'; message: string };

interface Pending {
  event: NostrEvent;
  raw: string;
  done: (result: WriteResult) => void;
}

/**
 * Group commit: events accepted during one event-loop turn are written in one transaction, and their callbacks
 * (the OK answers and the fan-out) run only after it commits, so `OK true` always means durably stored.
 */
export class WriteQueue {
  private queue: Pending[] = [];
  private scheduled = false;
  batches = 0;
  written = 0;

  constructor(
    private readonly db: Db,
    private readonly store: EventStore,
    private readonly onError: (err: unknown) => void,
  ) {}

  submit(event: NostrEvent, raw: string, done: (result: WriteResult) => void): void {
    this.queue.push({ event, raw, done });
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

  /** One savepoint per event, so a failure in one event's rows cannot leave half of it in the batch's commit. */
  private insertOne(p: Pending): WriteResult {
    try {
      return this.db.transaction(() => this.store.insert(p.event, p.raw))();
    } catch (err) {
      this.onError(err);
      return { status: 'error', message: 'error: could not store the event' };
    }
  }
}
