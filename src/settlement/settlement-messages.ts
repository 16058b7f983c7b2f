import type { Address, Hex } from 'viem';

/** The BTP sub-protocol that carries settlement between peers (a Message's first protocolData entry, JSON). */
export const SETTLEMENT_PROTOCOL = 'settlement';

/** A settlement message is a few hex fields; anything longer is refused unread. */
export const MAX_SETTLEMENT_MESSAGE = 2048;

/** Asks the peer for its address on a chain (the payee of the channel we open to it). Answer: `{address}`. */
export interface PaymentDetailsRequest {
  type: 'paymentDetails';
  chain: string;
}

/**
 * A voucher on our channel to the peer, with what it needs to recompute the channel id (and so check the token).
 * Answer: `{accepted}`, the cumulative amount the peer now holds. Cumulative: resending it is harmless.
 */
export interface VoucherMessage {
  type: 'voucher';
  chain: string;
  channelId: Hex;
  payer: Address;
  token: Address;
  salt: Hex;
  authorizedSigner: Address;
  cumulativeAmount: bigint;
  signature: Hex;
}

export type SettlementMessage = PaymentDetailsRequest | VoucherMessage;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const CHAIN = /^[a-z][a-z0-9]{0,31}$/;
const UINT128 = /^\d{1,39}$/;

const ENCODER = new TextEncoder();

export function encodeSettlementMessage(m: SettlementMessage): Uint8Array {
  return ENCODER.encode(JSON.stringify(m.type === 'voucher' ? { ...m, cumulativeAmount: String(m.cumulativeAmount) } : m));
}

/** The message, or a reason it is not one (answered F01). */
export function decodeSettlementMessage(data: Uint8Array): SettlementMessage | string {
  if (data.byteLength > MAX_SETTLEMENT_MESSAGE) return `settlement message larger than ${MAX_SETTLEMENT_MESSAGE} bytes`;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'settlement message is not JSON';
  }
  if (typeof o !== 'object' || o === null) return 'settlement message is not a JSON object';
  if (typeof o.chain !== 'string' || !CHAIN.test(o.chain)) return 'settlement message needs a chain';
  if (o.type === 'paymentDetails') return { type: 'paymentDetails', chain: o.chain };
  if (o.type !== 'voucher') return 'unknown settlement message type';
  for (const k of ['payer', 'token', 'authorizedSigner'] as const) if (typeof o[k] !== 'string' || !ADDRESS.test(o[k] as string)) return `voucher ${k} must be an address`;
  for (const k of ['channelId', 'salt'] as const) if (typeof o[k] !== 'string' || !BYTES32.test(o[k] as string)) return `voucher ${k} must be 32 bytes of hex`;
  if (typeof o.signature !== 'string' || !SIGNATURE.test(o.signature)) return 'voucher signature must be 65 bytes of hex';
  if (typeof o.cumulativeAmount !== 'string' || !UINT128.test(o.cumulativeAmount) || BigInt(o.cumulativeAmount) >= 2n ** 128n) {
    return 'voucher cumulativeAmount must be a decimal uint128';
  }
  return {
    type: 'voucher',
    chain: o.chain,
    channelId: (o.channelId as string).toLowerCase() as Hex,
    payer: o.payer as Address,
    token: o.token as Address,
    salt: o.salt as Hex,
    authorizedSigner: o.authorizedSigner as Address,
    cumulativeAmount: BigInt(o.cumulativeAmount),
    signature: o.signature as Hex,
  };
}
