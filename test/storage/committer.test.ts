import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Committer } from '../../src/storage/committer';

const dir = mkdtempSync(path.join(tmpdir(), 'committer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const file = path.join(dir, name);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
  const other = () => new Database(file, { readonly: true });
  return { db, other };
}

describe('Committer', () => {
  it('writes of one event-loop turn are one commit, visible to other connections only after it', async () => {
    const { db, other } = open('a.sqlite');
    const c = new Committer(db, `${db.name}-wal`, (e) => { throw e; });
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 10; i++) c.run(() => insert.run(i));
    const reader = other();
    expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    expect(await c.settled()).toBe(true);
    expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(10);
    expect(c.commits).toBe(1);
    expect(await c.settled()).toBe(true); // nothing open: already durable
    reader.close();
    db.close();
  });

  it('a write that throws rolls the whole turn back and fails its waiters; the next turn starts clean', async () => {
    const { db } = open('b.sqlite');
    const errors: unknown[] = [];
    const c = new Committer(db, `${db.name}-wal`, (e) => errors.push(e));
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const first = c.run(() => insert.run(1));
    expect(() => c.run(() => insert.run(-1))).toThrow(/CHECK/);
    const third = c.run(() => insert.run(3));
    // the first write's answer is false even though a later turn commits fine
    expect(await first.durable).toBe(false);
    expect(await third.durable).toBe(true);
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([3]);
    db.close();
  });

  it('dryRun answers what a write would do and keeps nothing', async () => {
    const { db } = open('d.sqlite');
    const c = new Committer(db, `${db.name}-wal`, (e) => { throw e; });
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const count = db.prepare('SELECT count(*) FROM t').pluck();
    c.run(() => insert.run(1));
    const would = c.run(() => c.dryRun(() => (insert.run(2), count.get()))).value;
    expect(would).toBe(2);
    expect(await c.settled()).toBe(true);
    expect(count.get()).toBe(1);
    db.close();
  });

  it('reports a failed commit to everyone waiting, and rolls the turn back', async () => {
    const { db } = open('c.sqlite');
    const errors: unknown[] = [];
    const c = new Committer(db, `${db.name}-wal`, (e) => errors.push(e));
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)');
    db.pragma('foreign_keys = ON');
    c.run(() => db.prepare('INSERT INTO t (v) VALUES (5)').run());
    c.run(() => db.prepare('INSERT INTO child (p) VALUES (42)').run()); // violates a deferred constraint: COMMIT fails
    const [a, b] = await Promise.all([c.settled(), c.settled()]);
    expect([a, b]).toEqual([false, false]);
    expect(errors).toHaveLength(1);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    db.close();
  });

  it('while a commit is being synced, later turns join the next transaction, answered in order', async () => {
    const { db, other } = open('e.sqlite');
    const c = new Committer(db, `${db.name}-wal`, (e) => { throw e; });
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const answered: number[] = [];
    const turns = 200;
    for (let i = 0; i < turns; i++) {
      void c.run(() => insert.run(i)).durable.then((ok) => ok && answered.push(i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await c.settled()).toBe(true);
    expect(answered).toEqual(Array.from({ length: turns }, (_, i) => i));
    // an fsync (a thread-pool round trip at the least) outlasts a turn, so turns share commits; one commit per
    // turn would make 200
    expect(c.commits).toBeLessThan(turns * 0.9);
    const reader = other();
    expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(turns);
    reader.close();
    db.close();
  });

  it('after a failed fsync, no write is answered durable: not the turn that waited for it, not a later one', async () => {
    const { db } = open('f.sqlite');
    const errors: unknown[] = [];
    // fsync of /dev/null fails (EINVAL) as a failing disk would
    const c = new Committer(db, '/dev/null', (e) => errors.push(e));
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const first = c.run(() => insert.run(1));
    await new Promise((resolve) => setImmediate(resolve)); // committed; its fsync is under way
    const joined = c.run(() => insert.run(2)); // a later turn, waiting for that fsync
    expect(await first.durable).toBe(false);
    expect(await joined.durable).toBe(false);
    expect(c.broken).toBe(true);
    expect(() => c.run(() => insert.run(3))).toThrow(/broken/);
    // the waiting turn was rolled back, not committed behind the failed one
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual([1]);
    expect(errors.length).toBeGreaterThan(0);
    db.close();
  });
});
