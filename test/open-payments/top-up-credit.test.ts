// The exact parts of top-ups without a wallet: scale conversion both ways, the read schedule, and crediting once
// (a second credit of the same top-up, as after a race or a restart, moves nothing).
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger';
import { ScaleConversion } from '../../src/open-payments/operator-wallet/scale';
import { TopUps } from '../../src/open-payments/operator-wallet/top-ups';
import { EXPIRY_GRACE_MS, nextReadAt } from '../../src/open-payments/operator-wallet/watcher';
import { MAX_AMOUNT } from '../../src/ledger/max-amount';
import { tempDatabase } from '../ledger/helpers';

describe('ScaleConversion', () => {
  it('is exact when the wallet is coarser: only whole wallet units, credited back in full', () => {
    const s = new ScaleConversion(9, 2);
    expect(s.step).toBe(10_000_000n);
    expect(s.toWallet(12_340_000_000n)).toBe(1234n);
    expect(s.toWallet(12_340_000_001n)).toBeUndefined();
    expect(s.fromWallet(1234n)).toEqual({ amount: 12_340_000_000n, leftover: 0n });
  });

  it('keeps what is below one of our units when the wallet is finer', () => {
    const s = new ScaleConversion(0, 2);
    expect(s.step).toBe(1n);
    expect(s.toWallet(7n)).toBe(700n);
    expect(s.fromWallet(799n)).toEqual({ amount: 7n, leftover: 99n });
    expect(s.fromWallet(0n)).toEqual({ amount: 0n, leftover: 0n });
  });

  it('is the identity at the same scale', () => {
    const s = new ScaleConversion(2, 2);
    expect(s.toWallet(5n)).toBe(5n);
    expect(s.fromWallet(5n)).toEqual({ amount: 5n, leftover: 0n });
  });
});

describe('nextReadAt', () => {
  it('doubles the wait up to 30 times the interval, never past the moment the final amount is known', () => {
    const expiresAt = 1_000_000;
    expect(nextReadAt(0, 1, expiresAt, 100)).toBe(200);
    expect(nextReadAt(0, 3, expiresAt, 100)).toBe(800);
    expect(nextReadAt(0, 10, expiresAt, 100)).toBe(3000);
    expect(nextReadAt(999_000, 10, expiresAt, 100)).toBe(expiresAt + EXPIRY_GRACE_MS);
    // past it (the last read failed): the backoff goes on, no busy loop
    expect(nextReadAt(expiresAt + 5000, 10, expiresAt, 100)).toBe(expiresAt + 8000);
  });
});

describe('TopUps.credit', () => {
  it('credits once, in one transaction with the mark, carrying the leftover', () => {
    const t = tempDatabase();
    const db = t.db;
    const ledger = new Ledger(db);
    const topUps = new TopUps(db, ledger, new ScaleConversion(1, 2));
    const pubkey = 'ab'.repeat(32);
    topUps.add('https://wallet.example/ip/1', pubkey, 100n, 0, 10, 1);
    topUps.add('https://wallet.example/ip/2', pubkey, 100n, 0, 10, 1);
    const credit = (url: string, received: bigint) => db.transaction(() => topUps.credit({ incomingPayment: url, pubkey }, received, 5))();
    expect(credit('https://wallet.example/ip/1', 57n)).toBe(5n);
    expect(credit('https://wallet.example/ip/1', 57n)).toBeUndefined();
    expect(ledger.available(`liabilities/balances/${pubkey}`)).toBe(5n);
    expect(topUps.openFor(pubkey)).toBe(1);
    expect(credit('https://wallet.example/ip/2', 3n)).toBe(1n);
    expect(ledger.available(`liabilities/balances/${pubkey}`)).toBe(6n);
    expect(ledger.totals().balanced).toBe(true);
    expect(db.prepare('SELECT count(*) FROM top_up_leftovers').pluck().get()).toBe(0);
    expect(topUps.open()).toBe(0);
    t.cleanup();
  });

  it('rolls the mark back when the ledger refuses', () => {
    const t = tempDatabase();
    const db = t.db;
    const ledger = new Ledger(db);
    const topUps = new TopUps(db, ledger, new ScaleConversion(2, 2));
    const pubkey = 'cd'.repeat(32);
    expect(ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: `liabilities/balances/${pubkey}`, amount: MAX_AMOUNT }).ok).toBe(true);
    topUps.add('https://wallet.example/ip/3', pubkey, 10n, 0, 10, 1);
    const credit = () => db.transaction(() => topUps.credit({ incomingPayment: 'https://wallet.example/ip/3', pubkey }, 10n, 5))();
    expect(credit).toThrow(/the ledger refused the credit/);
    expect(topUps.openFor(pubkey)).toBe(1);
    expect(ledger.available(`liabilities/balances/${pubkey}`)).toBe(MAX_AMOUNT);
    t.cleanup();
  });
});
