import type { Unpaid } from '../payments/paid-write';

/** NIP-01's machine-readable prefixes of an `OK false`, CLOSED or NOTICE reason. */
export type RefusalPrefix = 'auth-required' | 'blocked' | 'restricted' | 'rate-limited' | 'invalid' | 'pow' | 'duplicate' | 'error' | 'mute';

/**
 * Why the relay refuses a message, as a value. Code decides from it (an AUTH challenge goes with `auth-required`,
 * metrics count a payment-required refusal apart), never from its words, which refusalText alone writes.
 */
export interface Refusal {
  readonly prefix: RefusalPrefix;
  /** The human-readable part, after `<prefix>: `. */
  readonly detail: string;
  /** Set on `restricted: payment required`: the price asked and the payer's balance (payments/paid-write.ts). */
  readonly unpaid?: Unpaid;
}

export const refusal = (prefix: RefusalPrefix, detail: string): Refusal => ({ prefix, detail });

/** The NIP-01 reason: `<prefix>: <detail>`. */
export const refusalText = (r: Refusal): string => (r.prefix ? `${r.prefix}: ${r.detail}` : r.detail);

/**
 * A refusal storage worded (it imports nothing of relay/, so it answers NIP-01 text: `blocked: …`), as a value.
 * Its prefixes are ones of RefusalPrefix; metrics label any other "other".
 */
export function refusalOf(text: string): Refusal {
  const colon = text.indexOf(': ');
  if (colon <= 0) return { prefix: '' as RefusalPrefix, detail: text };
  return { prefix: text.slice(0, colon) as RefusalPrefix, detail: text.slice(colon + 2) };
}

/** Where and in what the payer can pay, for the payment-required refusal. */
export interface PayTo {
  assetCode: string;
  assetScale: number;
  /** The payment pointer, `$host/pay/<payer>`. */
  pointer: string;
  /** Whether the balance may be shown: only to a session that proved the payer's key, else anyone could read it. */
  showBalance: boolean;
}

/** `restricted: payment required: price P[, balance B] (ASSET, scale S); pay to $host/pay/<payer>`. */
export function paymentRequired(unpaid: Unpaid, to: PayTo): Refusal {
  const shown = to.showBalance ? `, balance ${unpaid.balance}` : '';
  const detail = `payment required: price ${unpaid.price}${shown} (${to.assetCode}, scale ${to.assetScale}); pay to ${to.pointer}`;
  return { prefix: 'restricted', detail, unpaid };
}
