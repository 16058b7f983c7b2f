import Database from 'better-sqlite3';
import path from 'node:path';

export interface AccountRow {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

/**
 * Reads the ledger of a running peer from its database file through a second, read-only SQLite connection
 * (WAL lets readers see every committed transaction), the way an auditor would.
 */
export function readLedger(dataDir: string): { account(path: string): AccountRow; sum(): bigint; close(): void } {
  const db = new Database(path.join(dataDir, 'peer.sqlite'), { readonly: true });
  db.defaultSafeIntegers(true);
  const one = db.prepare(
    'SELECT debits_posted AS debitsPosted, credits_posted AS creditsPosted, debits_pending AS debitsPending, credits_pending AS creditsPending FROM accounts WHERE path = ?',
  );
  const zero: AccountRow = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
  return {
    account: (p) => (one.get(p) as AccountRow | undefined) ?? zero,
    sum: () =>
      db.prepare('SELECT coalesce(sum(credits_posted - debits_posted + credits_pending - debits_pending), 0) FROM accounts').pluck().get() as bigint,
    close: () => db.close(),
  };
}
