import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { loadMigrations, migrate } from '../../src/storage/migrate';
import { ALICE_PK, BOB_PK, tempDatabase } from './helpers';

const alice = balanceAccount(ALICE_PK);
const bob = balanceAccount(BOB_PK);
let tmp: ReturnType<typeof tempDatabase> | undefined;
afterEach(() => tmp?.cleanup());

describe('ledger totals (O(1) zero-sum check)', () => {
  it('follow every transfer, pending, post and void, and agree with the full scan', () => {
    tmp = tempDatabase();
    const ledger = new Ledger(tmp.db);
    expect(ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: alice, amount: 900n }).ok).toBe(true);
    const p = ledger.createPending({ debitAccount: alice, creditAccount: bob, amount: 100n });
    expect(p.ok).toBe(true);
    expect(ledger.totals()).toEqual({ posted: 0n, pending: 0n, balanced: true });
    ledger.post((p as { id: number }).id);
    ledger.void((ledger.createPending({ debitAccount: alice, creditAccount: bob, amount: 5n }) as { id: number }).id);
    expect(ledger.totals()).toEqual(ledger.invariant());
    expect(ledger.totals().balanced).toBe(true);
  });

  it('show a balance changed behind the ledger (the /health check sees it without scanning)', () => {
    tmp = tempDatabase();
    const ledger = new Ledger(tmp.db);
    ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: alice, amount: 900n });
    tmp.db.prepare('UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE path = ?').run(alice);
    tmp.db.prepare('UPDATE accounts SET debits_pending = debits_pending + 3 WHERE path = ?').run(alice);
    expect(ledger.totals()).toEqual({ posted: 1000n, pending: -3n, balanced: false });
    expect(ledger.totals()).toEqual(ledger.invariant());
    tmp.db.prepare('DELETE FROM accounts WHERE path = ?').run(alice);
    expect(ledger.totals()).toEqual(ledger.invariant());
  });

  it('start from the accounts already there when the migration runs on an existing ledger', () => {
    const db = new Database(':memory:');
    const migrations = loadMigrations();
    const version = migrations.findIndex((m) => m.name === 'ledger_totals');
    migrate(db, migrations.slice(0, version));
    db.prepare("INSERT INTO accounts (path, rule, credits_posted) VALUES (?, 'none', 40)").run(alice);
    db.prepare("INSERT INTO accounts (path, rule, debits_posted, credits_pending) VALUES ('assets/settlement', 'none', 30, 2)").run();
    migrate(db, migrations);
    expect(new Ledger(db).totals()).toEqual({ posted: 10n, pending: 2n, balanced: false });
    db.close();
  });
});
