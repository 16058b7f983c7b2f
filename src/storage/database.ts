import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { nativeFile } from '../native';
import { migrate } from './migrate';
import { PRIVATE_DIR_MODE, privateFile, type Tightened } from './private-files';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the peer's SQLite file with the pragmas the relay relies on, then migrates it. A new
 * folder is made 0700; the file with its -wal and -shm 0600; `onTightened` hears of each that was looser.
 */
export function openDatabase(file: string, onTightened: (t: Tightened) => void = () => {}): Db {
  if (file !== ':memory:') {
    // created 0700 when absent; an existing folder is the caller's to judge (it may be /tmp)
    mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const tightened = [privateFile(file), privateFile(`${file}-wal`, false), privateFile(`${file}-shm`, false)];
    for (const t of tightened) if (t) onTightened(t);
  }
  const binding = nativeFile('better_sqlite3.node');
  const db = new Database(file, binding ? { nativeBinding: binding } : {});
  db.pragma('journal_mode = WAL');
  // NORMAL: commits don't wait for the disk; the Committer fsyncs the WAL once per group commit off the event loop
  // and holds every answer (OK true, a Fulfill) until then, which is FULL's guarantee without blocking the loop.
  db.pragma('synchronous = NORMAL');
  // SQLite's own checkpoint after a commit once the WAL holds this many pages (40 MB): fewer, larger ones than its
  // default. In the peer a worker thread (Checkpointer) has copied most of them back by then. journal_size_limit
  // gives the disk back after each.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 16 MiB: with mmap (below) the file's pages are read in place; the cache holds pages being written and those
  // read from the WAL. 64 MiB measured no faster in `npm run bench` and held 50 MB more.
  db.pragma('cache_size = -16384');
  db.pragma('temp_store = MEMORY');
  // Reads of a large database as memory, not read() calls: at 1M events this halved query latency in
  // `npm run bench -- --growth`. The pages are the file's, shared and reclaimable, like LMDB's in strfry.
  db.pragma('mmap_size = 2147418112');
  migrate(db);
  return db;
}
