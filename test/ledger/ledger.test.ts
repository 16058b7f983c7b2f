import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceAccount, peerAccount, trustAccount } from '../../src/ledger/account-paths';
import type { AccountPath } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { MAX_AMOUNT } from '../../src/ledger/max-amount';
import { replayJournal } from '../../src/ledger/replay-journal';
import type { Db } from '../../src/storage/database';
import { ALICE_PK, BOB_PK, tempDatabase } from './helpers';

const alice = balanceAccount(ALICE_PK);
const bob = balanceAccount(BOB_PK);
const peer = peerAccount('peer1');
const fees = 'revenue/relay-fees';
const owner = 'equity/owner';
const settlement = 'assets/settlement';

let t: ReturnType<typeof tempDatabase>;
let db: Db;
let ledger: Ledger;

beforeEach(() => {
  t = tempDatabase();
  db = t.db;
  ledger = new Ledger(db, { now: () => 1_700_000_000_000 });
});
afterEach(() => t.cleanup());

const totals = (debitsPosted: bigint, creditsPosted: bigint, debitsPending: bigint, creditsPending: bigint) => ({
  debitsPosted,
  creditsPosted,
  debitsPending,
  creditsPending,
});

function journalCount(): number {
  return db.prepare('SELECT count(*) FROM journal').pluck().get() as number;
}

/** Every account's totals, for "nothing moved" comparisons. */
function snapshot() {
  return { accounts: ledger.listAccounts(), journal: journalCount() };
}

function expectSound() {
  expect(ledger.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
  const replayed = replayJournal(db);
  for (const a of ledger.listAccounts()) {
    const r = replayed.get(a.path) ?? totals(0n, 0n, 0n, 0n);
    expect({ path: a.path, ...r }).toEqual({
      path: a.path,
      ...totals(a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending),
    });
  }
}

/** A posted transfer that must succeed. */
function move(debitAccount: AccountPath, creditAccount: AccountPath, amount: bigint) {
  expect(ledger.transfer({ debitAccount, creditAccount, amount })).toMatchObject({ ok: true });
}

/** A prepaid balance, as a payment from the owner's own BTP client would make it. */
function prepay(account: AccountPath, amount: bigint) {
  move(owner, account, amount);
}

describe('prepaid balances', () => {
  it('charges a pubkey within its balance and refuses a charge beyond it, moving nothing', () => {
    prepay(alice, 100n);
    move(alice, fees, 60n);
    expect(ledger.available(alice)).toBe(40n);
    const before = snapshot();
    expect(ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 41n })).toEqual({
      ok: false,
      reason: 'insufficient_balance',
      account: alice,
      available: 40n,
    });
    expect(snapshot()).toEqual(before);
    move(alice, fees, 40n);
    expect(ledger.available(alice)).toBe(0n);
    expect(ledger.balance(fees)).toEqual(totals(0n, 100n, 0n, 0n));
    expectSound();
  });

  it('refuses a charge to a pubkey that never paid, without creating its account', () => {
    expect(ledger.transfer({ debitAccount: bob, creditAccount: fees, amount: 1n })).toEqual({
      ok: false,
      reason: 'insufficient_balance',
      account: bob,
      available: 0n,
    });
    expect(ledger.listAccounts()).toEqual([]);
    expect(ledger.balance(bob)).toEqual(totals(0n, 0n, 0n, 0n));
    expect(journalCount()).toBe(0);
  });

  it('creates on-demand accounts with the rule of their kind', () => {
    prepay(alice, 5n);
    const accounts = ledger.listAccounts();
    expect(accounts.map((a) => [a.path, a.rule, a.limit])).toEqual([
      ['equity/owner', 'none', 0n],
      [alice, 'debits_must_not_exceed_credits', 0n],
    ]);
    expect(ledger.listAccounts('liabilities/')).toHaveLength(1);
    expect(ledger.listAccounts('liabilities/balances/b')).toEqual([]);
  });
});

