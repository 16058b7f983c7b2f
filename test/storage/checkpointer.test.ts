import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../src/storage/checkpointer';
import { openDatabase } from '../../src/storage/database';

const dir = mkdtempSync(path.join(tmpdir(), 'checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
};

describe('Checkpointer', () => {
  it('copies committed pages from the WAL into the database file on its worker', async () => {
    const file = path.join(dir, 'a.sqlite');
    const db = openDatabase(file);
    const errors: unknown[] = [];
    const cp = new Checkpointer(file, (e) => errors.push(e));
    const before = statSync(file).size;
    const insert = db.prepare("INSERT INTO events (id, pubkey, kind, created_at, raw) VALUES (?, 'p', 1, 1, ?)");
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(i.toString(16).padStart(64, '0'), 'x'.repeat(500));
    })();
    cp.committed();
    await until(() => cp.runs > 0);
    expect(errors).toEqual([]);
    expect(cp.runs).toBeGreaterThan(0);
    // every page in the WAL is in the database file now; the file grew to hold them
    expect(cp.walPages).toBeGreaterThan(200);
    expect(cp.checkpointedPages).toBe(cp.walPages);
    expect(statSync(file).size).toBeGreaterThan(before + 1_000_000);
    await cp.close();
    // after close no run starts, and closing again is harmless
    cp.committed();
    await cp.close();
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(2000);
    db.close();
  });

  it('reports a database it cannot open, and the writer goes on', async () => {
    const errors: unknown[] = [];
    const cp = new Checkpointer(path.join(dir, 'missing', 'nothing.sqlite'), (e) => errors.push(e));
    await until(() => errors.length > 0);
    expect(String(errors[0])).toMatch(/unable to open|directory does not exist|SQLITE_CANTOPEN/i);
    await cp.close();
  });
});
