import type { Filter } from '../nostr/filter';
import { ftsQuery } from '../nostr/search';

export interface SqlQuery {
  sql: string;
  params: (string | number)[];
}

/**
 * Events of `kinds` that only their parties may read (PROTECTED_DMS): the author, or a pubkey in a `p` tag. A
 * query run with a Visibility returns such events only when one of `parties` (the session's authenticated pubkeys,
 * maybe none) is one of theirs.
 */
export interface Visibility {
  kinds: readonly number[];
  parties: readonly string[];
}

const marks = (n: number) => Array(n).fill('?').join(',');

/** The filter's since/until on `column`. */
function timeRange(f: Filter, column: string, where: string[], params: (string | number)[]): void {
  if (f.since !== undefined) {
    where.push(`${column} >= ?`);
    params.push(f.since);
  }
  if (f.until !== undefined) {
    where.push(`${column} <= ?`);
    params.push(f.until);
  }
}

interface Select {
  from: string;
  where: string[];
  params: (string | number)[];
  order: string;
}

/**
 * NIP-50: a search ranks at most this many matches, the most recently stored ones (highest rowid = events.seq),
 * so `{"search":"common word","limit":1}` costs O(SEARCH_CANDIDATES) rank computations and sort, not O(matches).
 * Older matches beyond it are not served by that search (narrow it with authors or ids to reach them).
 */
export const SEARCH_CANDIDATES = 5000;

/**
 * The search part of a filter's WHERE: the FTS5 MATCH, and (when `bounded`) a rowid window holding at most
 * SEARCH_CANDIDATES matches, so one FTS cursor walks that window in rowid order and ranks only what is in it.
 * Without ids or authors the window is the newest matches: its lower end is found by walking the FTS doclist
 * newest first (cheap in FTS5). With ids or authors, those drive: their newest SEARCH_CANDIDATES matching events
 * (each tested against FTS by rowid, which is a seek) give the window [min, max]; the outer query still checks
 * ids/authors, so only their events are ranked. (A correlated `rowid = e.seq` lookup cannot carry the rank: bm25
 * recounts the whole doclist for every lookup.)
 */
function searchWhere(f: Filter & { searchTerms: string[] }, bounded: boolean, where: string[], params: (string | number)[]): void {
  const match = ftsQuery(f.searchTerms);
  where.push('events_fts MATCH ?');
  params.push(match);
  if (!bounded) return;
  if (f.ids || f.authors) {
    const driver = f.ids
      ? { sql: `c.id IN (${marks(f.ids.length)})`, params: f.ids }
      : { sql: `c.pubkey IN (${marks(f.authors!.length)})`, params: f.authors! };
    const candidates =
      `SELECT c.seq FROM events c${f.ids ? '' : ' INDEXED BY events_by_author'} WHERE ${driver.sql} AND ` +
      `EXISTS (SELECT 1 FROM events_fts WHERE events_fts MATCH ? AND rowid = c.seq) ORDER BY c.seq DESC LIMIT ${SEARCH_CANDIDATES}`;
    where.push(`s.rowid BETWEEN (SELECT min(seq) FROM (${candidates})) AND (SELECT max(seq) FROM (${candidates}))`);
    params.push(...driver.params, match, ...driver.params, match);
  } else {
    where.push(
      `s.rowid >= coalesce((SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ${SEARCH_CANDIDATES - 1}), 0)`,
    );
    params.push(match);
  }
}

/**
 * The FROM, WHERE and ORDER BY of one filter. The driving index is chosen by shape: a search drives through the
 * FTS5 index in rank order (within a bounded window, see searchWhere, unless `bounded` is false: COUNT needs no
 * rank and is capped by its caller); ids and authors are the most selective; otherwise a single-valued tag drives
 * through tags_by_value in created_at order so `LIMIT` stops the scan early.
 */
