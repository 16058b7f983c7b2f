import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { nativeFile } from '../../native';
import { loadMigrations } from '../../storage/migrate';

/** Opens a SQLite file without creating it and without migrating it (backups, restores, checks). */
export function openFile(file: string, options: { readonly?: boolean } = {}): Database.Database {
  const binding = nativeFile('better_sqlite3.node');
  const db = new Database(file, { fileMustExist: true, readonly: options.readonly ?? false, ...(binding ? { nativeBinding: binding } : {}) });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** What a file holds, or why it is not a peer database; read-only apart from SQLite's own -shm/-wal handling. */
export type Inspection =
  | { ok: true; schemaVersion: number; events: number; accounts: number; bytes: number }
  | { ok: false; reason: string };

const MAGIC = 'SQLite format 3\0';

/** The header's own claim about the file's length, so that a truncated copy is named as such before SQLite reads it. */
function headerProblem(file: string, bytes: number): string | undefined {
  if (bytes < 100) return `${file} is not a SQLite database (${bytes} bytes)`;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1', 0, 16) !== MAGIC) return `${file} is not a SQLite database`;
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  // The page count in the header is valid only when its "version-valid-for" number matches the change counter.
  const countValid = header.readUInt32BE(92) === header.readUInt32BE(24) && pages > 0;
  if (countValid && bytes < pages * pageSize) {
    return `${file} is truncated: its header says ${pages * pageSize} bytes, the file has ${bytes}`;
  }
  if (bytes % pageSize !== 0) return `${file} is damaged: ${bytes} bytes is not a whole number of ${pageSize}-byte pages`;
  return undefined;
}

/** Tables the migrations up to `version` create (and do not drop). */
function expectedTables(version: number): string[] {
  const tables = new Set<string>();
  for (const m of loadMigrations().slice(0, version)) {
    for (const [, name] of m.sql.matchAll(/CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["`]?(\w+)/gi)) tables.add(name);
    for (const [, name] of m.sql.matchAll(/DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?["`]?(\w+)/gi)) tables.delete(name);
  }
  return [...tables];
}

/**
 * Checks that `file` is a sound database of this peer: SQLite (not truncated), `PRAGMA integrity_check` ok, a
 * schema version this peer knows, and the tables that version has. Slow on a big file (integrity_check reads every
 * page); `integrity: false` skips that part.
 */
export function inspect(file: string, options: { integrity?: boolean } = {}): Inspection {
  let bytes: number;
  try {
    bytes = statSync(file).size;
  } catch {
    return { ok: false, reason: `${file} does not exist` };
  }
  const problem = headerProblem(file, bytes);
  if (problem) return { ok: false, reason: problem };
  let db: Database.Database | undefined;
  try {
    db = openFile(file, { readonly: true });
    const check = (options.integrity ?? true) ? (db.pragma('integrity_check') as { integrity_check: string }[]) : [{ integrity_check: 'ok' }];
    if (check.length !== 1 || check[0].integrity_check !== 'ok') {
      const first = check.slice(0, 3).map((r) => r.integrity_check).join('; ');
      return { ok: false, reason: `${file} is corrupt: integrity_check found ${check.length} problem(s): ${first}` };
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    const known = loadMigrations().length;
    if (version === 0) return { ok: false, reason: `${file} is a SQLite database but not one of this peer (schema version 0)` };
    if (version > known) {
      return { ok: false, reason: `${file} has schema version ${version}, newer than this peer knows (${known}); use a newer peer` };
    }
    const present = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
    const missing = expectedTables(version).filter((t) => !present.has(t));
    if (missing.length > 0) {
      return { ok: false, reason: `${file} is a SQLite database but not one of this peer (missing tables: ${missing.join(', ')})` };
    }
    const events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const accounts = present.has('accounts') ? (db.prepare('SELECT count(*) FROM accounts').pluck().get() as number) : 0;
    return { ok: true, schemaVersion: version, events, accounts, bytes };
  } catch (err) {
    const message = (err as Error).message;
    return { ok: false, reason: `${file} cannot be read as a SQLite database: ${message}` };
  } finally {
    db?.close();
  }
}
