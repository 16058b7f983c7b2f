import { LRUCache } from 'lru-cache';
import type { Rate } from '../config/schema';

/**
 * Keys tracked at once per kind of action. The least recently seen key is forgotten first, which only gives that
 * key a full bucket again: memory stays bounded however many addresses or pubkeys show up.
 */
const MAX_KEYS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by IP or pubkey (lru-cache where the old stack used Redis): O(1) per action. */
export class TokenBuckets {
  private readonly buckets = new LRUCache<string, Bucket>({ max: MAX_KEYS });
  private readonly perMs: number;

  constructor(
    readonly rate: Rate,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.perMs = rate.count / (rate.seconds * 1000);
  }

  /** Takes one token for `key`; false when the bucket is empty (the action is over the rate). */
  take(key: string): boolean {
    const now = this.clock();
    const b = this.buckets.get(key);
    if (!b) {
      this.buckets.set(key, { tokens: this.rate.count - 1, at: now });
      return true;
    }
    b.tokens = Math.min(this.rate.count, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until `key` has a token again (for Retry-After). */
  wait(key: string): number {
    const b = this.buckets.peek(key);
    if (!b) return 0;
    const tokens = Math.min(this.rate.count, b.tokens + (this.clock() - b.at) * this.perMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.perMs / 1000);
  }
}

/** A bucket set for `rate`, or undefined when the setting turns the limit off. */
export const bucketsFor = (rate: Rate | null): TokenBuckets | undefined => (rate ? new TokenBuckets(rate) : undefined);
