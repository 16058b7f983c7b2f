import { describe, expect, it } from 'vitest';
import { accountKind, balanceAccount, peerAccount, trustAccount } from '../../src/ledger/account-paths';

describe('account paths', () => {
  it('builds paths and lowercases pubkeys', () => {
    expect(balanceAccount('AB'.repeat(32))).toBe(`liabilities/balances/${'ab'.repeat(32)}`);
    expect(peerAccount('alice')).toBe('assets/interledger/alice');
    expect(trustAccount('alice')).toBe('contra/trust/alice');
  });

  it('rejects malformed ids', () => {
    expect(() => balanceAccount('abc')).toThrow(TypeError);
    expect(() => balanceAccount('g'.repeat(64))).toThrow(TypeError);
    expect(() => peerAccount('')).toThrow(TypeError);
    expect(() => peerAccount('a/b')).toThrow(TypeError);
    expect(() => peerAccount('a.b')).toThrow(TypeError);
  });

  it('knows the rule of each kind and which are created on demand', () => {
    expect(accountKind(`liabilities/balances/${'0'.repeat(64)}`)).toEqual({
      rule: 'debits_must_not_exceed_credits',
      onDemand: true,
    });
    expect(accountKind('assets/interledger/p')).toEqual({ rule: 'debits_must_not_exceed_credits', onDemand: false });
    expect(accountKind('contra/trust/p')).toEqual({ rule: 'credits_must_not_exceed_debits', onDemand: false });
    for (const path of ['assets/settlement', 'revenue/relay-fees', 'equity/owner']) {
      expect(accountKind(path)).toEqual({ rule: 'none', onDemand: true });
    }
    for (const path of [`liabilities/balances/${'A'.repeat(64)}`, 'assets/interledger/', 'revenue/other', 'equity']) {
      expect(accountKind(path)).toBeUndefined();
    }
  });
});
