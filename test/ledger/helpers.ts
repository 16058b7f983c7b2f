import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../src/storage/database';

/** A real peer database in a fresh temp dir (WAL, every migration); `reopen` closes it and opens the same file. */
export function tempDatabase(): { db: Db; file: string; reopen(): Db; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-test-'));
  const file = path.join(dir, 'peer.sqlite');
  const handle = {
    db: openDatabase(file),
    file,
    reopen(): Db {
      handle.db.close();
      handle.db = openDatabase(file);
      return handle.db;
    },
    cleanup(): void {
      if (handle.db.open) handle.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export const ALICE_PK = 'a'.repeat(64);
export const BOB_PK = 'b'.repeat(64);
