import type { Statement } from 'better-sqlite3';
import { dTag, expirationOf, kindClass, type NostrEvent } from '../nostr/event';
import type { Filter } from '../nostr/filter';
import type { Db } from './database';
import { Deletions } from './deletions';
import { buildQuery, type Visibility } from './query';
import { EventReader } from './read-queries';
import { SearchIndex } from './search-index';
import { Vanish, VANISH_KIND, vanishRefusal } from './vanish';

export type InsertResult =
  | { status: 'stored'; replaced?: string }
  | { status: 'duplicate'; message: string }
  /** Refused inside the write transaction (e.g. NIP-09: deleted by its author); `message` has its NIP-01 prefix. */
  | { status: 'rejected'; message: string };

export interface EventStoreOptions {
  /** PUBLIC_URL: a NIP-62 request to vanish applies when its relay tag names it (or ALL_RELAYS). */
  publicUrl?: string;
}

/** The event table's reads and writes. Callers own transactions (see DurableWriter); every method is synchronous. */
export class EventStore {
  private readonly exists: Statement<[string]>;
  private readonly current: Statement<[string, number, string]>;
  private readonly insertEvent: Statement;
  private readonly insertTag: Statement;
  private readonly deleteEvent: Statement<[number]>;
  private readonly deleteTags: Statement<[number]>;
  private readonly expired: Statement<[number, number]>;
  private readonly deletions: Deletions;
  private readonly vanish: Vanish;
  private readonly search: SearchIndex;
  private readonly publicUrl: string;
  /** Set by the vanish purge: a request to vanish left older events to delete after its transaction. */
  onVanishBacklog?: () => void;
  private readonly reader: EventReader;

  constructor(
    private readonly db: Db,
    options: EventStoreOptions = {},
  ) {
    this.publicUrl = options.publicUrl ?? '';
    this.exists = db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
    this.current = db.prepare('SELECT seq, id, created_at FROM events WHERE pubkey = ? AND kind = ? AND d_tag = ?').raw();
    this.insertEvent = db.prepare(
      'INSERT INTO events (id, pubkey, kind, created_at, expires_at, d_tag, raw) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertTag = db.prepare('INSERT OR IGNORE INTO tags (seq, name, value, kind, created_at) VALUES (?, ?, ?, ?, ?)');
    this.deleteEvent = db.prepare('DELETE FROM events WHERE seq = ?');
    this.deleteTags = db.prepare('DELETE FROM tags WHERE seq = ?');
    this.expired = db.prepare('SELECT seq FROM events WHERE expires_at <= ? LIMIT ?').pluck();
    this.deletions = new Deletions(db);
    this.vanish = new Vanish(db);
    this.search = new SearchIndex(db);
    this.reader = new EventReader(db);
  }

  /** The database file, for the read workers' own connections. */
  get file(): string {
    return this.db.name;
  }

  /** Whether an event with this id is stored. */
  has(id: string): boolean {
    return this.exists.get(id) !== undefined;
  }

  /** Stores a verified, non-ephemeral event, applying the replaceable and addressable rules. */
  insert(e: NostrEvent, raw: string): InsertResult {
    if (this.exists.get(e.id)) return { status: 'duplicate', message: 'duplicate: already have this event' };
    const cls = kindClass(e.kind);
    const d = cls === 'replaceable' ? '' : cls === 'addressable' ? dTag(e) : null;
    const refused = (e.kind === VANISH_KIND && vanishRefusal(e, this.publicUrl)) || this.vanish.refusal(e) || this.deletions.refusal(e, d);
    if (refused) return { status: 'rejected', message: refused };
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
    const seq = this.insertEvent.run(e.id, e.pubkey, e.kind, e.created_at, expirationOf(e), d, raw).lastInsertRowid;
    for (const t of e.tags) {
      const [name, value] = t;
      if (name.length === 1 && value !== undefined) {
        this.insertTag.run(seq, name, value, e.kind, e.created_at);
      }
    }
    this.search.add(seq, e);
    if (e.kind === 5) this.deletions.apply(e, (target) => this.remove(target));
    if (e.kind === VANISH_KIND && this.vanish.apply(e, (target) => this.remove(target))) this.onVanishBacklog?.();
    return replaced ? { status: 'stored', replaced } : { status: 'stored' };
  }

  private remove(seq: number): void {
    this.deleteTags.run(seq);
    this.search.remove(seq);
    this.deleteEvent.run(seq);
  }

  /** NIP-40: deletes up to `max` events expired at `now`; returns how many (call again while it returns `max`). */
  purgeExpired(now: number, max: number): number {
    const seqs = this.expired.all(now, max) as number[];
    for (const seq of seqs) this.remove(seq);
    return seqs.length;
  }

  /** NIP-62: deletes up to `max` events of requests to vanish still purging; returns how many (again while `max`). */
  purgeVanished(max: number): number {
    return this.vanish.purge(max, (seq) => this.remove(seq));
  }

  /**
   * Stored events matching any of the filters, newest first (ties: lowest id), each filter capped at its limit.
   * With a NIP-50 search among the filters, each filter's results keep their order (best ranked first) instead.
   * The relay itself reads on its read workers (read-pool.ts) through the same EventReader.
   */
  query(filters: Filter[], defaultLimit: number, now = Math.floor(Date.now() / 1000), visibility?: Visibility): string[] {
    const { seqs } = this.reader.keys(filters, defaultLimit, now, visibility);
    return this.reader.raws(seqs, Infinity).raws;
  }

  /** NIP-45: see EventReader.count. */
  countMatching(
    filters: Filter[],
    cap: number,
    now = Math.floor(Date.now() / 1000),
    visibility?: Visibility,
  ): { count: number; capped: boolean } {
    return this.reader.count(filters, cap, now, visibility);
  }

  /** NIP-77: see EventReader.scanTimes. */
  scanTimes(
    f: Filter,
    limit: number,
    visit: (createdAt: number, id: string) => void,
    now = Math.floor(Date.now() / 1000),
    visibility?: Visibility,
  ): number {
    return this.reader.scanTimes(f, limit, visit, now, visibility);
  }

  /** The plan SQLite picks for a filter: the tests hold every filter shape to an index. */
  explain(f: Filter, limit: number): string[] {
    const q = buildQuery(f, limit, 0);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
  }
}
