// The tie between STREAM credits and incoming payments: receivedAmount moves with the ledger credit, in its
// transaction, and a completed or expired payment takes nothing. Grants: hashed tokens, rotation, expiry.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger';
import { Grants } from '../../src/open-payments/grants';
import { IncomingPayments, PAYMENT_CLOSED, isCompleted } from '../../src/open-payments/incoming-payments';
import { openDatabase } from '../../src/storage/database';

const PK = 'a'.repeat(64);
const PEER = 'assets/interledger/wallet' as const;
const BALANCE = `liabilities/balances/${PK}` as const;

function setup(now = { t: 1_000_000 }) {
  const db = openDatabase(':memory:');
  const ledger = new Ledger(db);
  ledger.openAccount(PEER, 1_000_000n);
  const payments = new IncomingPayments(db, () => now.t);
  const create = (incomingAmount?: bigint, expiresAt = now.t + 60_000) =>
    payments.create({ id: randomUUID(), pubkey: PK, client: 'c', incomingAmount, metadata: undefined, streamToken: 't', createdAt: now.t, expiresAt });
  const credit = (amount: bigint) => () => ledger.transfer({ debitAccount: PEER, creditAccount: BALANCE, amount });
  return { db, ledger, payments, create, credit, now };
}

describe('IncomingPayments.recordReceived', () => {
  it('moves receivedAmount with each credit; the packet reaching incomingAmount completes it; the next is refused', () => {
    const { ledger, payments, create, credit } = setup();
    const p = create(100n);
    expect(payments.recordReceived(p.id, 60n, credit(60n))).toMatchObject({ ok: true });
    expect(payments.recordReceived(p.id, 60n, credit(60n))).toMatchObject({ ok: true });
    const after = payments.get(p.id)!;
    expect(after.receivedAmount).toBe(120n);
    expect(isCompleted(after)).toBe(true);
    let ran = false;
    expect(payments.recordReceived(p.id, 1n, () => ((ran = true), credit(1n)()))).toBe(PAYMENT_CLOSED);
    expect(ran).toBe(false);
    expect(ledger.available(BALANCE)).toBe(120n);
  });

  it('refuses a payment completed by hand, an expired one and an unknown one without crediting', () => {
    const { ledger, payments, create, credit, now } = setup();
    const done = create(100n);
    payments.complete(done.id);
    const soon = create(undefined, now.t + 10);
    now.t += 10;
    for (const id of [done.id, soon.id, randomUUID()]) expect(payments.recordReceived(id, 5n, credit(5n))).toBe(PAYMENT_CLOSED);
    expect(ledger.available(BALANCE)).toBe(0n);
  });

  it('leaves receivedAmount alone when the credit is refused (over the peer limit)', () => {
    const { payments, create, credit } = setup();
    const p = create();
    expect(payments.recordReceived(p.id, 2_000_000n, credit(2_000_000n))).toMatchObject({ ok: false, reason: 'insufficient_balance' });
    expect(payments.get(p.id)!.receivedAmount).toBe(0n);
  });

  it('rolls back with the credit: one transaction', () => {
    const { db, ledger, payments, create, credit } = setup();
    const p = create();
    expect(() =>
      db.transaction(() => {
        payments.recordReceived(p.id, 7n, credit(7n));
        throw new Error('the turn fails');
      })(),
    ).toThrow('the turn fails');
    expect(payments.get(p.id)!.receivedAmount).toBe(0n);
    expect(ledger.available(BALANCE)).toBe(0n);
  });

  it('undoes a late credit, and purges payments expired before a time', () => {
    const { payments, create, credit, now } = setup();
    const p = create(100n, now.t + 5);
    payments.recordReceived(p.id, 100n, credit(100n));
    payments.undoReceived(p.id, 100n);
    expect(payments.get(p.id)).toMatchObject({ receivedAmount: 0n });
    expect(payments.purgeExpired(now.t + 5, 10)).toBe(0);
    expect(payments.purgeExpired(now.t + 6, 10)).toBe(1);
    expect(payments.get(p.id)).toBeUndefined();
  });
});

describe('Grants', () => {
  it('finds a grant by its token only while it lives; rotation replaces the token; purge deletes it after expiry', () => {
    const db = openDatabase(':memory:');
    const now = { t: 1_000_000 };
    const grants = new Grants(db, 60_000, () => now.t);
    const key = { kid: 'k', alg: 'EdDSA' as const, kty: 'OKP' as const, crv: 'Ed25519' as const, x: 'x'.repeat(43) };
    const issued = grants.create('https://wallet.example/c', key, [{ type: 'incoming-payment', actions: ['create'] }]);
    expect(grants.byAccessToken(issued.accessToken)?.id).toBe(issued.grant.id);
    expect(grants.byContinuation(issued.grant.id, issued.continueToken!)?.id).toBe(issued.grant.id);
    expect(grants.byContinuation(issued.grant.id, issued.accessToken)).toBeUndefined();
    // only hashes are stored
    const row = db.prepare('SELECT * FROM op_grants').get() as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(issued.accessToken);
    const rotated = grants.rotate(issued.grant);
    expect(grants.byAccessToken(issued.accessToken)).toBeUndefined();
    expect(grants.byAccessToken(rotated.accessToken)?.id).toBe(issued.grant.id);
    grants.revoke(rotated.grant.manageId);
    expect(grants.byAccessToken(rotated.accessToken)).toBeUndefined();
    expect(grants.liveOf('https://wallet.example/c', 10)).toBe(1);
    now.t += 60_001;
    expect(grants.byContinuation(issued.grant.id, issued.continueToken!)).toBeUndefined();
    expect(grants.liveOf('https://wallet.example/c', 10)).toBe(0);
    expect(grants.purgeExpired(now.t, 10)).toBe(1);
  });
});
