import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';

const entry = (settlement: unknown) => JSON.stringify([{ id: 'b', token: 'b-token-0123456789abc', creditLimit: '10', settlement }]);
const load = (settlement: unknown) => loadConfig({ ILP_PEERS: entry(settlement) });

describe('ILP_PEERS settlement', () => {
  it('reads chain, threshold and settleTo, with defaults for the rest', () => {
    expect(load({ chain: 'base', threshold: '5000', settleTo: '1000' }).ilpPeers[0].settlement).toEqual({
      chain: 'base',
      threshold: 5000n,
      settleTo: 1000n,
      deposit: 50_000n,
      redeemThreshold: 5000n,
    });
    expect(load({ chain: 'cronos', threshold: '9223372036854775807', deposit: '9223372036854775807', redeemThreshold: '1' }).ilpPeers[0].settlement).toEqual({
      chain: 'cronos',
      threshold: 2n ** 63n - 1n,
      settleTo: 0n,
      deposit: 2n ** 63n - 1n,
      redeemThreshold: 1n,
    });
    expect(loadConfig({ ILP_PEERS: '[{"id":"b","token":"b-token-0123456789abc"}]' }).ilpPeers[0].settlement).toBeUndefined();
  });

  it.each([
    ['a string', 'base', /"settlement" must be an object/],
    ['no chain', { threshold: '5' }, /"settlement.chain" must be a lowercase chain name/],
    ['an upper-case chain', { chain: 'Base', threshold: '5' }, /settlement.chain/],
    ['a number threshold', { chain: 'base', threshold: 5 }, /"settlement.threshold" must be a decimal string/],
    ['a zero threshold', { chain: 'base', threshold: '0' }, /"settlement.threshold" must be above 0/],
    ['a negative settleTo', { chain: 'base', threshold: '5', settleTo: '-1' }, /settlement.settleTo/],
    ['settleTo at threshold', { chain: 'base', threshold: '5', settleTo: '5' }, /"settlement.settleTo" must be below/],
    ['a deposit below threshold', { chain: 'base', threshold: '5', deposit: '4' }, /"settlement.deposit" must be at least/],
    ['an amount past 2^63', { chain: 'base', threshold: '9223372036854775808' }, /below 2\^63/],
    ['an unknown field', { chain: 'base', threshold: '5', settle_to: '1' }, /unknown field "settle_to"/],
  ])('refuses %s with one line naming ILP_PEERS and the entry', (_name, settlement, message) => {
    let error: Error | undefined;
    try {
      load(settlement);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toMatch(/^ILP_PEERS=.* is invalid: entry 0: /);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });
});
