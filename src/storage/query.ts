import type { Filter } from '../nostr/filter';

export interface SqlQuery {
  sql: string;
  params: (string | number)[];
}

const marks = (n: number) => Array(n).fill('?').join(',');

/**
 * Turns one filter into one SELECT of (id, created_at, raw), newest first, `limit` pushed into SQL.
 * The driving index is chosen by shape: ids and authors are the most selective; otherwise a single-valued tag
 * drives through tags_by_value in created_at order so `LIMIT` stops the scan early.
 */
export function buildQuery(f: Filter, limit: number, now: number): SqlQuery {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let from = 'events e';
  let order = 'e.created_at DESC, e.id';
  let tags = f.tags;

  const driver = !f.ids && !f.authors ? tags.find(([, values]) => values.length === 1) : undefined;
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

  const correlate = !!(f.ids || f.authors || driver);
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

  return {
    sql: `SELECT e.id, e.created_at, e.raw FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
    params: [...params, limit],
  };
}
