import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { nativeFile } from '../native';

/** What holds DATA_DIR; stored in the lock file's header so that the process refused can name it. */
export type LockPurpose = 'serve' | 'migrate' | 'restore';
const PURPOSES: LockPurpose[] = ['serve', 'migrate', 'restore'];
const DOING: Record<LockPurpose, string> = { serve: 'a peer', migrate: 'a migrate', restore: 'a restore' };
const VERB: Record<LockPurpose, string> = { serve: 'is serving from', migrate: 'is migrating', restore: 'is restoring into' };

export const lockFile = (dataDir: string) => path.join(dataDir, 'peer.lock');

export class DataDirBusyError extends Error {}

/** Folders this process holds, by lock file: a second claim from inside the process is answered without I/O. */
const heldHere = new Map<string, LockPurpose>();

/**
 * Holds `dataDir` for this process until the returned release is called: SQLite's EXCLUSIVE lock on
 * DATA_DIR/peer.lock, which is an fcntl lock of the kernel. The kernel drops it when the process dies, however it
 * dies (kill -9 included), so there is no stale lock to clean up, and it never depends on pids (a container's
 * peer is pid 1 after every restart). The holder's pid and purpose go in the file's header (user_version and
 * application_id) so that a refused process can say who holds it.
 *
 * Throws DataDirBusyError, one line naming the holder and the folder, when another process or this one holds it.
 */
export function lockDataDir(dataDir: string, purpose: LockPurpose): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // the real path: two spellings of one folder are one lock
  const file = lockFile(realpathSync(dataDir));
  const mine = heldHere.get(file);
  if (mine) throw busy(dataDir, mine, process.pid);
  const binding = nativeFile('better_sqlite3.node');
  // timeout 0: a held lock is an answer, not something to wait for
  const db = new Database(file, { timeout: 0, ...(binding ? { nativeBinding: binding } : {}) });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const holder = readHolder(file);
    throw busy(dataDir, holder?.purpose, holder?.pid);
  }
  // In EXCLUSIVE locking mode the connection keeps its write lock after this commit, until it closes.
  db.pragma(`user_version = ${process.pid}`);
  db.pragma(`application_id = ${PURPOSES.indexOf(purpose) + 1}`);
  db.exec('COMMIT');
  heldHere.set(file, purpose);
  return () => {
    if (heldHere.get(file) !== purpose) return;
    heldHere.delete(file);
    db.close();
  };
}

function busy(dataDir: string, purpose: LockPurpose | undefined, pid: number | undefined): DataDirBusyError {
  const who = `${purpose ? DOING[purpose] : 'another process'}${pid ? ` (pid ${pid})` : ''}`;
  const verb = purpose ? VERB[purpose] : 'holds';
  return new DataDirBusyError(`${who} ${verb} ${path.resolve(dataDir)}; stop it first (one process per DATA_DIR)`);
}

/**
 * Reads the header bytes directly: SQLite cannot read a file another process holds exclusively. Only ever called
 * when the lock is held by another process: closing a descriptor of the file drops every fcntl lock that this
 * process holds on it.
 */
function readHolder(file: string): { pid: number; purpose?: LockPurpose } | undefined {
  const header = Buffer.alloc(72);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (readSync(fd, header, 0, 72, 0) < 72) return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const pid = header.readUInt32BE(60);
  return pid > 0 ? { pid, purpose: PURPOSES[header.readUInt32BE(68) - 1] } : undefined;
}
