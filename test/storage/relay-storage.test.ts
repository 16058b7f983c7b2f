import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, type NostrEvent } from '../../src/nostr/event';
import { matchFilter, parseFilter, type Filter } from '../../src/nostr/filter';
import { openDatabase } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import { loadMigrations, migrate } from '../../src/storage/migrate';
import { buildQuery, type Visibility } from '../../src/storage/query';

const dir = mkdtempSync(path.join(tmpdir(), 'relay-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (n: number) => n.toString(16).padStart(64, '0');
const filter = (raw: object): Filter => {
  const r = parseFilter(raw, { maxLimit: 10_000, maxValues: 1000 });
  if (!r.ok) throw new Error(r.reason);
  return r.filter;
};
const ev = (n: number, patch: Partial<NostrEvent> = {}): NostrEvent => ({
  id: hex(n),
  pubkey: hex(1),
  created_at: 1_700_000_000 + n,
  kind: 1,
  tags: [],
  content: '',
  sig: '0'.repeat(128),
  ...patch,
});
const idsOf = (raws: string[]) => raws.map((r) => (JSON.parse(r) as NostrEvent).id);

describe('search index (migration 0005)', () => {
  it('indexes the events stored before the migration', () => {
    const db = new Database(path.join(dir, 'backfill.sqlite'));
    migrate(db, loadMigrations().slice(0, 4));
    const insert = db.prepare('INSERT INTO events (id, pubkey, kind, created_at, expires_at, d_tag, raw) VALUES (?, ?, ?, ?, NULL, ?, ?)');
    const old = [
      ev(1, { content: 'an old note about otters' }),
      ev(2, { kind: 30023, tags: [['d', 'otter-guide'], ['title', 'Field notes']], content: 'text' }),
      ev(3, { kind: 4, content: 'otters?iv=secret' }),
    ];
    for (const e of old) insert.run(e.id, e.pubkey, e.kind, e.created_at, e.kind === 30023 ? 'otter-guide' : null, canonicalJson(e));
    migrate(db);
    const store = new EventStore(db);
    expect(idsOf(store.query([filter({ search: 'otters' })], 10)).sort()).toEqual([hex(1), hex(2)]);
    expect(idsOf(store.query([filter({ search: 'field notes' })], 10))).toEqual([hex(2)]);
    db.close();
  });

  it('drives a search through the FTS index', () => {
    const db = openDatabase(path.join(dir, 'plan.sqlite'));
    const q = buildQuery(filter({ search: 'otters', kinds: [1] }), 10, 0);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan).toMatch(/VIRTUAL TABLE INDEX/);
    expect(plan).not.toMatch(/SCAN e\b(?! USING)/);
    db.close();
  });
});

describe('NIP-40 purge', () => {
  it('deletes expired events in batches, with their tags and search rows', () => {
    const db = openDatabase(path.join(dir, 'purge.sqlite'));
    const store = new EventStore(db);
    const at = 1_800_000_000;
    const events = [
      ev(1, { content: 'expired one', tags: [['expiration', String(at - 10)], ['t', 'x']] }),
      ev(2, { content: 'expired two', tags: [['expiration', String(at)]] }),
      ev(3, { content: 'expired three', tags: [['expiration', String(at - 1)]] }),
      ev(4, { content: 'not yet', tags: [['expiration', String(at + 1)]] }),
      ev(5, { content: 'never' }),
    ];
    db.transaction(() => events.forEach((e) => store.insert(e, canonicalJson(e))))();
    expect(store.purgeExpired(at, 2)).toBe(2);
    expect(store.purgeExpired(at, 2)).toBe(1);
    expect(store.purgeExpired(at, 2)).toBe(0);
    expect(db.prepare('SELECT id FROM events ORDER BY id').pluck().all()).toEqual([hex(4), hex(5)]);
    expect(db.prepare('SELECT count(*) FROM tags WHERE seq NOT IN (SELECT seq FROM events)').pluck().get()).toBe(0);
    expect(idsOf(store.query([filter({ search: 'expired' })], 10, at - 100))).toEqual([]);
    const plan = (db.prepare('EXPLAIN QUERY PLAN SELECT seq FROM events WHERE expires_at <= ? LIMIT ?').all(at, 10) as { detail: string }[])
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/events_expiring/);
    db.close();
  });
});

describe('DM visibility (PROTECTED_DMS) in SQL', () => {
  it('agrees with a plain party check over random filters and viewers (differential)', () => {
    const db = openDatabase(path.join(dir, 'dms.sqlite'));
    const store = new EventStore(db);
    let seed = 7;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const people = Array.from({ length: 5 }, (_, i) => hex(100 + i));
    const events = Array.from({ length: 300 }, (_, i) =>
      ev(1000 + i, { pubkey: pick(people), kind: pick([1, 4, 1059, 7]), tags: rand() < 0.7 ? [['p', pick(people)]] : [] }),
    );
    db.transaction(() => events.forEach((e) => store.insert(e, canonicalJson(e))))();
    const party = (e: NostrEvent, viewers: string[]) =>
      ![4, 1059].includes(e.kind) || viewers.includes(e.pubkey) || e.tags.some((t) => t[0] === 'p' && viewers.includes(t[1]));
    for (let i = 0; i < 300; i++) {
      const raw: Record<string, unknown> = { limit: 1000 };
      if (rand() < 0.5) raw.kinds = [pick([1, 4, 1059, 7])];
      if (rand() < 0.3) raw.authors = [pick(people)];
      if (rand() < 0.3) raw['#p'] = [pick(people)];
      const f = filter(raw);
      const viewers = people.filter(() => rand() < 0.3);
      const visibility: Visibility = { kinds: [4, 1059], parties: viewers };
      const expected = events.filter((e) => matchFilter(f, e) && party(e, viewers)).map((e) => e.id).sort();
      expect(idsOf(store.query([f], 1000, 0, visibility)).sort(), JSON.stringify({ raw, viewers })).toEqual(expected);
      const counted = store.countMatching([f], 10_000, 0, visibility);
      expect(counted).toEqual({ count: expected.length, capped: false });
    }
    db.close();
  });
});
