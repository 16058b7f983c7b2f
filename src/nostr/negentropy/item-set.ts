import { minimalBound, type Bound } from './bound';
import { fingerprintOf } from './fingerprint';
import { ID_SIZE } from './protocol';
import { addId, subtractToBytes } from './sum256';

/**
 * One side's records, sorted by (timestamp, id) and frozen. Ids sit in one buffer; `sums` holds the running sum
 * of the ids (8 words per position), so the fingerprint of any range is one subtraction and one sha256.
 * Memory: 8 + 32 + 32 bytes per item.
 */
export class ItemSet {
  /** The arrays are public so a set built on a read worker can be moved to the event loop without copying. */
  constructor(
    readonly timestamps: Float64Array,
    readonly ids: Buffer,
    readonly sums: Uint32Array,
  ) {}

  get size(): number {
    return this.timestamps.length;
  }

  timestamp(i: number): number {
    return this.timestamps[i];
  }

  id(i: number): Uint8Array {
    return this.ids.subarray(i * ID_SIZE, (i + 1) * ID_SIZE);
  }

  idHex(i: number): string {
    return this.ids.toString('hex', i * ID_SIZE, (i + 1) * ID_SIZE);
  }

  /** The first index at or after `from` whose item does not sort below `b`. */
  lowerBound(b: Bound, from = 0): number {
    let lo = from;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.below(mid, b)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Fingerprint of the items [lo, hi). */
  fingerprint(lo: number, hi: number): Uint8Array {
    return fingerprintOf(subtractToBytes(this.sums, hi * 8, this.sums, lo * 8), hi - lo);
  }

  /** The shortest bound between item i − 1 and item i. */
  boundBefore(i: number): Bound {
    return minimalBound(this.timestamps[i - 1], this.id(i - 1), this.timestamps[i], this.id(i));
  }

  private below(i: number, b: Bound): boolean {
    const t = this.timestamps[i];
    if (t !== b.timestamp) return t < b.timestamp;
    // Equal over the prefix means the item is at or above the zero-padded bound.
    const off = i * ID_SIZE;
    for (let k = 0; k < b.prefix.length; k++) {
      const d = this.ids[off + k] - b.prefix[k];
      if (d !== 0) return d < 0;
    }
    return false;
  }
}

/** Collects (timestamp, id) records in any order; build() sorts them, drops exact duplicates and freezes the set. */
export class ItemSetBuilder {
  private timestamps: number[] = [];
  private ids = Buffer.alloc(ID_SIZE * 64);

  get size(): number {
    return this.timestamps.length;
  }

  /** `id` is 64 hex characters or 32 bytes; `timestamp` a non-negative safe integer (a created_at). */
  add(timestamp: number, id: string | Uint8Array): this {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`bad timestamp ${timestamp}`);
    const n = this.timestamps.length;
    if ((n + 1) * ID_SIZE > this.ids.length) {
      const next = Buffer.alloc(this.ids.length * 2);
      this.ids.copy(next);
      this.ids = next;
    }
    if (typeof id === 'string') {
      // Buffer.write stops at the first non-hex pair: fewer than 32 bytes written means a bad id.
      if (id.length !== 2 * ID_SIZE || this.ids.write(id, n * ID_SIZE, 'hex') !== ID_SIZE) {
        throw new RangeError(`bad id ${JSON.stringify(id).slice(0, 80)}`);
      }
    } else {
      if (id.length !== ID_SIZE) throw new RangeError('an id must be 32 bytes');
      this.ids.set(id, n * ID_SIZE);
    }
    this.timestamps.push(timestamp);
    return this;
  }

  build(): ItemSet {
    const n = this.timestamps.length;
    const order = this.sortedOrder();
    let timestamps: Float64Array;
    let ids: Buffer;
    if (order === undefined) {
      timestamps = Float64Array.from(this.timestamps);
      ids = Buffer.from(this.ids.subarray(0, n * ID_SIZE));
    } else {
      timestamps = new Float64Array(order.length);
      ids = Buffer.alloc(order.length * ID_SIZE);
      for (let j = 0; j < order.length; j++) {
        timestamps[j] = this.timestamps[order[j]];
        ids.set(this.ids.subarray(order[j] * ID_SIZE, (order[j] + 1) * ID_SIZE), j * ID_SIZE);
      }
    }
    const sums = new Uint32Array((timestamps.length + 1) * 8);
    for (let j = 0; j < timestamps.length; j++) addId(sums, (j + 1) * 8, sums, j * 8, ids, j * ID_SIZE);
    this.timestamps = [];
    this.ids = Buffer.alloc(ID_SIZE * 64);
    return new ItemSet(timestamps, ids, sums);
  }

  /** (timestamp, id) order of records a and b. */
  private compare(a: number, b: number): number {
    const d = this.timestamps[a] - this.timestamps[b];
    if (d !== 0) return d;
    const ids = this.ids;
    for (let k = 0, x = a * ID_SIZE, y = b * ID_SIZE; k < ID_SIZE; k++) {
      const e = ids[x + k] - ids[y + k];
      if (e !== 0) return e;
    }
    return 0;
  }

  /**
   * Indices in (timestamp, id) order without duplicates, or undefined when the input already is. Input in a
   * database's newest-first order (timestamps descending, ids ascending within a second) is put right in one pass.
   */
  private sortedOrder(): number[] | undefined {
    const n = this.timestamps.length;
    let i = 1;
    while (i < n && this.compare(i - 1, i) < 0) i++;
    if (i >= n) return undefined;
    if (this.newestFirst()) {
      // Walk the seconds from the oldest (the end) back to the newest, each second's ids forwards.
      const order: number[] = [];
      for (let end = n; end > 0; ) {
        let start = end - 1;
        while (start > 0 && this.timestamps[start - 1] === this.timestamps[end - 1]) start--;
        for (let j = start; j < end; j++) order.push(j);
        end = start;
      }
      return order;
    }
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => this.compare(a, b));
    return order.filter((v, j) => j === 0 || this.compare(order[j - 1], v) !== 0);
  }

  private newestFirst(): boolean {
    for (let i = 1; i < this.timestamps.length; i++) {
      const d = this.timestamps[i - 1] - this.timestamps[i];
      if (d < 0 || (d === 0 && this.compare(i - 1, i) >= 0)) return false;
    }
    return true;
  }
}

/** The item set of some events (or any records with created_at and a hex id). */
export function itemSetOf(events: Iterable<{ created_at: number; id: string }>): ItemSet {
  const b = new ItemSetBuilder();
  for (const e of events) b.add(e.created_at, e.id);
  return b.build();
}