describe('two-phase transfers', () => {
  it('counts pending debits against the limit, and releases them on void', () => {
    prepay(alice, 100n);
    const first = ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 60n });
    expect(first).toMatchObject({ ok: true });
    expect(ledger.balance(alice)).toEqual(totals(0n, 100n, 60n, 0n));
    expect(ledger.available(alice)).toBe(40n);
    expect(ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 50n })).toMatchObject({
      ok: false,
      reason: 'insufficient_balance',
      available: 40n,
    });
    expect(ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 41n })).toMatchObject({ ok: false });
    if (!first.ok) throw new Error('unreachable');
    expect(ledger.void(first.id)).toEqual({ ok: true });
    expect(ledger.balance(alice)).toEqual(totals(0n, 100n, 0n, 0n));
    expect(ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 50n })).toMatchObject({ ok: true });
    expectSound();
  });

  it('does not count pending credits as spendable', () => {
    const incoming = ledger.createPending({ debitAccount: owner, creditAccount: alice, amount: 10n });
    expect(ledger.balance(alice)).toEqual(totals(0n, 0n, 0n, 10n));
    expect(ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 1n })).toMatchObject({
      reason: 'insufficient_balance',
    });
    if (!incoming.ok) throw new Error('unreachable');
    ledger.post(incoming.id);
    move(alice, fees, 10n);
    expectSound();
  });

  it('posts a pending transfer once; a second post or void is refused', () => {
    prepay(alice, 100n);
    const r = ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 30n });
    if (!r.ok) throw new Error('create failed');
    expect(ledger.post(r.id)).toEqual({ ok: true });
    expect(ledger.balance(alice)).toEqual(totals(30n, 100n, 0n, 0n));
    expect(ledger.balance(fees)).toEqual(totals(0n, 30n, 0n, 0n));
    const before = snapshot();
    expect(ledger.post(r.id)).toEqual({ ok: false, reason: 'not_pending' });
    expect(ledger.void(r.id)).toEqual({ ok: false, reason: 'not_pending' });
    expect(ledger.post(999_999)).toEqual({ ok: false, reason: 'not_pending' });
    expect(snapshot()).toEqual(before);
    expectSound();
  });

  it('voids a pending transfer once; a later post or void is refused', () => {
    prepay(alice, 100n);
    const r = ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 30n });
    if (!r.ok) throw new Error('create failed');
    expect(ledger.void(r.id)).toEqual({ ok: true });
    expect(ledger.void(r.id)).toEqual({ ok: false, reason: 'not_pending' });
    expect(ledger.post(r.id)).toEqual({ ok: false, reason: 'not_pending' });
    expect(ledger.available(alice)).toBe(100n);
    expect(ledger.balance(fees)).toEqual(totals(0n, 0n, 0n, 0n));
    expectSound();
  });

  it('journals create/post/void/transfer with the transfer id', () => {
    prepay(alice, 100n);
    const a = ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 1n });
    const b = ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: 2n });
    if (!a.ok || !b.ok) throw new Error('create failed');
    ledger.post(a.id);
    ledger.void(b.id);
    const rows = db.prepare('SELECT id, time, transfer_id, op, debit, credit, amount FROM journal ORDER BY id').all();
    expect(rows).toEqual([
      { id: 1, time: 1_700_000_000_000, transfer_id: 1, op: 'transfer', debit: owner, credit: alice, amount: 100 },
      { id: 2, time: 1_700_000_000_000, transfer_id: 2, op: 'create', debit: alice, credit: fees, amount: 1 },
      { id: 3, time: 1_700_000_000_000, transfer_id: 3, op: 'create', debit: alice, credit: fees, amount: 2 },
      { id: 4, time: 1_700_000_000_000, transfer_id: 2, op: 'post', debit: alice, credit: fees, amount: 1 },
      { id: 5, time: 1_700_000_000_000, transfer_id: 3, op: 'void', debit: alice, credit: fees, amount: 2 },
    ]);
    expect([a.id, b.id]).toEqual([2, 3]);
  });
});

