import { describe, expect, it } from 'vitest';
import { paymentRequired, refusal, refusalOf, refusalText } from '../../src/relay/refusal';

describe('refusals as values', () => {
  it('words a refusal as its NIP-01 reason: prefix, colon, detail', () => {
    expect(refusalText(refusal('auth-required', 'this relay serves only authenticated clients'))).toBe(
      'auth-required: this relay serves only authenticated clients',
    );
  });

  it("reads storage's words back into the value they came from, and words them the same", () => {
    for (const text of [
      'blocked: this event was deleted by its author',
      'invalid: the relay tag does not name this relay (wss://r.example/)',
      'duplicate: a newer version of this event is stored',
      'no colon',
    ]) {
      expect(refusalText(refusalOf(text))).toBe(text);
    }
    expect(refusalOf('blocked: this pubkey asked to vanish from this relay (NIP-62)')).toEqual({
      prefix: 'blocked',
      detail: 'this pubkey asked to vanish from this relay (NIP-62)',
    });
  });

  it('builds payment required from the unpaid facts, with the balance only when it may be shown', () => {
    const unpaid = { status: 'unpaid' as const, price: 120n, balance: 7n };
    const to = { assetCode: 'USD', assetScale: 9, pointer: '$relay.example/pay/ab', showBalance: false };
    const hidden = paymentRequired(unpaid, to);
    expect(hidden.prefix).toBe('restricted');
    expect(hidden.unpaid).toBe(unpaid);
    expect(refusalText(hidden)).toBe('restricted: payment required: price 120 (USD, scale 9); pay to $relay.example/pay/ab');
    expect(refusalText(paymentRequired(unpaid, { ...to, showBalance: true }))).toBe(
      'restricted: payment required: price 120, balance 7 (USD, scale 9); pay to $relay.example/pay/ab',
    );
  });
});
