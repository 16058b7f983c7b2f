import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, kindClass, type NostrEvent } from '../../src/nostr/event';
import { matchFilter, parseFilter, type Filter } from '../../src/nostr/filter';
import { openDatabase, type Db } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';

const dir = mkdtempSync(path.join(tmpdir(), 'query-'));
let db: Db;
let store: EventStore;

const filter = (raw: object): Filter => {
  const r = parseFilter(raw, { maxLimit: 10_000, maxValues: 1000 });
  if (!r.ok) throw new Error(r.reason);
  return r.filter;
};

/** Deterministic PRNG so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}
const rand = prng(42);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
const hex = (n: number) => n.toString(16).padStart(64, '0');

// Storage is below signature checks, so these synthetic events need valid shapes but not real signatures.
const authors = Array.from({ length: 8 }, (_, i) => hex(1000 + i));
const targets = Array.from({ length: 6 }, (_, i) => hex(2000 + i));
const kinds = [1, 7, 6, 1111, 30023];
const events: NostrEvent[] = Array.from({ length: 600 }, (_, i) => {
  const tags: string[][] = [];
  if (rand() < 0.6) tags.push(['e', pick(targets)]);
  if (rand() < 0.4) tags.push(['p', pick(authors)]);
  if (rand() < 0.3) tags.push(['t', pick(['nostr', 'ilp', 'sqlite'])]);
  const kind = pick(kinds);
  if (kind === 30023) tags.push(['d', `article-${i}`]);
  return { id: hex(i + 1), pubkey: pick(authors), created_at: 1_700_000_000 + Math.floor(rand() * 300), kind, tags, content: `c${i}`, sig: '0'.repeat(128) };
});

beforeAll(() => {
  db = openDatabase(path.join(dir, 'q.sqlite'));
  store = new EventStore(db);
  db.transaction(() => events.forEach((e) => store.insert(e, canonicalJson(e))))();
  db.exec('ANALYZE');
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The reference answer: every stored event tested with matchFilter, newest first, ties by id, capped. */
function reference(filters: Filter[], limit: number): string[] {
  const hit = new Map<string, NostrEvent>();
  for (const f of filters) {
    events
      .filter((e) => matchFilter(f, e))
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
      .slice(0, f.limit ?? limit)
      .forEach((e) => hit.set(e.id, e));
  }
  return [...hit.values()].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1)).map((e) => e.id);
}

function randomFilter(): object {
  const f: Record<string, unknown> = {};
  if (rand() < 0.15) f.ids = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => pick(events).id);
  if (rand() < 0.4) f.authors = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(authors));
  if (rand() < 0.4) f.kinds = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(kinds));
  if (rand() < 0.35) f['#e'] = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(targets));
  if (rand() < 0.2) f['#p'] = [pick(authors)];
  if (rand() < 0.15) f['#t'] = [pick(['nostr', 'ilp'])];
  if (rand() < 0.3) f.since = 1_700_000_000 + Math.floor(rand() * 200);
  if (rand() < 0.3) f.until = 1_700_000_000 + 100 + Math.floor(rand() * 200);
  if (rand() < 0.5) f.limit = Math.floor(rand() * 40);
  return f;
}

