import type { Bound } from './bound';
import type { ItemSet } from './item-set';
import { BUCKETS, ID_LIST_THRESHOLD, Mode } from './protocol';
import type { RangeWriter } from './range-writer';

/**
 * Describes our items [lower, upper), which end at `upperBound`, for the other side to compare: the ids
 * themselves when there are fewer than 32, else 16 buckets of near-equal size (the first ones one larger), each
 * closed by the shortest bound before its successor and sent as a fingerprint.
 */
export function splitRange(set: ItemSet, lower: number, upper: number, upperBound: Bound, out: RangeWriter): void {
  const n = upper - lower;
  if (n < ID_LIST_THRESHOLD) {
    out.bound(upperBound);
    out.varint(Mode.IdList);
    out.varint(n);
    for (let i = lower; i < upper; i++) out.bytes(set.id(i));
    return;
  }
  const perBucket = Math.floor(n / BUCKETS);
  const withExtra = n % BUCKETS;
  let curr = lower;
  for (let b = 0; b < BUCKETS; b++) {
    const start = curr;
    curr += perBucket + (b < withExtra ? 1 : 0);
    out.bound(curr === upper ? upperBound : set.boundBefore(curr));
    out.varint(Mode.Fingerprint);
    out.bytes(set.fingerprint(start, curr));
  }
}
