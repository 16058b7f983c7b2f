import type { StoreCountsAnswer } from '../../storage/read-jobs';

/**
 * Counting a million events and their 20,000 authors takes SQLite about 0.3 s (walks of events_by_time and
 * events_by_author, measured): it runs on a read worker (never on the event loop), at most once a minute, and never
 * more often than 1000 times its own duration, so it costs a worker at most 0.1 % of its time (a 0.3 s count: every
 * 5 min). No triggers on `events`: the ingest path stays as benchmarked.
 */
export const STORE_COUNT_MS = 60_000;
const COST_RATIO = 1000;
/** After a failed count (over the read budget, shutting down): the next try. */
const RETRY_MS = 10 * 60_000;

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
  private last?: Omit<StoreCounts, 'storedSince'>;
  private storedAtCount = 0;
  private nextAt = 0;
  private counting = false;

  constructor(
    /** Runs the count off the event loop (a read worker). */
    private readonly count: () => Promise<StoreCountsAnswer>,
    private readonly maxAgeMs = STORE_COUNT_MS,
  ) {}

  /**
   * The latest counts (undefined until the first is done), asking for new ones when they are due; `stored` is the
   * relay's running total at this call.
   */
  get(stored: number): StoreCounts | undefined {
    const now = Date.now();
    if (!this.counting && now >= this.nextAt) {
      this.counting = true;
      const started = performance.now();
      this.count().then(
        (r) => {
          const took = performance.now() - started;
          this.last = { events: r.events, pubkeys: r.pubkeys, at: new Date(now).toISOString(), tookMs: Math.round(took) };
          this.nextAt = now + Math.max(this.maxAgeMs, took * COST_RATIO);
          this.storedAtCount = stored;
          this.counting = false;
        },
        () => {
          this.nextAt = Date.now() + RETRY_MS;
          this.counting = false;
        },
      );
    }
    return this.last && { ...this.last, storedSince: stored - this.storedAtCount };
  }
}