describe('filter → SQL', () => {
  it('agrees with matchFilter over 1,500 random filter sets (differential)', () => {
    for (let i = 0; i < 1500; i++) {
      const filters = Array.from({ length: rand() < 0.8 ? 1 : 2 }, () => filter(randomFilter()));
      const got = store.query(filters, 100).map((raw) => (JSON.parse(raw) as NostrEvent).id);
      expect(got, JSON.stringify(filters.map(({ idSet, authorSet, kindSet, tagSets, ...f }) => f))).toEqual(reference(filters, 100));
    }
  });

  it('agrees with matchFilter when a filter spans more index runs than are merged one by one', () => {
    const many = [...authors, ...Array.from({ length: 40 }, (_, i) => hex(5000 + i))];
    for (const raw of [
      { authors: many, limit: 30 },
      { authors: many, kinds: [1, 7], limit: 25 },
      { authors: many, kinds: [1], since: 1_700_000_100, limit: 10 },
    ]) {
      const got = store.query([filter(raw)], 100).map((r) => (JSON.parse(r) as NostrEvent).id);
      expect(got).toEqual(reference([filter(raw)], 100));
      expect(got.length).toBeGreaterThan(0);
    }
  });

  it('keeps one version per replaceable and addressable address', () => {
    const pk = hex(9999);
    const mk = (id: number, kind: number, created_at: number, tags: string[][] = []): NostrEvent => ({
      id: hex(100_000 + id), pubkey: pk, created_at, kind, tags, content: '', sig: '0'.repeat(128),
    });
    const results = [
      mk(1, 10002, 10), mk(2, 10002, 12), mk(3, 10002, 11),
      mk(4, 30001, 10, [['d', 'x']]), mk(5, 30001, 10, [['d', 'y']]), mk(6, 30001, 9, [['d', 'x']]),
    ].map((e) => db.transaction(() => store.insert(e, canonicalJson(e)))().status);
    expect(results).toEqual(['stored', 'stored', 'duplicate', 'stored', 'stored', 'duplicate']);
    expect(kindClass(10002)).toBe('replaceable');
    const ids = store.query([filter({ authors: [pk] })], 100).map((r) => JSON.parse(r).id).sort();
    expect(ids).toEqual([hex(100_002), hex(100_004), hex(100_005)].sort());
    // the replaced event's tag rows went with it
    expect(db.prepare('SELECT count(*) FROM tags WHERE seq NOT IN (SELECT seq FROM events)').pluck().get()).toBe(0);
  });

  it('never serves expired events (NIP-40 column)', () => {
    const e: NostrEvent = { id: hex(777_777), pubkey: hex(5), created_at: 1_700_000_000, kind: 1, tags: [['expiration', '1700000100']], content: '', sig: '0'.repeat(128) };
    db.transaction(() => store.insert(e, canonicalJson(e)))();
    expect(store.query([filter({ ids: [e.id] })], 10, 1_700_000_050)).toHaveLength(1);
    expect(store.query([filter({ ids: [e.id] })], 10, 1_700_000_100)).toHaveLength(0);
  });

  it('does not let expired, unpurged events take places in a limit chosen from an index', () => {
    const pk = hex(6);
    const mk = (n: number, expiration?: number): NostrEvent => ({
      id: hex(888_000 + n), pubkey: pk, created_at: 1_800_000_000 + n, kind: 1,
      tags: expiration ? [['expiration', String(expiration)]] : [], content: '', sig: '0'.repeat(128),
    });
    // the three newest have expired by `now`; the limit must be filled from the older ones
    const stored = [mk(1), mk(2), mk(3), mk(4, 1_800_000_010), mk(5, 1_800_000_010), mk(6, 1_800_000_010)];
    db.transaction(() => stored.forEach((e) => store.insert(e, canonicalJson(e))))();
    const ids = (f: object) => store.query([filter(f)], 10, 1_800_000_020).map((raw) => (JSON.parse(raw) as NostrEvent).id);
    expect(ids({ authors: [pk, hex(7)], limit: 2 })).toEqual([mk(3).id, mk(2).id]);
    expect(ids({ authors: [pk], kinds: [1, 7], limit: 3 })).toEqual([mk(3).id, mk(2).id, mk(1).id]);
  });
});

describe('query plans', () => {
  // Each common filter shape must be served by an index: no full scan of events, no scan of tags.
  const shapes: [string, object][] = [
    ['ids', { ids: [hex(1), hex(2)] }],
    ['authors', { authors: [authors[0]] }],
    ['authors + kinds', { authors: [authors[0], authors[1]], kinds: [1, 7] }],
    ['kinds', { kinds: [1] }],
    ['kinds + since/until', { kinds: [1, 7], since: 1_700_000_050, until: 1_700_000_100 }],
    ['#e', { '#e': [targets[0]] }],
    ['#e + kinds', { '#e': [targets[0]], kinds: [7] }],
    ['#p (several values)', { '#p': [authors[0], authors[1]] }],
    ['#e + #p', { '#e': [targets[0]], '#p': [authors[1]] }],
    ['authors + #t', { authors: [authors[0]], '#t': ['nostr'] }],
    ['global, limit', { limit: 500 }],
    ['since only', { since: 1_700_000_100 }],
  ];
  it.each(shapes)('%s uses an index', (_name, raw) => {
    const plan = store.explain(filter(raw), 100).join('\n');
    expect(plan).not.toMatch(/SCAN (e|events)\b(?! USING)/);
    expect(plan).not.toMatch(/SCAN (t|x)\b(?! USING)/);
    expect(plan).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY/);
  });

  it('several authors or kinds pick the rows to serve from a covering index, then read only those', () => {
    for (const [raw, index] of [
      [{ authors: [authors[0], authors[1]], kinds: [1], limit: 100 }, 'events_by_author_kind'],
      [{ authors: [authors[0], authors[1]], limit: 100 }, 'events_by_author'],
      [{ kinds: [1, 7], since: 1_700_000_050, limit: 100 }, 'events_by_kind'],
    ] as const) {
      const plan = store.explain(filter(raw), 100).join('\n');
      expect(plan).toMatch(new RegExp(`SEARCH events USING COVERING INDEX ${index}`));
      expect(plan).toMatch(/SEARCH e USING INTEGER PRIMARY KEY/);
    }
  });

  it('global queries walk events_by_time without sorting everything', () => {
    const plan = store.explain(filter({ limit: 500 }), 500).join('\n');
    expect(plan).toMatch(/events_by_time/);
    expect(plan).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });

  it('single-value tag queries walk tags_by_value in created_at order', () => {
    const plan = store.explain(filter({ '#e': [targets[0]], kinds: [1] }), 50).join('\n');
    expect(plan).toMatch(/tags_by_value/);
    expect(plan).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });
});
