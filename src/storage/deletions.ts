import type { Statement } from 'better-sqlite3';
import { isHex64, kindClass, type NostrEvent } from '../nostr/event';
import type { Db } from './database';
import { VANISH_KIND } from './vanish';

/** An address "<kind>:<pubkey>:<d>" of a replaceable (d = "") or addressable event. */
const address = (kind: number, pubkey: string, d: string) => `${kind}:${pubkey}:${d}`;

/** Reads an `a` tag value; undefined unless it names a replaceable or addressable kind and a hex pubkey. */
function parseAddress(value: string): { kind: number; pubkey: string; d: string } | undefined {
  const first = value.indexOf(':');
  const second = value.indexOf(':', first + 1);
  if (first < 1 || second < 0) return undefined;
  const kindText = value.slice(0, first);
  const pubkey = value.slice(first + 1, second);
  if (!/^\d{1,5}$/.test(kindText) || !isHex64(pubkey)) return undefined;
  const kind = Number(kindText);
  const cls = kindClass(kind);
  if (cls === 'replaceable') return { kind, pubkey, d: '' };
  if (cls === 'addressable') return { kind, pubkey, d: value.slice(second + 1) };
  return undefined;
}

/**
 * NIP-09 inside the write transaction: a kind 5 request deletes its author's own events named by `e` (an id) and
 * `a` (an address: every version up to the request's created_at), and is remembered in `deletions` so that those
 * events are refused if they come back. Requests against deletion requests (kind 5) and requests to vanish
 * (kind 62: NIP-62 says so) have no effect.
 */
export class Deletions {
  private readonly byTarget: Statement<[string, string]>;
  private readonly record: Statement<[string, string, number]>;
  private readonly ownerOf: Statement<[string]>;
  private readonly versions: Statement<[string, number, string, number]>;

  constructor(db: Db) {
    this.byTarget = db.prepare('SELECT created_at FROM deletions WHERE target = ? AND pubkey = ?').pluck();
    this.record = db.prepare(
      `INSERT INTO deletions (target, pubkey, created_at) VALUES (?, ?, ?)
       ON CONFLICT (target, pubkey) DO UPDATE SET created_at = max(created_at, excluded.created_at)`,
    );
    this.ownerOf = db.prepare('SELECT seq, pubkey, kind FROM events WHERE id = ?').raw();
    this.versions = db
      .prepare('SELECT seq FROM events WHERE pubkey = ? AND kind = ? AND d_tag = ? AND created_at <= ?')
      .pluck();
  }

  /** Why `e` may not be stored (its author deleted it, or its address up to its time), or undefined. */
  refusal(e: NostrEvent, d: string | null): string | undefined {
    if (e.kind === 5 || e.kind === VANISH_KIND) return undefined;
    if (this.byTarget.get(e.id, e.pubkey) !== undefined) return 'blocked: this event was deleted by its author';
    if (d !== null) {
      const at = this.byTarget.get(address(e.kind, e.pubkey, d), e.pubkey) as number | undefined;
      if (at !== undefined && at >= e.created_at) return 'blocked: this address was deleted by its author';
    }
    return undefined;
  }

  /** Applies a kind 5 request: records its targets and removes the author's matching events (via `remove`). */
  apply(request: NostrEvent, remove: (seq: number) => void): void {
    const { pubkey, created_at } = request;
    for (const t of request.tags) {
      const value = t[1];
      if (value === undefined) continue;
      if (t[0] === 'e' && isHex64(value)) {
        const row = this.ownerOf.get(value) as [number, string, number] | undefined;
        // Someone else's event, or one that cannot be deleted: nothing to do, and nothing worth remembering.
        if (row && (row[1] !== pubkey || row[2] === VANISH_KIND)) continue;
        this.record.run(value, pubkey, created_at);
        if (row && row[2] !== 5) remove(row[0]);
      } else if (t[0] === 'a') {
        const a = parseAddress(value);
        if (!a || a.pubkey !== pubkey) continue;
        this.record.run(address(a.kind, a.pubkey, a.d), pubkey, created_at);
        for (const seq of this.versions.all(pubkey, a.kind, a.d, created_at) as number[]) remove(seq);
      }
    }
  }
}
