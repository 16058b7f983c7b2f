import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceAccount, peerAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { MAX_AMOUNT } from '../../src/ledger/max-amount';
import { LedgerViews } from '../../src/ledger/views';
import { Economics } from '../../src/ops/economics';
import type { Db } from '../../src/storage/database';
import { ALICE_PK, BOB_PK, tempDatabase } from './helpers';

describe('LedgerViews: the one read model of money', () => {
  let t: ReturnType<typeof tempDatabase>;
  let db: Db;
  let ledger: Ledger;
  let views: LedgerViews;
  const alice = balanceAccount(ALICE_PK);
  const bob = balanceAccount(BOB_PK);

  beforeEach(() => {
    t = tempDatabase();
    db = t.db;
    ledger = new Ledger(db);
    views = new LedgerViews(db);
  });
  afterEach(() => t.cleanup());

  it('reads revenue, outstanding balances, payers, top payers and peer positions to the unit', () => {
    ledger.openAccount(peerAccount('p1'), 10_000n);
    expect(ledger.transfer({ debitAccount: peerAccount('p1'), creditAccount: alice, amount: 1000n }).ok).toBe(true);
    expect(ledger.transfer({ debitAccount: peerAccount('p1'), creditAccount: bob, amount: 500n }).ok).toBe(true);
    expect(ledger.transfer({ debitAccount: alice, creditAccount: 'revenue/relay-fees', amount: 42n }).ok).toBe(true);
    const pending = ledger.createPending({ debitAccount: peerAccount('p1'), creditAccount: bob, amount: 7n });
    expect(pending.ok).toBe(true);

    expect(views.revenue()).toBe(42n);
    expect(views.outstanding()).toBe(1000n + 500n - 42n);
    expect(views.payers()).toBe(1);
    expect(views.topPayers(10)).toEqual([{ pubkey: ALICE_PK, spent: 42n, balance: 958n }]);
    expect(views.peerPositions()).toEqual([{ peer: 'p1', owes: 1500n, pending: 7n, limit: 10_000n }]);
    expect(views.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
  });

  it('adds exactly where SQLite sum() overflows: balances and economic snapshots past 2^63', () => {
    // Two peers each owe the most one account may hold; the balances they paid add up to 2 × (2^63 − 1).
    for (const [peer, pubkey] of [['p1', alice], ['p2', bob]] as const) {
      ledger.openAccount(peerAccount(peer), MAX_AMOUNT);
      expect(ledger.transfer({ debitAccount: peerAccount(peer), creditAccount: pubkey, amount: MAX_AMOUNT }).ok).toBe(true);
    }
    expect(views.outstanding()).toBe(2n * MAX_AMOUNT);
    expect(views.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
    // Economics summed the balances itself with SQLite's sum() and threw here.
    expect(new Economics(db, views).now()).toMatchObject({ balancesOutstanding: 2n * MAX_AMOUNT, revenue: 0n, payers: 0 });
  });
});
