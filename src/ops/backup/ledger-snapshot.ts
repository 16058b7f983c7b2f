import Database from 'better-sqlite3';
import { rmSync, statSync } from 'node:fs';
import { nativeFile } from '../../native';
import { privateFile } from '../../storage/private-files';
import { fsyncPath } from './backup-database';
import { openFile } from './sqlite-file';

/**
 * A ledger snapshot: a small SQLite file holding a copy of every money table (accounts and their totals, pending
 * transfers, the journal, the STREAM server secret, and any table a later migration adds that is not about
 * events), all from one read transaction. It is shipped every BACKUP_LEDGER_INTERVAL when money moved, and on
 * restore it replaces the money tables of the newest full backup, so at most that interval of payments is lost.
 */

/** Tables about events (and the statistics): everything else is money, and goes into a ledger snapshot. */
const EVENT_TABLE = /^(events|tags|deletions|vanished|economic_snapshots|events_fts.*|sqlite_.*)$/;

export interface LedgerSnapshot {
  schemaVersion: number;
  journalId: number;
  accounts: number;
  snapshotAt: number;
  bytes: number;
}

const binding = () => {
  const b = nativeFile('better_sqlite3.node');
  return b ? { nativeBinding: b } : {};
};

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The last journal row: a money movement is a journal row, so a new one means something to ship. */
export function lastJournalId(db: Database.Database): number {
  return db.prepare('SELECT coalesce(max(id), 0) FROM journal').pluck().get() as number;
}

/** Copies the money tables of the live `database` into a new file `dest` (0600). */
export function takeLedgerSnapshot(database: string, dest: string): LedgerSnapshot {
  rmSync(dest, { force: true });
  privateFile(dest);
  const snap = new Database(dest, binding());
  try {
    snap.pragma('journal_mode = DELETE');
    snap.prepare('ATTACH DATABASE ? AS live').run(database);
    snap.pragma('live.busy_timeout = 5000');
    snap.exec('BEGIN');
    // The first read fixes the live database's snapshot for the whole copy.
    const schemaVersion = snap.pragma('live.user_version', { simple: true }) as number;
    const snapshotAt = Date.now();
    const tables = (snap.prepare("SELECT name FROM live.sqlite_schema WHERE type = 'table'").pluck().all() as string[]).filter(
      (t) => !EVENT_TABLE.test(t),
    );
    for (const t of tables) snap.exec(`CREATE TABLE main.${quote(t)} AS SELECT * FROM live.${quote(t)}`);
    const journalId = snap.prepare('SELECT coalesce(max(id), 0) FROM main.journal').pluck().get() as number;
    const accounts = snap.prepare('SELECT count(*) FROM main.accounts').pluck().get() as number;
    snap.exec('COMMIT');
    snap.exec('DETACH DATABASE live');
    snap.pragma(`user_version = ${schemaVersion}`);
    snap.close();
    fsyncPath(dest);
    return { schemaVersion, journalId, accounts, snapshotAt, bytes: statSync(dest).size };
  } catch (err) {
    if (snap.open) snap.close();
    rmSync(dest, { force: true });
    throw err;
  }
}

/**
 * Replaces the money tables of the database file `database` (a restored full backup, not yet serving) with those
 * of the ledger snapshot `snapshot`, in one transaction. An append-only table (one with a `<table>_no_delete`
 * trigger, the journal) gets the rows it lacks; every other table is emptied and refilled. Refused when the two
 * were made by different schema versions.
 */
export function applyLedgerSnapshot(database: string, snapshot: string): void {
  const db = openFile(database);
  try {
    db.prepare('ATTACH DATABASE ? AS snap').run(snapshot);
    const mine = db.pragma('main.user_version', { simple: true }) as number;
    const theirs = db.pragma('snap.user_version', { simple: true }) as number;
    if (mine !== theirs) throw new Error(`the ledger snapshot has schema version ${theirs}, the backup ${mine}`);
    const tables = db.prepare("SELECT name FROM snap.sqlite_schema WHERE type = 'table'").pluck().all() as string[];
    const appendOnly = new Set(
      db.prepare("SELECT tbl_name FROM main.sqlite_schema WHERE type = 'trigger' AND name = tbl_name || '_no_delete'").pluck().all() as string[],
    );
    db.transaction(() => {
      for (const t of tables) {
        if (EVENT_TABLE.test(t)) continue;
        if (appendOnly.has(t)) {
          db.exec(`INSERT OR IGNORE INTO main.${quote(t)} SELECT * FROM snap.${quote(t)}`);
        } else {
          db.exec(`DELETE FROM main.${quote(t)}`);
          db.exec(`INSERT INTO main.${quote(t)} SELECT * FROM snap.${quote(t)}`);
        }
      }
    })();
    db.exec('DETACH DATABASE snap');
  } finally {
    db.close();
  }
}
