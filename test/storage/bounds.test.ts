import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type NostrEvent } from '../../src/nostr/event';
import { matchFilter, parseFilter, type Filter } from '../../src/nostr/filter';
import { openDatabase, type Db } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import { buildCount, buildQuery, SEARCH_CANDIDATES } from '../../src/storage/query';

// COUNT over several filters is cut per filter before the UNION; a NIP-50 search ranks a bounded window of matches.
const dir = mkdtempSync(path.join(tmpdir(), 'bounds-'));
let db: Db;
let store: EventStore;
const NOW = 1_700_100_000;
const hex = (n: number) => n.toString(16).padStart(64, '0');
const authors = Array.from({ length: 4 }, (_, i) => hex(9000 + i));
const N = SEARCH_CANDIDATES + 1500;
// Every event says "common"; every 10th also "rare"; kinds cycle 1, 7, 6; authors cycle through four.
const events: NostrEvent[] = Array.from({ length: N }, (_, i) => ({
  id: hex(i + 1),
  pubkey: authors[i % 4],
  created_at: 1_700_000_000 + i,
  kind: [1, 7, 6][i % 3],
  tags: i % 5 === 0 ? [['t', 'five']] : [],
  content: `common ${i % 10 === 0 ? 'rare' : 'word'} n${i}`,
  sig: '0'.repeat(128),
}));

const filter = (raw: object): Filter => {
  const r = parseFilter(raw, { maxLimit: 100_000, maxValues: 1000 });
  if (!r.ok) throw new Error(r.reason);
  return r.filter;
};
const reference = (filters: Filter[]) => events.filter((e) => filters.some((f) => matchFilter(f, e))).length;
const plan = (q: { sql: string; params: (string | number)[] }) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail).join('\n');
const ids = (raws: string[]) => raws.map((r) => (JSON.parse(r) as NostrEvent).id);

beforeAll(() => {
  db = openDatabase(path.join(dir, 'b.sqlite'));
  store = new EventStore(db);
  db.transaction(() => events.forEach((e) => store.insert(e, canonicalJson(e))))();
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('COUNT over several filters', () => {
  it('cuts every filter at the cap before the union', () => {
    const filters = [{ kinds: [1] }, { authors: [authors[0]] }, { '#t': ['five'] }].map(filter);
    const q = buildCount(filters, NOW, 100);
    // one LIMIT per branch, one on the union: no branch is read past the cap
    expect(q.sql.match(/LIMIT \?/g)).toHaveLength(4);
    expect(q.params.filter((p) => p === 100)).toHaveLength(4);
    // each branch is its own (unflattened) subquery, so its LIMIT applies inside it
    expect(plan(q).match(/^(CO-ROUTINE|MATERIALIZE) /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(store.countMatching(filters, 100, NOW)).toEqual({ count: 100, capped: true });
  });

  it('is exact under the cap, each event counted once (overlapping filters)', () => {
    const sets: object[][] = [
      [{ kinds: [1], until: 1_700_000_300 }, { authors: [authors[0]], until: 1_700_000_200 }],
      [{ '#t': ['five'], until: 1_700_000_500 }, { kinds: [7], until: 1_700_000_400 }, { ids: [hex(1), hex(2), hex(3)] }],
      [{ search: 'rare', until: 1_700_001_000 }, { kinds: [6], until: 1_700_000_090 }],
    ];
    for (const raw of sets) {
      const filters = raw.map(filter);
      const want = reference(filters);
      expect(want).toBeLessThan(1000);
      expect(store.countMatching(filters, 1000, NOW)).toEqual({ count: want, capped: false });
    }
  });

  it('reaches the cap exactly when one filter alone does', () => {
    const filters = [{ kinds: [1] }, { ids: [hex(2)] }].map(filter);
    const all = reference(filters);
    expect(store.countMatching(filters, all, NOW)).toEqual({ count: all, capped: true });
    expect(store.countMatching(filters, all + 1, NOW)).toEqual({ count: all, capped: false });
  });

  it('counts search matches beyond the search window (no rank needed)', () => {
    expect(store.countMatching([filter({ search: 'common' }), filter({ ids: [hex(1)] })], 100_000, NOW)).toEqual({
      count: N,
      capped: false,
    });
  });
});

describe('NIP-50 search window', () => {
  it('ranks only the newest SEARCH_CANDIDATES matches, found newest first in the FTS index', () => {
    const q = buildQuery(filter({ search: 'common', limit: 1 }), 1, NOW);
    const p = plan(q);
    expect(p).toMatch(/SCAN s VIRTUAL TABLE INDEX \d+:M\d>/); // the outer FTS scan is bounded below by rowid
    expect(p).toMatch(/SEARCH e USING INTEGER PRIMARY KEY/);
    const all = store.query([filter({ search: 'common', limit: 100_000 })], 100, NOW);
    expect(all).toHaveLength(SEARCH_CANDIDATES);
    const window = new Set(events.slice(-SEARCH_CANDIDATES).map((e) => e.id));
    expect(ids(all).every((id) => window.has(id))).toBe(true);
  });

  it('keeps best ranked first within the window', () => {
    // "rare" events match both words: they outrank those with only "common"
    const top = store.query([filter({ search: 'common rare', limit: 5 })], 100, NOW);
    expect(ids(top).every((id) => events[parseInt(id, 16) - 1].content.includes('rare'))).toBe(true);
    const ranked = store.query([filter({ search: 'rare common', limit: 3 })], 100, NOW);
    expect(ranked).toHaveLength(3);
  });

  it('drives from authors or ids, reaching their older matches, without a per-row bm25 lookup', () => {
    const f = filter({ search: 'rare', authors: [authors[0]], until: 1_700_000_100, limit: 100 });
    const got = ids(store.query([f], 100, NOW));
    const want = events.filter((e) => matchFilter(f, e)).map((e) => e.id);
    expect(want.length).toBeGreaterThan(0);
    expect(new Set(got)).toEqual(new Set(want));
    const p = plan(buildQuery(f, 100, NOW));
    expect(p).toMatch(/SEARCH c USING (COVERING )?INDEX events_by_author/);
    expect(p).toMatch(/SCAN s VIRTUAL TABLE INDEX \d+:M\d></); // one FTS cursor over the window [min, max]
    expect(p).not.toMatch(/SCAN s VIRTUAL TABLE INDEX \d+:=/); // never `rowid = e.seq` on the ranked cursor

    const old = [hex(1), hex(11), hex(21), hex(22)];
    const byId = ids(store.query([filter({ search: 'rare', ids: old })], 100, NOW));
    expect(new Set(byId)).toEqual(new Set([hex(1), hex(11), hex(21)]));
    expect(plan(buildQuery(filter({ search: 'rare', ids: old }), 100, NOW))).toMatch(/SEARCH c USING INDEX sqlite_autoindex_events_1|SEARCH c USING (COVERING )?INDEX/);
  });

  it('finds nothing when ids or authors have no match', () => {
    expect(store.query([filter({ search: 'rare', ids: [hex(2)] })], 100, NOW)).toEqual([]);
    expect(store.query([filter({ search: 'rare', authors: [hex(1)] })], 100, NOW)).toEqual([]);
  });
});