function select(f: Filter, now: number, visibility?: Visibility, bounded = true): Select {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let from = 'events e';
  let order = 'e.created_at DESC, e.id';
  let tags = f.tags;

  if (f.searchTerms) {
    // CROSS JOIN keeps FTS the outer loop: driving from e with `s.rowid = e.seq` would recount bm25 per row.
    from = 'events_fts s CROSS JOIN events e ON e.seq = s.rowid';
    order = 's.rank, e.created_at DESC, e.id';
    searchWhere(f as Filter & { searchTerms: string[] }, bounded, where, params);
  }
  const driver = !f.searchTerms && !f.ids && !f.authors ? tags.find(([, values]) => values.length === 1) : undefined;
  if (driver) {
    from = 'tags t JOIN events e ON e.seq = t.seq';
    order = 't.created_at DESC, e.id';
    where.push('t.name = ? AND t.value = ?');
    params.push(driver[0], driver[1][0]);
    if (f.kinds) {
      where.push(`t.kind IN (${marks(f.kinds.length)})`);
      params.push(...f.kinds);
    }
    timeRange(f, 't.created_at', where, params);
    tags = tags.filter((t) => t !== driver);
  } else {
    if (f.ids) {
      where.push(`e.id IN (${marks(f.ids.length)})`);
      params.push(...f.ids);
    }
    if (f.authors) {
      // Without statistics SQLite may walk events_by_kind or events_by_time newest-first hoping to stop early,
      // which scans most of a large table for rarely-posting authors; the author indexes are always right here.
      if (!f.ids && !f.searchTerms) from = `events e INDEXED BY ${f.kinds ? 'events_by_author_kind' : 'events_by_author'}`;
      where.push(`e.pubkey IN (${marks(f.authors.length)})`);
      params.push(...f.authors);
    }
    if (f.kinds) {
      where.push(`e.kind IN (${marks(f.kinds.length)})`);
      params.push(...f.kinds);
    }
    timeRange(f, 'e.created_at', where, params);
  }

  const correlate = !!(f.ids || f.authors || driver || f.searchTerms);
  for (const [name, values] of tags) {
    where.push(
      correlate
        ? `EXISTS (SELECT 1 FROM tags x WHERE x.seq = e.seq AND x.name = ? AND x.value IN (${marks(values.length)}))`
        : `e.seq IN (SELECT x.seq FROM tags x WHERE x.name = ? AND x.value IN (${marks(values.length)}))`,
    );
    params.push(name, ...values);
  }

  where.push('(e.expires_at IS NULL OR e.expires_at > ?)');
  params.push(now);

  // Only when the filter could reach a protected kind: other queries keep their plain shape.
  if (visibility && (!f.kinds || f.kinds.some((k) => visibility.kinds.includes(k)))) {
    const { kinds, parties } = visibility;
    const n = parties.length;
    where.push(
      n === 0
        ? `e.kind NOT IN (${marks(kinds.length)})`
        : `(e.kind NOT IN (${marks(kinds.length)}) OR e.pubkey IN (${marks(n)}) OR ` +
            `EXISTS (SELECT 1 FROM tags x WHERE x.seq = e.seq AND x.name = 'p' AND x.value IN (${marks(n)})))`,
    );
    params.push(...kinds);
    if (n > 0) params.push(...parties, ...parties);
  }
  return { from, where, params, order };
}

/**
 * The newest-first shapes whose matches an index holds entirely (authors, kinds, since, until; no ids, tags or
 * search): the index that covers them, so the rows to serve can be chosen from it alone.
 */
function coveringIndex(f: Filter, visibility: Visibility | undefined): string | undefined {
  if (f.ids || f.searchTerms || f.tags.length > 0) return undefined;
  if (visibility && (!f.kinds || f.kinds.some((k) => visibility.kinds.includes(k)))) return undefined;
  if (f.authors) return f.kinds ? 'events_by_author_kind' : 'events_by_author';
  // One kind (or none) is already read in created_at order, and stops at the limit; several need a merge.
  return f.kinds && f.kinds.length > 1 ? 'events_by_kind' : undefined;
}

/** Most index runs (one per author × kind) read one by one to find the cut; with more, all matches are sorted. */
const MAX_RUNS = 32;

/**
 * A filter of several authors or kinds matches rows spread over several runs of its index: SQLite reads every
 * match, each with its table row (and raw JSON), then sorts. At 1M events `authors` × 5 with `limit: 100` read
 * ~3,500 rows to serve 100 (p99 65 ms). Here the index alone (pubkey, kind, created_at → seq) gives the created_at
 * of the `limit`-th newest match, the cut: the newest `limit` entries of each run, merged. Only rows at or after
 * the cut are read from the table, and the outer ORDER BY and LIMIT keep the exact NIP-01 order (ties at the cut
 * included, lowest id first). Expired events, not yet purged, are left out inside (from the small
 * events_expiring index) so they cannot take a place in the cut.
 */
