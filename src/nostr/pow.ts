import type { NostrEvent } from './event';

/** Leading zero bits of each hex digit, so the count reads the id a digit at a time. */
const ZERO_BITS = [4, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];

/** NIP-13 difficulty: the number of leading zero bits of the (lowercase hex) id. Stops at the first non-zero digit. */
export function powDifficulty(id: string): number {
  let bits = 0;
  for (let i = 0; i < id.length; i++) {
    const d = parseInt(id[i], 16);
    bits += ZERO_BITS[d];
    if (d !== 0) break;
  }
  return bits;
}

/** The target difficulty the miner committed to in `["nonce", n, target]`, or undefined when absent. */
export function committedTarget(e: NostrEvent): number | undefined {
  for (const t of e.tags) {
    if (t[0] === 'nonce' && t[2] !== undefined && /^\d{1,3}$/.test(t[2])) return Number(t[2]);
  }
  return undefined;
}
