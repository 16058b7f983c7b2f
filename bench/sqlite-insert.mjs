// What the relay's schema costs per stored event inside SQLite alone: the bench data set inserted in group
// commits of --batch events, with the peer's pragmas and migrations, once as it is and once without each of the
// costlier parts (the FTS5 index, events_by_author). Prints µs per event in the inserts and in COMMIT, and the WAL
// bytes written per event. No relay, no verification, no checkpoints (the peer does those on a worker).
//
//   node bench/sqlite-insert.mjs [--events 50000] [--batch 140]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadDataset } from './dataset.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const migrations = path.join(here, '..', 'migrations');
const arg = (name, dflt) => {
  const k = process.argv.indexOf(name);
  return k > 0 ? Number(process.argv[k + 1]) : dflt;
};
const n = arg('--events', 50_000);
const batch = arg('--batch', 140);
const ds = await loadDataset(n);
const events = ds.lines.map((l) => JSON.parse(l));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-insert-'));

function run(name, { fts = true, byAuthor = true } = {}) {
  const file = path.join(dir, `${name}.sqlite`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('cache_size = -16384');
  db.pragma('mmap_size = 2147418112');
  let schema = fs.readFileSync(path.join(migrations, '0001_events.sql'), 'utf8');
  if (!byAuthor) schema = schema.replace(/CREATE INDEX events_by_author ON[^;]*;/, '');
  db.exec(schema);
  if (fts) db.exec(fs.readFileSync(path.join(migrations, '0005_search.sql'), 'utf8'));
  const exists = db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
  const current = db.prepare('SELECT seq, created_at FROM events WHERE pubkey = ? AND kind = ? AND d_tag = ?').raw();
  const insert = db.prepare('INSERT INTO events (id, pubkey, kind, created_at, expires_at, d_tag, raw) VALUES (?, ?, ?, ?, NULL, ?, ?)');
  const tag = db.prepare('INSERT OR IGNORE INTO tags (seq, name, value, kind, created_at) VALUES (?, ?, ?, ?, ?)');
  const text = fts && db.prepare('INSERT INTO events_fts (rowid, content, title) VALUES (?, ?, ?)');
  const drop = [db.prepare('DELETE FROM tags WHERE seq = ?'), fts && db.prepare('DELETE FROM events_fts WHERE rowid = ?'), db.prepare('DELETE FROM events WHERE seq = ?')].filter(Boolean);
  let inserting = 0n;
  let committing = 0n;
  for (let i = 0; i < events.length; i += batch) {
    const t0 = process.hrtime.bigint();
    db.exec('BEGIN IMMEDIATE');
    for (let j = i; j < Math.min(i + batch, events.length); j++) {
      const e = events[j];
      if (exists.get(e.id)) continue;
      const k = e.kind;
      const d = k === 0 || k === 3 || (k >= 10000 && k < 20000) ? '' : k >= 30000 && k < 40000 ? (e.tags.find((t) => t[0] === 'd')?.[1] ?? '') : null;
      if (d !== null) {
        const old = current.get(e.pubkey, k, d);
        if (old && old[1] > e.created_at) continue;
        if (old) for (const s of drop) s.run(old[0]);
      }
      const seq = insert.run(e.id, e.pubkey, k, e.created_at, d, ds.lines[j]).lastInsertRowid;
      for (const t of e.tags) if (t[0].length === 1 && t[1] !== undefined) tag.run(seq, t[0], t[1], k, e.created_at);
      if (text && e.content) text.run(seq, e.content, '');
    }
    const t1 = process.hrtime.bigint();
    db.exec('COMMIT');
    inserting += t1 - t0;
    committing += process.hrtime.bigint() - t1;
  }
  const walBytes = fs.statSync(`${file}-wal`).size;
  db.close();
  const us = (ns) => +(Number(ns) / 1e3 / events.length).toFixed(1);
  return { schema: name, usPerEvent: us(inserting + committing), insertUs: us(inserting), commitUs: us(committing), walBytesPerEvent: Math.round(walBytes / events.length) };
}

const rows = [
  run('as migrated'),
  run('without FTS5', { fts: false }),
  run('without events_by_author', { byAuthor: false }),
  run('without both', { fts: false, byAuthor: false }),
];
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${n} events, commits of ${batch}`);
console.table(rows);
console.log(JSON.stringify({ bench: 'sqlite-insert', events: n, batch, rows }));
