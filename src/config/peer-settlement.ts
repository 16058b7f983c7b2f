/**
 * The `settlement` of an ILP_PEERS entry: how what we owe that peer becomes money on a chain. Amounts are in the
 * smallest unit of ASSET_CODE/ASSET_SCALE, as decimal strings (JSON numbers lose precision past 2^53).
 */
export interface PeerSettlement {
  /** A chain configured by SETTLEMENT_<CHAIN>_* (lowercase name, e.g. `base`, `cronos`). */
  chain: string;
  /** When what we owe the peer passes this, we send it a voucher. */
  threshold: bigint;
  /** What we still owe it after settling (0: settle everything). Below threshold. */
  settleTo: bigint;
  /** What we lock in our channel to the peer when we open it or top it up (default: 10 × threshold). */
  deposit: bigint;
  /** We redeem the peer's vouchers on chain once the unredeemed amount passes this (default: threshold). */
  redeemThreshold: bigint;
}

const CHAIN = /^[a-z][a-z0-9]{0,31}$/;
const AMOUNT = /^\d{1,19}$/;
const MAX = 2n ** 63n - 1n;

/** Parses one entry's `settlement`; throws Error(message) naming the field, which the caller prefixes with the entry. */
export function parsePeerSettlement(raw: unknown): PeerSettlement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('"settlement" must be an object {"chain","threshold","settleTo"}');
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['chain', 'threshold', 'settleTo', 'deposit', 'redeemThreshold'].includes(key)) throw new Error(`"settlement" has an unknown field "${key}"`);
  }
  if (typeof o.chain !== 'string' || !CHAIN.test(o.chain)) throw new Error('"settlement.chain" must be a lowercase chain name such as "base"');
  const amount = (key: string, fallback?: bigint): bigint => {
    const v = o[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || !AMOUNT.test(v) || BigInt(v) > MAX) {
      throw new Error(`"settlement.${key}" must be a decimal string of an integer in the smallest unit, below 2^63`);
    }
    return BigInt(v);
  };
  const threshold = amount('threshold');
  if (threshold === 0n) throw new Error('"settlement.threshold" must be above 0');
  const settleTo = amount('settleTo', 0n);
  if (settleTo >= threshold) throw new Error('"settlement.settleTo" must be below "settlement.threshold"');
  const deposit = amount('deposit', threshold * 10n > MAX ? MAX : threshold * 10n);
  if (deposit < threshold) throw new Error('"settlement.deposit" must be at least "settlement.threshold"');
  const redeemThreshold = amount('redeemThreshold', threshold);
  return { chain: o.chain, threshold, settleTo, deposit, redeemThreshold };
}
