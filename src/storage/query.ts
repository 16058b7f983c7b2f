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

interface Select {
  from: string;
  where: string[];
  params: (string | number)[];
  order: string;
}

/**
 * The FROM, WHERE and ORDER BY of one filter. The driving index is chosen by shape: a search drives through the
 * FTS5 index in rank order; ids and authors are the most selective; otherwise a single-valued tag drives through
 * tags_by_value in created_at order so `LIMIT` stops the scan early.
 */
function select(f: Filter, now: number, visibility?: Visibility): Select {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let from = 'events e';
  let order = 'e.created_at DESC, e.id';
  let tags = f.tags;

  if (f.searchTerms) {
    from = 'events_fts s JOIN events e ON e.seq = s.rowid';
    order = 's.rank, e.created_at DESC, e.id';
    where.push('events_fts MATCH ?');
    params.push(ftsQuery(f.searchTerms));
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
    if (f.since !== undefined) {
      where.push('t.created_at >= ?');
      params.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('t.created_at <= ?');
      params.push(f.until);
    }
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
    if (f.since !== undefined) {
      where.push('e.created_at >= ?');
      params.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('e.created_at <= ?');
      params.push(f.until);
    }
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
 * Turns one filter into one SELECT of (id, created_at, raw), `limit` pushed into SQL: newest first, or for a
 * NIP-50 search best ranked first.
 */
export function buildQuery(f: Filter, limit: number, now: number, visibility?: Visibility): SqlQuery {
  const s = select(f, now, visibility);
  return {
    sql: `SELECT e.id, e.created_at, e.raw FROM ${s.from} WHERE ${s.where.join(' AND ')} ORDER BY ${s.order} LIMIT ?`,
    params: [...s.params, limit],
  };
}

/**
 * NIP-45: one SELECT count(*) of the events matching any of the filters (each counted once), `limit`s ignored,
 * counting at most `cap` rows so one COUNT cannot scan the whole table.
 */
export function buildCount(filters: Filter[], now: number, cap: number, visibility?: Visibility): SqlQuery {
  const parts = filters.map((f) => select(f, now, visibility));
  const params = parts.flatMap((s) => s.params);
  const union = parts.map((s) => `SELECT e.seq FROM ${s.from} WHERE ${s.where.join(' AND ')}`).join(' UNION ');
  return { sql: `SELECT count(*) FROM (${union} LIMIT ?)`, params: [...params, cap] };
}
