import type { Statement } from 'better-sqlite3';
import type { NostrEvent } from '../nostr/event';
import { searchableText } from '../nostr/search';
import type { Db } from './database';

/** NIP-50: keeps `events_fts` (migrations/0005_search.sql) in step with `events`; rowid = events.seq. */
export class SearchIndex {
  private readonly insert: Statement<[number | bigint, string, string]>;
  private readonly delete: Statement<[number | bigint]>;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO events_fts (rowid, content, title) VALUES (?, ?, ?)');
    this.delete = db.prepare('DELETE FROM events_fts WHERE rowid = ?');
  }

  add(seq: number | bigint, e: NostrEvent): void {
    const text = searchableText(e);
    if (text) this.insert.run(seq, text.content, text.title);
  }

  /** Removes a row if indexed (a no-op otherwise). */
  remove(seq: number | bigint): void {
    this.delete.run(seq);
  }
}
