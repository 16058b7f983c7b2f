import type { Statement } from 'better-sqlite3';
import type { Db } from '../../storage/database';

/**
 * Counting a million events and their 20,000 authors takes SQLite about 0.3 s (walks of events_by_time and
 * events_by_author, measured): done on a poll, at most once a minute, and never more often than 1000 times its
 * own duration, so the event loop gives it at most 0.1 % of its time (a 0.3 s count: every 5 min). No triggers on
 * `events`: the ingest path stays as benchmarked.
 */
export const STORE_COUNT_MS = 60_000;
const COST_RATIO = 1000;

export interface StoreCounts {
  events: number;
  pubkeys: number;
  /** When they were counted (ISO), and how long it took (ms). */
  at: string;
  tookMs: number;
  /** Events stored by the relay since the count (replacements and deletions aside, what the count lags by). */
  storedSince: number;
}

export class StoreCounter {
  private readonly count: Statement<[], { events: number; pubkeys: number }>;
  private last?: Omit<StoreCounts, 'storedSince'>;
  private storedAtCount = 0;
  private nextAt = 0;

  constructor(
    db: Db,
    private readonly maxAgeMs = STORE_COUNT_MS,
  ) {
    this.count = db.prepare<[], { events: number; pubkeys: number }>(
      'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM (SELECT DISTINCT pubkey FROM events)) AS pubkeys',
    );
  }

  /** The latest counts, counted again first when they are due; `stored` is the relay's running total. */
  get(stored: number): StoreCounts {
    const now = Date.now();
    if (!this.last || now >= this.nextAt) {
      const started = performance.now();
      const r = this.count.get()!;
      const took = performance.now() - started;
      this.last = { events: r.events, pubkeys: r.pubkeys, at: new Date(now).toISOString(), tookMs: Math.round(took) };
      this.nextAt = now + Math.max(this.maxAgeMs, took * COST_RATIO);
      this.storedAtCount = stored;
    }
    return { ...this.last, storedSince: stored - this.storedAtCount };
  }
}
