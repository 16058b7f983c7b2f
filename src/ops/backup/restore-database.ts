import { existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { auditLedger } from '../../ledger/audit-ledger';
import { PRIVATE_DIR_MODE } from '../../storage/private-files';
import { backupDatabase, fsyncPath, progressPrinter } from './backup-database';
import { DataDirBusyError, lockDataDir } from '../../peer/data-dir-lock';
import { inspect, openFile } from './sqlite-file';

export class RestoreError extends Error {
  override name = 'RestoreError';
}

export interface RestoreResult {
  database: string;
  /** Where the database that was replaced now lives (undefined when there was none). */
  keptAside?: string;
  schemaVersion: number;
  events: number;
}

const stamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Folds the WAL into the old database before it is set aside. Busy means another connection holds it: a peer is
 * running after all. A database that cannot even be opened is set aside as it is, with its -wal beside it.
 */
function checkpoint(file: string, say: (line: string) => void): void {
  let db;
  try {
    db = openFile(file);
  } catch (err) {
    say(`restore: the current database cannot be opened (${(err as Error).message}); setting it aside as it is`);
    return;
  }
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (r?.busy) throw new RestoreError(`${file} is in use by another process; stop the peer first`);
  } finally {
    db.close();
  }
}

/** The ledger's deep check on the copy about to become the database (read-only: the copy stays as it was). */
function auditCopy(file: string): string | undefined {
  const db = openFile(file, { readonly: true });
  try {
    return auditLedger(db);
  } finally {
    db.close();
  }
}

/**
 * Replaces `database` with the backup `from`, refusing anything that is not a sound database of this peer. The
 * backup is first copied beside the database and checked there (integrity_check, exactly the schema of its
 * version, the ledger's zero sum and journal replay); only then is the old database hard-linked aside as
 * `<database>.before-restore-<time>` and the new one renamed over it, so at every moment `database` is either the
 * old file or the new one, and a refusal leaves everything as it was.
 */
export async function restoreDatabase(
  from: string,
  database: string,
  say: (line: string) => void = () => {},
): Promise<RestoreResult> {
  const dataDir = path.dirname(database);
  // Held for the whole swap: no peer may serve from the folder, nor start on it meanwhile.
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir, 'restore');
  } catch (err) {
    throw err instanceof DataDirBusyError ? new RestoreError(err.message) : err;
  }
  try {
    return await restoreUnlocked(from, database, dataDir, say);
  } finally {
    unlock();
  }
}

async function restoreUnlocked(from: string, database: string, dataDir: string, say: (line: string) => void): Promise<RestoreResult> {
  if (path.resolve(from) === path.resolve(database)) throw new RestoreError(`${from} is the database itself`);
  say(`restore: checking ${from}`);
  // A quick look first (a foreign or truncated file is refused at once); the full integrity_check runs on the copy.
  const source = inspect(from, { integrity: false });
  if (!source.ok) throw new RestoreError(`refused: ${source.reason}; nothing was changed`);
  say(`restore: ${from} is sound: schema version ${source.schemaVersion}, ${source.events} events, ${source.accounts} accounts`);

  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const incoming = `${database}.restoring`;
  rmSync(incoming, { force: true });
  await backupDatabase(from, incoming, progressPrinter(say, 'restore')).catch((err: Error) => {
    throw new RestoreError(`refused: ${err.message}; nothing was changed`);
  });

  const problem = auditCopy(incoming);
  if (problem) {
    rmSync(incoming, { force: true });
    throw new RestoreError(`refused: ${from}: ${problem}; nothing was changed`);
  }
  say('restore: the ledger sums to zero and its journal replays to every stored balance');

  let keptAside: string | undefined;
  if (existsSync(database)) {
    checkpoint(database, say);
    keptAside = `${database}.before-restore-${stamp()}`;
    linkSync(database, keptAside);
    // Whatever is left in the old -wal belongs to the old file: it goes aside with it, never onto the new one.
    if (existsSync(`${database}-wal`)) renameSync(`${database}-wal`, `${keptAside}-wal`);
  }
  rmSync(`${database}-shm`, { force: true });
  renameSync(incoming, database);
  fsyncPath(dataDir);
  if (keptAside) say(`restore: the previous database is kept as ${keptAside}`);
  say(`restore: ${database} now holds the backup; start the peer`);
  return { database, keptAside, schemaVersion: source.schemaVersion, events: source.events };
}