describe('peer credit limit', () => {
  it('lets a peer owe up to its creditLimit, counting pending packets, and no further', () => {
    ledger.openAccount(peer, 1000n);
    const p1 = ledger.createPending({ debitAccount: peer, creditAccount: alice, amount: 600n });
    expect(p1).toMatchObject({ ok: true });
    expect(ledger.createPending({ debitAccount: peer, creditAccount: alice, amount: 500n })).toEqual({
      ok: false,
      reason: 'insufficient_balance',
      account: peer,
      available: 400n,
    });
    if (!p1.ok) throw new Error('unreachable');
    ledger.post(p1.id);
    expect(ledger.available(alice)).toBe(600n);
    move(peer, alice, 400n);
    expect(ledger.transfer({ debitAccount: peer, creditAccount: alice, amount: 1n })).toMatchObject({
      reason: 'insufficient_balance',
      available: 0n,
    });
    // A settlement from the peer makes room again.
    move(settlement, peer, 500n);
    expect(ledger.available(peer)).toBe(500n);
    // Raising or lowering the credit limit is an update of the account, not a posting.
    ledger.openAccount(peer, 100n);
    expect(ledger.available(peer)).toBe(-400n);
    expect(ledger.transfer({ debitAccount: peer, creditAccount: alice, amount: 1n })).toMatchObject({ ok: false });
    ledger.openAccount(peer);
    expect(ledger.listAccounts('assets/interledger/')[0].limit).toBe(100n);
    expectSound();
  });

  it('refuses a peer that was never opened', () => {
    expect(ledger.transfer({ debitAccount: peerAccount('stranger'), creditAccount: alice, amount: 1n })).toEqual({
      ok: false,
      reason: 'unknown_account',
      account: 'assets/interledger/stranger',
    });
    expect(ledger.balance(peerAccount('stranger'))).toBeUndefined();
    expect(ledger.available(peerAccount('stranger'))).toBe(0n);
  });

  it('refuses paths outside the chart', () => {
    const bogus = 'liabilities/balances/NOT-HEX' as AccountPath;
    expect(ledger.transfer({ debitAccount: owner, creditAccount: bogus, amount: 1n })).toMatchObject({
      reason: 'unknown_account',
      account: bogus,
    });
    expect(() => ledger.openAccount('nowhere/x' as AccountPath)).toThrow(TypeError);
    expect(journalCount()).toBe(0);
  });

  it('bounds credits on a credits-limited account (contra/trust)', () => {
    const trust = trustAccount('peer1');
    ledger.openAccount(trust);
    expect(ledger.transfer({ debitAccount: owner, creditAccount: trust, amount: 1n })).toEqual({
      ok: false,
      reason: 'exceeds_limit',
      account: trust,
      available: 0n,
    });
    // Dassie-style trust posting: Dr contra/trust Cr assets/interledger grants credit to the peer.
    ledger.openAccount(peer);
    move(trust, peer, 50n);
    expect(ledger.available(peer)).toBe(50n);
    move(owner, trust, 50n);
    expect(ledger.transfer({ debitAccount: owner, creditAccount: trust, amount: 1n })).toMatchObject({
      reason: 'exceeds_limit',
    });
    expectSound();
  });
});

describe('inside a caller transaction', () => {
  it('rolls back with the caller when the caller throws', () => {
    prepay(alice, 100n);
    db.exec('CREATE TABLE side_effect (x)');
    const before = snapshot();
    const chargeAndStore = db.transaction(() => {
      move(alice, fees, 10n);
      const p = ledger.createPending({ debitAccount: alice, creditAccount: bob, amount: 5n });
      if (p.ok) ledger.post(p.id);
      db.prepare('INSERT INTO side_effect VALUES (1)').run();
      throw new Error('insert failed');
    });
    expect(() => chargeAndStore()).toThrow('insert failed');
    expect(snapshot()).toEqual(before);
    expect(db.prepare('SELECT count(*) FROM side_effect').pluck().get()).toBe(0);
    expect(ledger.listAccounts().map((a) => a.path)).not.toContain(bob);
    expectSound();
  });

  it('commits with the caller, and a refused charge lets the caller roll back its own write', () => {
    prepay(alice, 10n);
    db.exec('CREATE TABLE events_stub (id)');
    const store = db.transaction((id: string, price: bigint) => {
      const charged = ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: price });
      if (!charged.ok) return charged.reason;
      db.prepare('INSERT INTO events_stub VALUES (?)').run(id);
      return 'stored';
    });
    expect(store('e1', 4n)).toBe('stored');
    expect(store('e2', 7n)).toBe('insufficient_balance');
    expect(store('e3', 6n)).toBe('stored');
    expect(db.prepare('SELECT id FROM events_stub').pluck().all()).toEqual(['e1', 'e3']);
    expect(ledger.available(alice)).toBe(0n);
    expectSound();
  });

  it('leaves the caller transaction usable after a nested ledger bug throws', () => {
    prepay(alice, 10n);
    const outer = db.transaction(() => {
      expect(() => ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 0n })).toThrow(RangeError);
      return ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 3n });
    });
    expect(outer()).toMatchObject({ ok: true });
    expect(ledger.available(alice)).toBe(7n);
  });
});

