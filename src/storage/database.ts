import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { nativeFile } from '../native';
import { migrate } from './migrate';

export type Db = Database.Database;

/** Opens (creating if needed) the peer's SQLite file with the pragmas the relay relies on, then migrates it. */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const binding = nativeFile('better_sqlite3.node');
  const db = new Database(file, binding ? { nativeBinding: binding } : {});
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before it returns, so `OK true` and a posted payment survive power loss too, not
  // just a killed process. Group commit keeps this to one fsync per batch of events.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  db.pragma('mmap_size = 268435456');
  migrate(db);
  return db;
}
