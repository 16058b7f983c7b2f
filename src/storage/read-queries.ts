import type { Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { isEmptyFilter, type Filter } from '../nostr/filter';
import type { Db } from './database';
import { buildCount, buildQuery, type Visibility } from './query';

/** A REQ's stored answer as keys: events.seq in the order to serve; `cut` when the row budget stopped the read. */
export interface StoredKeys {
  seqs: number[];
  cut: boolean;
  /** The raw JSON of the first of `seqs`, in order, as far as the budget asked for went. */
  raws?: string[];
}

/**
 * The event table's reads, on whichever connection it is given: the relay's read workers (read-worker.ts) each
 * have one on their own read-only connection; EventStore has one on the writer's (tests, tools).
 */
export class EventReader {
  private readonly rawOf: Statement<[number]>;
  private readonly vanishing: Statement<[]>;
  private readonly queries = new LRUCache<string, Statement>({ max: 500 });

  constructor(private readonly db: Db) {
    this.rawOf = db.prepare('SELECT raw FROM events WHERE seq = ?').pluck();
    this.vanishing = db.prepare('SELECT pubkey, created_at, request FROM vanished WHERE purging = 1').raw();
  }

  /**
   * NIP-62: pubkeys whose request to vanish still has older events to delete (a large history is deleted in batches
   * after the request, storage/vanish-purge.ts), with the cut and the request's id; undefined when none (the rule).
   */
  private vanishingNow(): Map<string, [cut: number, request: string]> | undefined {
    const rows = this.vanishing.all() as [string, number, string][];
    return rows.length ? new Map(rows.map(([pubkey, cut, request]) => [pubkey, [cut, request]])) : undefined;
  }

  /**
   * The keys of the stored events matching any of the filters, newest first (ties: lowest id), each filter capped
   * at its limit, all of them at `maxRows` rows read. With a NIP-50 search among the filters, each filter's results
   * keep their order (best ranked first) instead. The rows' raw JSON comes in the same pass while it adds up to at
   * most `rawBytes` (most answers: one read of each row): `raws` holds the first of `seqs` in serving order (all of
   * them, or with one filter a prefix of at least one event; with several, whose rows are merged, all or none). The
   * rest is read later, a batch at a time (raws()), so a large answer never sits in memory whole. While a request to
   * vanish is still being purged, its author's events up to it are left out as if already deleted.
   */
  keys(
    filters: Filter[],
    defaultLimit: number,
    now: number,
    visibility?: Visibility,
    maxRows = Number.MAX_SAFE_INTEGER,
    rawBytes = 0,
  ): StoredKeys {
    const rows: [number, string, number, string | undefined][] = [];
    const hidden = this.vanishingNow();
    let bytes = 0;
    let withRaws = rawBytes > 0;
    /** Rows whose raw is kept (a prefix of rows). */
    let kept = 0;
    const several = filters.filter((f) => (f.limit ?? defaultLimit) > 0 && !isEmptyFilter(f)).length > 1;
    let live = 0;
    let cut = false;
    for (const f of filters) {
      const limit = f.limit ?? defaultLimit;
      if (limit === 0 || isEmptyFilter(f)) continue;
      live++;
      // one row past the budget tells "cut" from "exactly the budget"
      const q = buildQuery(f, Math.min(limit, maxRows - rows.length + 1), now, visibility);
      // raw also when a purge is pending: the author is read from it
      const columns = withRaws || hidden ? 'seq, id, created_at, raw' : 'seq, id, created_at';
      for (const row of this.statement(`SELECT ${columns} FROM (${q.sql})`).iterate(...q.params) as Iterable<[number, string, number, string?]>) {
        if (hidden) {
          // canonical JSON starts with {"id":"<64 hex>","pubkey":"<64 hex>"
          const rule = hidden.get(row[3]!.slice(83, 147));
          if (rule && row[2] <= rule[0] && row[1] !== rule[1]) continue;
        }
        if (rows.length === maxRows) {
          cut = true;
          break;
        }
        if (withRaws) {
          bytes += row[3]!.length;
          if (bytes > rawBytes && (several || kept > 0)) {
            // the budget is spent: one filter keeps its prefix (its rows are already in serving order)
            withRaws = false;
            if (several) for (const r of rows) r[3] = undefined;
            row[3] = undefined;
          } else kept++;
        } else row[3] = undefined;
        rows.push(row as [number, string, number, string | undefined]);
      }
      if (cut) break;
    }
    let ordered = rows;
    if (live > 1) {
      const seen = new Set<string>();
      ordered = rows.filter((r) => (seen.has(r[1]) ? false : (seen.add(r[1]), true)));
      if (!filters.some((f) => f.searchTerms)) ordered.sort((a, b) => b[2] - a[2] || (a[1] < b[1] ? -1 : 1));
    }
    const raws = several ? (withRaws ? ordered.map((r) => r[3]!) : undefined) : ordered.slice(0, kept).map((r) => r[3]!);
    return { seqs: ordered.map((r) => r[0]), cut, raws: raws?.length ? raws : undefined };
  }

  /**
   * The raw JSON of the events `seqs`, in that order, until `maxBytes` (at least one event, so a large one still
   * goes); `taken` is how many seqs were consumed. An event deleted since its key was read is skipped.
   */
  raws(seqs: ArrayLike<number>, maxBytes: number): { raws: string[]; taken: number } {
    const raws: string[] = [];
    let bytes = 0;
    let taken = 0;
    for (; taken < seqs.length; taken++) {
      const raw = this.rawOf.get(seqs[taken]) as string | undefined;
      if (raw === undefined) continue;
      if (raws.length > 0 && bytes + raw.length > maxBytes) break;
      raws.push(raw);
      bytes += raw.length;
    }
    return { raws, taken };
  }

  /**
   * NIP-45: how many stored events match any of the filters (`limit`s ignored), counting at most `cap`; `capped`
   * when the cap was reached (the true number may be larger).
   */
  count(filters: Filter[], cap: number, now: number, visibility?: Visibility): { count: number; capped: boolean } {
    const live = filters.filter((f) => !isEmptyFilter(f));
    if (live.length === 0) return { count: 0, capped: false };
    const q = buildCount(live, now, cap, visibility);
    const count = this.statement(q.sql).get(...q.params) as [number];
    return { count: count[0], capped: count[0] >= cap };
  }

  /**
   * Visits (created_at, id) of the events a REQ with this filter and `limit` would serve, in its order (newest
   * first, ties lowest id): the record set of NIP-77. The filter's own SELECT is wrapped so SQLite flattens it and
   * reads only those two columns, never raw; rows are streamed, not collected. Returns how many it visited.
   */
  scanTimes(f: Filter, limit: number, visit: (createdAt: number, id: string) => void, now: number, visibility?: Visibility): number {
    if (limit === 0 || isEmptyFilter(f)) return 0;
    const q = buildQuery(f, limit, now, visibility);
    let n = 0;
    for (const [createdAt, id] of this.statement(`SELECT created_at, id FROM (${q.sql})`).iterate(...q.params) as Iterable<[number, string]>) {
      visit(createdAt, id);
      n++;
    }
    return n;
  }

  /** How many events are stored, and by how many authors: walks of events_by_time and events_by_author. */
  storeCounts(): { events: number; pubkeys: number } {
    const sql = 'SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM (SELECT DISTINCT pubkey FROM events))';
    const [events, pubkeys] = this.statement(sql).get() as [number, number];
    return { events, pubkeys };
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