describe('restart', () => {
  it('voids every pending transfer after the database is reopened', () => {
    ledger.openAccount(peer, 1_000n);
    prepay(alice, 100n);
    const ids: number[] = [];
    for (const [debitAccount, creditAccount, amount] of [
      [peer, alice, 300n],
      [peer, bob, 200n],
      [alice, fees, 40n],
    ] as const) {
      const r = ledger.createPending({ debitAccount, creditAccount, amount });
      if (!r.ok) throw new Error('create failed');
      ids.push(r.id);
    }
    ledger.post(ids[1]);

    db = t.reopen();
    ledger = new Ledger(db);
    expect(ledger.balance(peer)).toMatchObject({ debitsPending: 300n, debitsPosted: 200n });
    expect(ledger.voidAllPending()).toBe(2);
    expect(ledger.voidAllPending()).toBe(0);
    for (const a of ledger.listAccounts()) {
      expect([a.path, a.debitsPending, a.creditsPending]).toEqual([a.path, 0n, 0n]);
    }
    expect(ledger.post(ids[0])).toEqual({ ok: false, reason: 'not_pending' });
    expect(ledger.available(peer)).toBe(800n);
    expect(ledger.available(alice)).toBe(100n);
    expect(ledger.available(bob)).toBe(200n);
    expect(db.prepare("SELECT transfer_id FROM journal WHERE op = 'void' ORDER BY id").pluck().all()).toEqual([
      ids[0],
      ids[2],
    ]);
    expectSound();
    // Ids keep growing after a restart.
    const next = ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 1n });
    expect(next.ok && next.id > ids[2]).toBe(true);
  });
});

describe('journal', () => {
  it('is append-only', () => {
    prepay(alice, 10n);
    expect(() => db.prepare('UPDATE journal SET amount = 1000').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM journal').run()).toThrow(/append-only/);
    expect(journalCount()).toBe(1);
  });

  it('refuses balances that are not non-negative integers at the schema level', () => {
    prepay(alice, 10n);
    expect(() => db.prepare("UPDATE accounts SET debits_posted = 1.5 WHERE path = 'equity/owner'").run()).toThrow(
      /CHECK/,
    );
    expect(() => db.prepare("UPDATE accounts SET credits_posted = -1 WHERE path = 'equity/owner'").run()).toThrow(
      /CHECK/,
    );
  });
});

describe('64-bit bound', () => {
  it('accepts amounts up to 2^63 − 1 and refuses any that would pass it, moving nothing', () => {
    move(owner, alice, MAX_AMOUNT);
    expect(ledger.balance(alice)).toMatchObject({ creditsPosted: 9_223_372_036_854_775_807n });
    const before = snapshot();
    expect(ledger.transfer({ debitAccount: owner, creditAccount: bob, amount: 1n })).toEqual({
      ok: false,
      reason: 'overflow',
      account: owner,
    });
    expect(ledger.transfer({ debitAccount: settlement, creditAccount: alice, amount: 1n })).toEqual({
      ok: false,
      reason: 'overflow',
      account: alice,
    });
    expect(ledger.createPending({ debitAccount: settlement, creditAccount: bob, amount: MAX_AMOUNT + 1n })).toEqual({
      ok: false,
      reason: 'overflow',
      account: settlement,
    });
    expect(snapshot()).toEqual(before);
    // Pending amounts count toward the bound too.
    expect(ledger.createPending({ debitAccount: alice, creditAccount: fees, amount: MAX_AMOUNT - 5n })).toMatchObject({
      ok: true,
    });
    expect(ledger.createPending({ debitAccount: settlement, creditAccount: fees, amount: 6n })).toMatchObject({
      reason: 'overflow',
      account: fees,
    });
    expect(ledger.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
    expectSound();
  });

  it('computes the invariant exactly when SQLite partial sums would overflow', () => {
    move(owner, alice, MAX_AMOUNT);
    move(settlement, bob, MAX_AMOUNT);
    // SQLite's sum() meets −2^64 + 2 after assets/settlement and equity/owner and raises; the bigint path is exact.
    expect(ledger.invariant()).toEqual({ posted: 0n, pending: 0n, balanced: true });
  });

  it('refuses limits outside [0, 2^63 − 1]', () => {
    expect(() => ledger.openAccount(peer, MAX_AMOUNT + 1n)).toThrow(RangeError);
    expect(() => ledger.openAccount(peer, -1n)).toThrow(RangeError);
    expect(() => ledger.openAccount(owner, 5n)).toThrow(RangeError);
    ledger.openAccount(peer, MAX_AMOUNT);
    expect(ledger.available(peer)).toBe(MAX_AMOUNT);
  });
});

describe('bugs throw', () => {
  it('throws for a non-positive or non-bigint amount and for a transfer to itself', () => {
    prepay(alice, 10n);
    expect(() => ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 0n })).toThrow(RangeError);
    expect(() => ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: -1n })).toThrow(RangeError);
    expect(() => ledger.transfer({ debitAccount: alice, creditAccount: fees, amount: 1 as unknown as bigint })).toThrow(
      RangeError,
    );
    expect(() => ledger.transfer({ debitAccount: alice, creditAccount: alice, amount: 1n })).toThrow(RangeError);
    expect(journalCount()).toBe(1);
  });
});
