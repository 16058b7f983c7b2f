import type { Statement } from 'better-sqlite3';
import type { Db } from '../../storage/database';

/**
 * Counting a million events and their authors takes SQLite a fraction of a second (a walk of the smallest index
 * and of events_by_author): done at most once a minute, on a poll, never per poll. No triggers on `events`: the
 * ingest path stays as benchmarked.
 */
export const STORE_COUNT_MS = 60_000;

export interface StoreCounts {
  events: number;
  pubkeys: number;
  /** When they were counted (ISO), and how long it took (ms). */
  at: string;
  tookMs: number;
}

export class StoreCounter {
  private readonly count: Statement<[], { events: number; pubkeys: number }>;
  private last?: StoreCounts;
  private lastAt = 0;

  constructor(
    db: Db,
    private readonly maxAgeMs = STORE_COUNT_MS,
  ) {
    this.count = db.prepare<[], { events: number; pubkeys: number }>(
      'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM (SELECT DISTINCT pubkey FROM events)) AS pubkeys',
    );
  }

  /** The latest counts, counted again first when they are older than `maxAgeMs`. */
  get(): StoreCounts {
    const now = Date.now();
    if (!this.last || now - this.lastAt >= this.maxAgeMs) {
      const started = performance.now();
      const r = this.count.get()!;
      this.last = { events: r.events, pubkeys: r.pubkeys, at: new Date(now).toISOString(), tookMs: Math.round(performance.now() - started) };
      this.lastAt = now;
    }
    return this.last;
  }
}
