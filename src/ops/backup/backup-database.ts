import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { privateFile } from '../../storage/private-files';
import { inspect, openFile } from './sqlite-file';

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  schemaVersion: number;
  events: number;
  accounts: number;
  /** When the snapshot was taken (unix ms): the backup holds exactly what was committed then. */
  snapshotAt: number;
  durationMs: number;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

/** Prints `<verb>: NN% (done/total pages)` at every 10%, then that the check of the copy begins. */
export function progressPrinter(print: (line: string) => void, verb: string): (p: BackupProgress) => void {
  let last = -1;
  return ({ totalPages, remainingPages }) => {
    const done = totalPages - remainingPages;
    const pct = totalPages === 0 ? 100 : Math.floor((100 * done) / totalPages);
    if (pct < last + 10 && !(pct === 100 && last !== 100)) return;
    last = pct;
    print(`${verb}: ${String(pct).padStart(3)}% (${done}/${totalPages} pages)`);
    if (pct === 100) print(`${verb}: checking the copy (integrity_check)`);
  };
}

/** Pages copied per step: small enough for the event loop to breathe between steps, at least 1% per step. */
const stepPages = (total: number) => Math.max(256, Math.ceil(total / 100));

export function fsyncPath(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies the live database `source` to `dest` with SQLite's online backup while the relay keeps writing.
 *
 * One snapshot: the copy runs on its own connection inside one read transaction, so in WAL mode it sees exactly
 * the commits made before it started, never restarts because of later writes, and never blocks the writer. The
 * copy is written as `<dest>.partial`, switched to a self-contained rollback journal, checked with
 * `integrity_check` and the schema check of a restore, fsynced, and only then renamed to `dest`.
 */
export async function backupDatabase(
  source: string,
  dest: string,
  onProgress: (p: BackupProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<BackupResult> {
  const started = Date.now();
  const partial = `${dest}.partial`;
  let exists = false;
  try {
    statSync(dest);
    exists = true;
  } catch {
    /* absent, as it should be */
  }
  if (exists) throw new BackupError(`${dest} already exists; choose another path`);
  let db;
  try {
    db = openFile(source);
  } catch (err) {
    // A backup on read-only media can still be read.
    try {
      db = openFile(source, { readonly: true });
    } catch {
      throw new BackupError(`cannot open the database ${source}: ${(err as Error).message}`);
    }
  }
  rmSync(partial, { force: true });
  // A backup holds what peer.sqlite holds (the STREAM server secret, every balance): 0600 from its first byte.
  privateFile(partial);
  let snapshotAt: number;
  let pages = 0;
  try {
    db.exec('BEGIN');
    // The first read fixes the snapshot; everything the backup copies comes from it.
    db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    snapshotAt = Date.now();
    const done = await db.backup(partial, {
      progress: (p) => {
        // Throwing here makes better-sqlite3 close the backup and reject: how a stopping peer cancels one.
        if (signal?.aborted) throw new Error('cancelled');
        onProgress(p);
        return stepPages(p.totalPages);
      },
    });
    pages = done.totalPages;
    onProgress(done);
    db.exec('COMMIT');
  } catch (err) {
    rmSync(partial, { force: true });
    throw new BackupError(`backup of ${source} failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  try {
    const copy = openFile(partial);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    rmSync(`${partial}-wal`, { force: true });
    rmSync(`${partial}-shm`, { force: true });
    const check = inspect(partial);
    if (!check.ok) throw new BackupError(`the copy failed its check: ${check.reason}`);
    fsyncPath(partial);
    renameSync(partial, dest);
    fsyncPath(path.dirname(dest));
    return {
      file: dest,
      bytes: check.bytes,
      pages,
      schemaVersion: check.schemaVersion,
      events: check.events,
      accounts: check.accounts,
      snapshotAt,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err instanceof BackupError ? err : new BackupError(`backup of ${source} failed: ${(err as Error).message}`);
  }
}
