import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { restoreDatabase } from '../../src/ops/backup/restore-database';
import { openDatabase, type Db } from '../../src/storage/database';
import { signer } from '../helpers/client';

const root = mkdtempSync(path.join(tmpdir(), 'restore-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const attacker = balanceAccount(signer().pubkey);
const payer = balanceAccount(signer().pubkey);
let n = 0;
let dataDir: string;
let database: string;

/** A backup of a sound peer (money moved, one pending), then `tamper` run on it as an attacker would. */
function backupWith(tamper: (db: Db) => void = () => {}): string {
  const file = path.join(root, `backup-${++n}.sqlite`);
  const db = openDatabase(file);
  const ledger = new Ledger(db);
  expect(ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: payer, amount: 5000n }).ok).toBe(true);
  expect(ledger.transfer({ debitAccount: payer, creditAccount: 'revenue/relay-fees', amount: 70n }).ok).toBe(true);
  expect(ledger.createPending({ debitAccount: payer, creditAccount: 'revenue/relay-fees', amount: 30n }).ok).toBe(true);
  tamper(db);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}

beforeEach(() => {
  dataDir = path.join(root, `data-${++n}`);
  database = path.join(dataDir, 'peer.sqlite');
  openDatabase(database).close();
});

/** Restoring `from` is refused with one line matching `reason`, and the database is byte for byte as it was. */
async function expectRefused(from: string, reason: RegExp) {
  const before = readFileSync(database);
  const error = await restoreDatabase(from, database).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/^refused: /);
  expect((error as Error).message).toMatch(reason);
  expect((error as Error).message).not.toContain('\n');
  expect(readFileSync(database).equals(before)).toBe(true);
  expect(existsSync(`${database}.restoring`)).toBe(false);
}

describe('restore refuses a backup whose schema or ledger is not what this peer made', () => {
  it('a sound backup is restored', async () => {
    const r = await restoreDatabase(backupWith(), database);
    expect(r.keptAside).toBeDefined();
  });

  it('a trigger that mints money with every stored event', async () => {
    const from = backupWith((db) =>
      db.exec(`CREATE TRIGGER mint AFTER INSERT ON events BEGIN
                 UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE path = '${attacker}';
               END`),
    );
    await expectRefused(from, /extra: trigger mint\b/);
  });

  it('a view', async () => {
    await expectRefused(backupWith((db) => db.exec('CREATE VIEW balances AS SELECT path FROM accounts')), /extra: view balances\b/);
  });

  it('an extra index', async () => {
    await expectRefused(backupWith((db) => db.exec('CREATE INDEX events_by_content ON events (raw)')), /extra: index events_by_content\b/);
  });

  it('an extra table', async () => {
    await expectRefused(backupWith((db) => db.exec('CREATE TABLE notes (x)')), /extra: table notes\b/);
    // named like a shadow table of the full-text index, whose SQL is not compared
    await expectRefused(backupWith((db) => db.exec('CREATE TABLE events_fts_extra (x)')), /extra: table events_fts_extra\b/);
  });

  it("one of the peer's own triggers with another body", async () => {
    const from = backupWith((db) =>
      db.exec(`DROP TRIGGER journal_no_delete;
               CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal BEGIN SELECT 1; END`),
    );
    await expectRefused(from, /changed: trigger journal_no_delete\b/);
  });

  it('a missing trigger', async () => {
    await expectRefused(backupWith((db) => db.exec('DROP TRIGGER journal_no_update')), /missing: trigger journal_no_update\b/);
  });

  it('a balance raised by hand: the ledger no longer sums to zero', async () => {
    const from = backupWith((db) => db.prepare('UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE path = ?').run(payer));
    await expectRefused(from, /does not sum to zero \(posted 1000, pending 0\)/);
  });

  it('balances moved by hand so that they still sum to zero: the journal does not replay to them', async () => {
    const from = backupWith((db) => {
      db.prepare("UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE path = 'revenue/relay-fees'").run();
      db.prepare('UPDATE accounts SET credits_posted = credits_posted - 1000 WHERE path = ?').run(payer);
    });
    await expectRefused(from, /account (liabilities\/balances\/\w+|revenue\/relay-fees) holds .* but its journal gives/);
  });

  it('a totals row that disagrees with the accounts', async () => {
    await expectRefused(backupWith((db) => db.exec('UPDATE ledger_totals SET posted = 7')), /ledger totals row says 7\/0/);
  });
});
