/** What the dashboard charts, sampled every SAMPLE_MS; counters are running totals, the page derives rates. */
export const COLUMNS = [
  't',
  'received',
  'stored',
  'rejected',
  'fanout',
  'connections',
  'subscriptions',
  'dbBytes',
  'walBytes',
  'revenue',
  'outstanding',
  'cpu',
  'rss',
  'lagP99',
  'lagMax',
] as const;

export type Column = (typeof COLUMNS)[number];
export type Sample = Record<Column, number>;
export type Series = Record<Column, number[]>;

export const SAMPLE_MS = 5000;
/** A day of samples: 17,280 × 15 columns × 8 bytes ≈ 2.1 MB, allocated once. */
const CAPACITY = (24 * 3600 * 1000) / SAMPLE_MS;

/**
 * An in-memory ring buffer of samples for the dashboard's charts. It starts empty at each start of the peer:
 * history before a restart is not kept (the ledger totals it shows are, being read from the database).
 */
export class History {
  private readonly columns: Record<Column, Float64Array>;
  private next = 0;
  private size = 0;

  constructor(private readonly capacity = CAPACITY) {
    this.columns = Object.fromEntries(COLUMNS.map((c) => [c, new Float64Array(capacity)])) as Record<Column, Float64Array>;
  }

  add(sample: Sample): void {
    for (const c of COLUMNS) this.columns[c][this.next] = sample[c];
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Samples at or after `since` (unix ms), oldest first, thinned to at most `maxPoints` (the newest always kept). */
  series(since: number, maxPoints: number): Series {
    const idx: number[] = [];
    for (let k = 0; k < this.size; k++) {
      const i = (this.next - this.size + k + this.capacity) % this.capacity;
      if (this.columns.t[i] >= since) idx.push(i);
    }
    const step = Math.max(1, Math.ceil(idx.length / maxPoints));
    const picked = idx.filter((_, k) => (idx.length - 1 - k) % step === 0);
    return Object.fromEntries(COLUMNS.map((c) => [c, picked.map((i) => this.columns[c][i])])) as Series;
  }
}
