import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load';
import { settings } from '../src/config/schema';

describe('config', () => {
  it('has a default for every setting, and the defaults load', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('./data');
    expect(c.ilpAddress).toBe('test.peer');
    expect(c.assetCode).toBe('USD');
    expect(c.assetScale).toBe(9);
    expect(c.priceBase).toBe(0n);
    expect(c.maxMessageBytes).toBe(262144);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.keys(c).sort()).toEqual(Object.keys(settings).sort());
  });

  it('parses typed values', () => {
    const c = loadConfig({
      PRICE_BASE: '10',
      PRICE_KINDS: '{"1":"50","30023":500}',
      FREE_PUBKEYS: `${'a'.repeat(64)}, ${'b'.repeat(64)}`,
      ILP_PEERS: JSON.stringify([{ id: 'alice', token: 'x'.repeat(20), creditLimit: '1000', routes: ['g.alice'] }]),
    });
    expect(c.priceBase).toBe(10n);
    expect([...c.priceKinds]).toEqual([[1, 50n], [30023, 500n]]);
    expect(c.freePubkeys).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(c.ilpPeers).toEqual([{ id: 'alice', token: 'x'.repeat(20), creditLimit: 1000n, routes: ['g.alice'] }]);
  });

  it.each([
    ['PORT', 'eighty', /^PORT="eighty" is invalid: expected an integer from 0 to 65535$/],
    ['PORT', '70000', /^PORT="70000" is invalid/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL="loud" is invalid: expected one of fatal, error/],
    ['PRICE_BASE', '1.5', /^PRICE_BASE="1.5" is invalid: expected a non-negative integer amount/],
    ['PRICE_BASE', '-1', /^PRICE_BASE="-1" is invalid/],
    ['PRICE_KINDS', '{"1":"x"}', /^PRICE_KINDS=.* is invalid/],
    ['PRICE_KINDS', '[1]', /^PRICE_KINDS=.* is invalid: expected a JSON object/],
    ['FREE_PUBKEYS', 'npub1xyz', /^FREE_PUBKEYS="npub1xyz" is invalid/],
    ['ILP_ADDRESS', 'not an address', /^ILP_ADDRESS=.* is invalid: expected an ILP address/],
    ['ILP_PEERS', '[{"id":"a","token":"short"}]', /^ILP_PEERS=.* is invalid: entry 0: "token"/],
    ['ILP_PEERS', '{', /^ILP_PEERS="\{" is invalid: expected a JSON array/],
    ['ASSET_SCALE', '256', /^ASSET_SCALE="256" is invalid/],
    ['PUBLIC_URL', 'http://x', /^PUBLIC_URL="http:\/\/x" is invalid: expected a ws:\/\/ or wss:\/\/ URL/],
    ['MAX_MESSAGE_BYTES', '10', /^MAX_MESSAGE_BYTES="10" is invalid/],
    ['RELAY_PUBKEY', 'xyz', /^RELAY_PUBKEY="xyz" is invalid/],
  ])('refuses %s=%s with one line naming the variable', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('needs both dashboard credentials or neither', () => {
    expect(() => loadConfig({ DASHBOARD_USER: 'admin' })).toThrow(/DASHBOARD_USER and DASHBOARD_PASSWORD/);
    expect(loadConfig({ DASHBOARD_USER: 'admin', DASHBOARD_PASSWORD: 'pw' }).dashboardUser).toBe('admin');
  });
});
