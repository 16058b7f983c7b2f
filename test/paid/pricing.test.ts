import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { serializeForId } from '../../src/nostr/event';
import { priceOf, pricesFrom } from '../../src/payments/pricing';
import { signer } from '../helpers/client';

describe('pricing', () => {
  const prices = pricesFrom(loadConfig({ PRICE_BASE: '10', PRICE_PER_BYTE: '2', PRICE_KINDS: '{"7":"1","30023":"500"}', FREE_PUBKEYS: 'f'.repeat(64) }));

  it('is the kind override or base, plus per-byte × UTF-8 bytes of the NIP-01 serialization', () => {
    const e = signer().sign({ kind: 1, content: 'héllo ✓' });
    const bytes = Buffer.byteLength(serializeForId(e));
    expect(bytes).toBeGreaterThan(serializeForId(e).length); // multi-byte characters count as bytes
    expect(priceOf(prices, 1, e.pubkey, bytes)).toBe(10n + 2n * BigInt(bytes));
    expect(priceOf(prices, 7, e.pubkey, bytes)).toBe(1n + 2n * BigInt(bytes));
    expect(priceOf(prices, 30023, e.pubkey, 100)).toBe(700n);
  });

  it('is 0 for free pubkeys and for a free relay', () => {
    expect(priceOf(prices, 1, 'f'.repeat(64), 100)).toBe(0n);
    const free = pricesFrom(loadConfig({}));
    expect(free.isFree).toBe(true);
    expect(priceOf(free, 1, 'a'.repeat(64), 1000)).toBe(0n);
    expect(pricesFrom(loadConfig({ PRICE_KINDS: '{"1":"0"}' })).isFree).toBe(true);
    expect(pricesFrom(loadConfig({ PRICE_KINDS: '{"1":"3"}' })).isFree).toBe(false);
  });
});
