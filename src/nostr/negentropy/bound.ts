import { ID_SIZE } from './protocol';

/**
 * A point in the (timestamp, id) order: items below it sort before it. `prefix` is 0–32 leading id bytes; the
 * missing trailing bytes are zeros. The timestamp Infinity is the protocol's "infinity" (encoded as 0).
 */
export interface Bound {
  timestamp: number;
  prefix: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Where the first range of every message starts. */
export const ZERO_BOUND: Bound = Object.freeze({ timestamp: 0, prefix: EMPTY });

/** Where the last range of every message ends, written or implied. */
export const INFINITY_BOUND: Bound = Object.freeze({ timestamp: Infinity, prefix: EMPTY });

/** Orders two bounds: timestamps first, then the zero-padded id prefixes byte by byte. */
export function compareBounds(a: Bound, b: Bound): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  const n = Math.max(a.prefix.length, b.prefix.length);
  for (let i = 0; i < n; i++) {
    const d = (a.prefix[i] ?? 0) - (b.prefix[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The shortest bound that separates two neighbouring items (prev sorts before curr): curr's timestamp alone when
 * the timestamps differ, otherwise curr's id up to and including the first byte where the ids differ.
 */
export function minimalBound(prevTimestamp: number, prevId: Uint8Array, currTimestamp: number, currId: Uint8Array): Bound {
  if (prevTimestamp !== currTimestamp) return { timestamp: currTimestamp, prefix: EMPTY };
  let shared = 0;
  while (shared < ID_SIZE && prevId[shared] === currId[shared]) shared++;
  return { timestamp: currTimestamp, prefix: currId.slice(0, shared + 1) };
}
