// The pay page a browser gets at GET /pay/<pubkey>: prices in words, npub, wallet address, payment pointer.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { encodeNpub } from '../../src/payments/npub';
import { pricesFrom } from '../../src/payments/pricing';
import { inWords, payPage } from '../../src/open-payments/pay-page';

const PK = 'b'.repeat(64);

describe('pay page', () => {
  it('writes amounts as decimals of the asset', () => {
    expect(inWords(1500n, 'USD', 2)).toBe('15 USD');
    expect(inWords(1234n, 'USD', 2)).toBe('12.34 USD');
    expect(inWords(5n, 'USD', 9)).toBe('0.000000005 USD');
    expect(inWords(7n, 'XRP', 0)).toBe('7 XRP');
  });

  it('states the prices in words, the npub, the wallet address and the pointer; escapes the relay name', () => {
    const config = loadConfig({ RELAY_NAME: '<b>x</b>', PRICE_BASE: '150', PRICE_PER_BYTE: '1', PRICE_KINDS: '{"30023":"500"}', ASSET_CODE: 'USD', ASSET_SCALE: '2' });
    const html = payPage(config, pricesFrom(config), PK, 'https://relay.example', 'ignored');
    expect(html).toContain('1.5 USD, plus 0.01 USD for each byte');
    expect(html).toContain('kind 30023: 5 USD');
    expect(html).toContain(encodeNpub(PK));
    expect(html).toContain(`https://relay.example/pay/${PK}`);
    expect(html).toContain(`$relay.example/pay/${PK}`);
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
  });

  it('without PUBLIC_URL offers the payment pointer only', () => {
    const config = loadConfig({});
    const html = payPage(config, pricesFrom(config), PK, undefined, 'relay.local:8080');
    expect(html).toContain(`$relay.local:8080/pay/${PK}`);
    expect(html).toContain('no public URL');
    expect(html).toContain('free');
  });
});
