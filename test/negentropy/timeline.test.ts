import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type NostrEvent } from '../../src/nostr/event';
import { matchFilter, parseFilter, type Filter } from '../../src/nostr/filter';
import { openDatabase, type Db } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import { buildQuery } from '../../src/storage/query';
import { ItemSetBuilder } from '../../src/nostr/negentropy';
import { prng } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
let db: Db;
let store: EventStore;
const rand = prng(77);
const hex64 = (n: number) => n.toString(16).padStart(64, '0');
const randomId = () => Array.from({ length: 64 }, () => Math.floor(rand() * 16).toString(16)).join('');
const authors = [hex64(1), hex64(2), hex64(3)];

// Below signature checks: valid shapes, no real signatures. Few distinct seconds, so ties are common.
const events: NostrEvent[] = Array.from({ length: 500 }, () => ({
  id: randomId(),
  pubkey: authors[Math.floor(rand() * 3)],
  created_at: 1_700_000_000 + Math.floor(rand() * 40),
  kind: rand() < 0.5 ? 1 : 7,
  tags: rand() < 0.3 ? [['t', 'sync']] : [],
  content: '',
  sig: '0'.repeat(128),
}));

const filter = (raw: object): Filter => {
  const r = parseFilter(raw, { maxLimit: Number.MAX_SAFE_INTEGER, maxValues: 1000 });
  if (!r.ok) throw new Error(r.reason);
  return r.filter;
};

/** The reference: match in JS, in REQ order (newest first, ties lowest id), the first `limit`. */
function naive(f: Filter, limit: number): [number, string][] {
  return events
    .filter((e) => matchFilter(f, e))
    .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
    .slice(0, limit)
    .map((e) => [e.created_at, e.id]);
}

function scan(f: Filter, limit: number): [number, string][] {
  const rows: [number, string][] = [];
  expect(store.scanTimes(f, limit, (t, id) => rows.push([t, id]))).toBe(rows.length);
  return rows;
}

beforeAll(() => {
  db = openDatabase(path.join(dir, 'db.sqlite'));
  store = new EventStore(db);
  db.transaction(() => events.forEach((e) => store.insert(e, canonicalJson(e))))();
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EventStore.scanTimes (the NIP-77 record set)', () => {
  it.each([
    [{}, 1000],
    [{}, 37],
    [{ kinds: [7] }, 1000],
    [{ authors: [authors[0]], kinds: [1] }, 10],
    [{ '#t': ['sync'] }, 1000],
    [{ '#t': ['sync'], kinds: [1] }, 5],
    [{ since: 1_700_000_010, until: 1_700_000_020 }, 1000],
    [{ ids: events.slice(0, 20).map((e) => e.id) }, 1000],
    [{ kinds: [] }, 1000],
  ])('%j, at most %d: what a REQ would serve, in its order; the item set puts them oldest first', (raw, limit) => {
    const f = filter(raw);
    const rows = scan(f, limit);
    expect(rows).toEqual(naive(f, limit));
    const builder = new ItemSetBuilder();
    for (const [t, id] of rows) builder.add(t, id);
    const set = builder.build();
    const ascending = [...rows].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
    expect(Array.from({ length: set.size }, (_, i) => [set.timestamp(i), set.idHex(i)])).toEqual(ascending);
  });

  it('reads only the index columns: SQLite flattens the wrapped query (no co-routine carrying raw)', () => {
    for (const raw of [{}, { kinds: [7] }, { '#t': ['sync'] }, { authors: [authors[1]] }]) {
      const q = buildQuery(filter(raw), 10, 0);
      const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT created_at, id FROM (${q.sql})`).all(...q.params) as { parent: number; detail: string }[];
      // the outer level: the wrapped SELECT itself (inner subqueries that pick seqs carry no raw)
      const outer = plan.filter((r) => r.parent === 0).map((r) => r.detail);
      expect(outer.join('\n')).not.toMatch(/CO-ROUTINE|SCAN \(subquery/);
      expect(outer.join('\n')).toMatch(/^(SCAN|SEARCH) (e|t)\b/m);
    }
  });
});
