import type { Config } from '../config/load';

export interface Prices {
  base: bigint;
  perByte: bigint;
  kinds: ReadonlyMap<number, bigint>;
  free: ReadonlySet<string>;
  /** All prices 0: a free relay, with no payment work on the hot path. */
  isFree: boolean;
}

export function pricesFrom(config: Config): Prices {
  const kinds = config.priceKinds;
  return {
    base: config.priceBase,
    perByte: config.pricePerByte,
    kinds,
    free: new Set(config.freePubkeys),
    isFree: config.priceBase === 0n && config.pricePerByte === 0n && [...kinds.values()].every((p) => p === 0n),
  };
}

/**
 * The contract's price: (PRICE_KINDS[kind] ?? PRICE_BASE) + PRICE_PER_BYTE × UTF-8 bytes of the NIP-01
 * serialization, so whitespace a client adds costs nothing. 0 for FREE_PUBKEYS authors.
 */
export function priceOf(prices: Prices, kind: number, author: string, serializedBytes: number): bigint {
  if (prices.isFree || prices.free.has(author)) return 0n;
  return (prices.kinds.get(kind) ?? prices.base) + prices.perByte * BigInt(serializedBytes);
}
