import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { nativeFile } from '../../native';
import { loadMigrations, migrate } from '../../storage/migrate';

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

interface SchemaEntry {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** SQLite's statistics tables (ANALYZE, PRAGMA optimize): numbers for the query planner, never code. */
const STATISTICS = /^sqlite_stat\d$/;

/**
 * An entry as compared: type, name, table and SQL with runs of white space as one. The shadow tables of a virtual
 * table (FTS5's `events_fts_data` …) are written by SQLite itself, in words that may change between its versions;
 * they are compared by name only (a table runs no code; a trigger on one is an entry of its own).
 */
function schemaKey(e: SchemaEntry, virtualTables: string[]): string {
  const shadow = e.type === 'table' && virtualTables.some((v) => e.name.startsWith(`${v}_`));
  return `${e.type} ${e.name} on ${e.tbl_name}: ${shadow ? '(shadow)' : (e.sql ?? '').replace(/\s+/g, ' ').trim()}`;
}

function schemaOf(db: Database.Database): Map<string, SchemaEntry> {
  const rows = (db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema').all() as SchemaEntry[]).filter(
    (e) => !STATISTICS.test(e.name),
  );
  const virtualTables = rows.filter((e) => e.type === 'table' && /^CREATE\s+VIRTUAL\s/i.test(e.sql ?? '')).map((e) => e.name);
  return new Map(rows.map((e) => [schemaKey(e, virtualTables), e]));
}

const expected = new Map<number, Map<string, SchemaEntry>>();

/** Every table, index, trigger and view the migrations up to `version` create, from a scratch in-memory database. */
function expectedSchema(version: number): Map<string, SchemaEntry> {
  let schema = expected.get(version);
  if (!schema) {
    const binding = nativeFile('better_sqlite3.node');
    const scratch = new Database(':memory:', binding ? { nativeBinding: binding } : {});
    try {
      migrate(scratch, loadMigrations().slice(0, version));
      schema = schemaOf(scratch);
    } finally {
      scratch.close();
    }
    expected.set(version, schema);
  }
  return schema;
}

/**
 * How `db`'s schema differs from what the migrations create at its version, in one line, or undefined. Anything
 * extra is refused, not only what is missing: a trigger or a view runs code with every write or read, and a
 * backup from elsewhere may carry one that moves money.
 */
function schemaProblem(db: Database.Database, version: number): string | undefined {
  const want = expectedSchema(version);
  const have = schemaOf(db);
  const names = (side: Map<string, SchemaEntry>, other: Map<string, SchemaEntry>) =>
    [...side].filter(([k]) => !other.has(k)).map(([, e]) => `${e.type} ${e.name}`);
  const extra = names(have, want);
  const missing = names(want, have);
  if (extra.length === 0 && missing.length === 0) return undefined;
  // an entry whose SQL differs is on both sides under one name
  const changed = extra.filter((n) => missing.includes(n));
  const groups: [string, string[]][] = [
    ['changed', changed],
    ['extra', extra.filter((n) => !changed.includes(n))],
    ['missing', missing.filter((n) => !changed.includes(n))],
  ];
  const parts = groups.filter(([, list]) => list.length > 0).map(([what, list]) => `${what}: ${list.join(', ')}`);
  return `its schema is not what this peer's migrations create at version ${version} (${parts.join('; ')})`;
}

/**
 * Checks that `file` is a sound database of this peer: SQLite (not truncated), `PRAGMA integrity_check` ok, a
 * schema version this peer knows, and exactly the schema (tables, indexes, triggers, views) of that version. Slow on a big file (integrity_check reads every
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
    const problem = schemaProblem(db, version);
    if (problem) return { ok: false, reason: `${file} is a SQLite database but not one of this peer: ${problem}` };
    const events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const hasAccounts = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'accounts'").get();
    const accounts = hasAccounts ? (db.prepare('SELECT count(*) FROM accounts').pluck().get() as number) : 0;
    return { ok: true, schemaVersion: version, events, accounts, bytes };
  } catch (err) {
    const message = (err as Error).message;
    return { ok: false, reason: `${file} cannot be read as a SQLite database: ${message}` };
  } finally {
    db?.close();
  }
}