function newestByIndex(f: Filter, index: string, limit: number, now: number): SqlQuery {
  const range: string[] = [];
  const rangeParams: (string | number)[] = [];
  timeRange(f, 'created_at', range, rangeParams);
  range.push('seq NOT IN (SELECT seq FROM events WHERE expires_at <= ?)');
  rangeParams.push(now);

  const where = [
    ...(f.authors ? [`pubkey IN (${marks(f.authors.length)})`] : []),
    ...(f.kinds ? [`kind IN (${marks(f.kinds.length)})`] : []),
    ...range,
  ];
  const params = [...(f.authors ?? []), ...(f.kinds ?? []), ...rangeParams];
  const matches = `FROM events INDEXED BY ${index} WHERE ${where.join(' AND ')}`;

  // each run once: a run listed twice would count its entries twice and raise the cut
  const authors = f.authors ? [...new Set(f.authors)] : [undefined];
  const kinds = f.kinds ? [...new Set(f.kinds)] : [undefined];
  let cut = `SELECT created_at ${matches} ORDER BY created_at DESC LIMIT 1 OFFSET ?`;
  let cutParams: (string | number)[] = [...params, limit - 1];
  if (authors.length * kinds.length <= MAX_RUNS) {
    const runs: string[] = [];
    cutParams = [];
    for (const author of authors) {
      for (const kind of kinds) {
        const run = [...(author === undefined ? [] : ['pubkey = ?']), ...(kind === undefined ? [] : ['kind = ?']), ...range];
        runs.push(`SELECT created_at FROM (SELECT created_at FROM events INDEXED BY ${index} WHERE ${run.join(' AND ')} ORDER BY created_at DESC LIMIT ?)`);
        cutParams.push(...(author === undefined ? [] : [author]), ...(kind === undefined ? [] : [kind]), ...rangeParams, limit);
      }
    }
    cut = `SELECT created_at FROM (${runs.join(' UNION ALL ')}) ORDER BY created_at DESC LIMIT 1 OFFSET ?`;
    cutParams.push(limit - 1);
  }
  return {
    sql:
      `SELECT e.id, e.created_at, e.raw, e.seq FROM events e WHERE e.seq IN ` +
      `(SELECT seq ${matches} AND created_at >= coalesce((${cut}), ${Number.MIN_SAFE_INTEGER})) ` +
      'ORDER BY e.created_at DESC, e.id LIMIT ?',
    params: [...params, ...cutParams, limit],
  };
}

/**
 * Turns one filter into one SELECT of (id, created_at, raw, seq), `limit` pushed into SQL: newest first, or for a
 * NIP-50 search best ranked first. Wrapped as `SELECT seq, … FROM (sql)` SQLite flattens it and never reads raw.
 */
export function buildQuery(f: Filter, limit: number, now: number, visibility?: Visibility): SqlQuery {
  const index = coveringIndex(f, visibility);
  if (index) return newestByIndex(f, index, limit, now);
  const s = select(f, now, visibility);
  return {
    sql: `SELECT e.id, e.created_at, e.raw, e.seq FROM ${s.from} WHERE ${s.where.join(' AND ')} ORDER BY ${s.order} LIMIT ?`,
    params: [...s.params, limit],
  };
}

/**
 * NIP-45: one SELECT count(*) of the events matching any of the filters (each counted once), `limit`s ignored,
 * counting at most `cap` rows so one COUNT cannot scan the whole table. Each filter's SELECT is cut at `cap` rows
 * before the UNION (a compound SELECT would otherwise run every branch to the end before an outer LIMIT), so the
 * work is at most filters × cap rows; the union is cut at `cap` again. The result is exact when under `cap`
 * (no branch was cut, as each branch is a subset of the union) and exactly `cap` when any branch reached it.
 */
export function buildCount(filters: Filter[], now: number, cap: number, visibility?: Visibility): SqlQuery {
  const parts = filters.map((f) => select(f, now, visibility, false));
  const branch = (s: Select) => `SELECT e.seq FROM ${s.from} WHERE ${s.where.join(' AND ')}`;
  if (parts.length === 1) return { sql: `SELECT count(*) FROM (${branch(parts[0])} LIMIT ?)`, params: [...parts[0].params, cap] };
  const union = parts.map((s) => `SELECT seq FROM (${branch(s)} LIMIT ?)`).join(' UNION ');
  return { sql: `SELECT count(*) FROM (${union} LIMIT ?)`, params: [...parts.flatMap((s) => [...s.params, cap]), cap] };
}
