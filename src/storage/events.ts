import { LRUCache } from 'lru-cache';
import type { Statement } from 'better-sqlite3';
import { dTag, kindClass, type NostrEvent } from '../nostr/event';
import { isEmptyFilter, type Filter } from '../nostr/filter';
import type { Db } from './database';
import { buildQuery } from './query';

export type InsertResult =
  | { status: 'stored'; replaced?: string }
  | { status: 'duplicate'; message: string };

/** Tag values longer than this are not indexed: they would bloat tags_by_value and no client filters on them. */
const MAX_INDEXED_TAG_VALUE = 1024;

function expiration(e: NostrEvent): number | null {
  for (const t of e.tags) {
    if (t[0] === 'expiration' && t[1] !== undefined && /^\d{1,15}$/.test(t[1])) return Number(t[1]);
  }
  return null;
}

/** The event table's reads and writes. Callers own transactions (see WriteQueue); every method is synchronous. */
export class EventStore {
  private readonly exists: Statement<[string]>;
  private readonly current: Statement<[string, number, string]>;
  private readonly insertEvent: Statement;
  private readonly insertTag: Statement;
  private readonly deleteEvent: Statement<[number]>;
  private readonly deleteTags: Statement<[number]>;
  private readonly countAll: Statement<[]>;
  private readonly queries = new LRUCache<string, Statement>({ max: 500 });

  constructor(private readonly db: Db) {
    this.exists = db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
    this.current = db.prepare('SELECT seq, id, created_at FROM events WHERE pubkey = ? AND kind = ? AND d_tag = ?').raw();
    this.insertEvent = db.prepare(
      'INSERT INTO events (id, pubkey, kind, created_at, expires_at, d_tag, raw) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertTag = db.prepare('INSERT OR IGNORE INTO tags (seq, name, value, kind, created_at) VALUES (?, ?, ?, ?, ?)');
    this.deleteEvent = db.prepare('DELETE FROM events WHERE seq = ?');
    this.deleteTags = db.prepare('DELETE FROM tags WHERE seq = ?');
    this.countAll = db.prepare('SELECT count(*) FROM events').pluck();
  }

  /** Stores a verified, non-ephemeral event, applying the replaceable and addressable rules. */
  insert(e: NostrEvent, raw: string): InsertResult {
    if (this.exists.get(e.id)) return { status: 'duplicate', message: 'duplicate: already have this event' };
    const cls = kindClass(e.kind);
    const d = cls === 'replaceable' ? '' : cls === 'addressable' ? dTag(e) : null;
    let replaced: string | undefined;
    if (d !== null) {
      const old = this.current.get(e.pubkey, e.kind, d) as [number, string, number] | undefined;
      if (old) {
        const [seq, id, createdAt] = old;
        // NIP-01: the newest wins; on equal created_at the lowest id wins.
        if (createdAt > e.created_at || (createdAt === e.created_at && id < e.id)) {
          return { status: 'duplicate', message: 'duplicate: a newer version of this event is stored' };
        }
        this.remove(seq);
        replaced = id;
      }
    }
    const seq = this.insertEvent.run(e.id, e.pubkey, e.kind, e.created_at, expiration(e), d, raw).lastInsertRowid;
    for (const t of e.tags) {
      const [name, value] = t;
      if (name.length === 1 && value !== undefined && value.length <= MAX_INDEXED_TAG_VALUE) {
        this.insertTag.run(seq, name, value, e.kind, e.created_at);
      }
    }
    return replaced ? { status: 'stored', replaced } : { status: 'stored' };
  }

  private remove(seq: number): void {
    this.deleteTags.run(seq);
    this.deleteEvent.run(seq);
  }

  /** Stored events matching any of the filters, newest first (ties: lowest id), each filter capped at its limit. */
  query(filters: Filter[], defaultLimit: number, now = Math.floor(Date.now() / 1000)): string[] {
    const rows: [string, number, string][] = [];
    let live = 0;
    for (const f of filters) {
      const limit = f.limit ?? defaultLimit;
      if (limit === 0 || isEmptyFilter(f)) continue;
      live++;
      const q = buildQuery(f, limit, now);
      rows.push(...(this.statement(q.sql).all(...q.params) as [string, number, string][]));
    }
    if (live <= 1) return rows.map((r) => r[2]);
    const seen = new Set<string>();
    return rows
      .filter((r) => (seen.has(r[0]) ? false : (seen.add(r[0]), true)))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map((r) => r[2]);
  }

  count(): number {
    return this.countAll.get() as number;
  }

  /** The plan SQLite picks for a filter: the tests hold every filter shape to an index. */
  explain(f: Filter, limit: number): string[] {
    const q = buildQuery(f, limit, 0);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
  }

  private statement(sql: string): Statement {
    let s = this.queries.get(sql);
    if (!s) {
      s = this.db.prepare(sql).raw();
      this.queries.set(sql, s);
    }
    return s;
  }
}
