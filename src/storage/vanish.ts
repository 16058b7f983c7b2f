import type { Statement } from 'better-sqlite3';
import type { NostrEvent } from '../nostr/event';
import type { Db } from './database';

export const VANISH_KIND = 62;
const GIFT_WRAP_KIND = 1059;
/** NIP-62: the relay tag value that names every relay. Uppercase only, as the NIP says. */
export const ALL_RELAYS = 'ALL_RELAYS';

/**
 * Events a request deletes inside its own write transaction; a larger history is deleted by the purge (see
 * vanish-purge.ts) in batches of the same size, one per turn of the event loop, so the writer is never held for
 * long. Deleting an event (its row, tags and search entry) costs about 55 µs: a batch holds the writer for about
 * 27 ms (median), and 100k events take about 8 s (measured on the shared, heavily loaded 2-core dev box).
 */
export const VANISH_BATCH = 500;

/**
 * How relay URLs are compared: host (lowercased by URL), a port other than the scheme's default, and the path
 * without trailing slashes; undefined unless ws(s) or http(s). ws and wss (and http/https) name the same relay:
 * behind a TLS proxy one service answers both, and only the key's owner can sign the request, so reading it
 * broadly cannot hurt anyone else.
 */
export function relayKey(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(u.protocol)) return undefined;
  return `${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * Whether a kind 62 asks this relay to vanish: a `relay` tag ALL_RELAYS, or one naming `publicUrl` (PUBLIC_URL).
 * Returns the refusal (with its NIP-01 prefix) when it does not.
 */
export function vanishRefusal(request: NostrEvent, publicUrl: string): string | undefined {
  const relays = request.tags.filter((t) => t[0] === 'relay' && typeof t[1] === 'string').map((t) => t[1]);
  if (relays.length === 0) return 'invalid: a request to vanish needs a relay tag (NIP-62)';
  if (relays.includes(ALL_RELAYS)) return undefined;
  if (!publicUrl) return 'invalid: this relay has no PUBLIC_URL to match; only a relay tag ALL_RELAYS applies here';
  const own = relayKey(publicUrl);
  if (relays.some((r) => relayKey(r) === own)) return undefined;
  return `invalid: the relay tag does not name this relay (${publicUrl})`;
}

/**
 * NIP-62 inside the write transaction. A request to vanish (kind 62 naming this relay) deletes every event of its
 * author up to its created_at (all kinds, NIP-09 requests and their records included, but not the request itself)
 * and every kind 1059 gift wrap p-tagging the author up to then, and is remembered in `vanished` so that those
 * events are refused if they come back. A later request moves the cut forward.
 */
export class Vanish {
  private readonly cutOf: Statement<[string]>;
  private readonly record: Statement<[string, number, string]>;
  private readonly pending: Statement<[number]>;
  private readonly done: Statement<[string]>;
  private readonly ownEvents: Statement<[string, number, string, number]>;
  private readonly giftWraps: Statement<[string, number, number]>;
  private readonly deletionRecords: Statement<[string, number, string, number, number]>;

  constructor(db: Db) {
    this.cutOf = db.prepare('SELECT created_at FROM vanished WHERE pubkey = ?').pluck();
    this.record = db.prepare(
      `INSERT INTO vanished (pubkey, created_at, request, purging) VALUES (?, ?, ?, 1)
       ON CONFLICT (pubkey) DO UPDATE SET created_at = excluded.created_at, request = excluded.request, purging = 1`,
    );
    this.pending = db.prepare('SELECT pubkey, created_at, request FROM vanished WHERE purging = 1 LIMIT ?').raw();
    this.done = db.prepare('UPDATE vanished SET purging = 0 WHERE pubkey = ?');
    this.ownEvents = db
      .prepare('SELECT seq FROM events INDEXED BY events_by_author WHERE pubkey = ? AND created_at <= ? AND id <> ? LIMIT ?')
      .pluck();
    this.giftWraps = db
      .prepare(`SELECT seq FROM tags WHERE name = 'p' AND value = ? AND created_at <= ? AND kind = ${GIFT_WRAP_KIND} LIMIT ?`)
      .pluck();
    this.deletionRecords = db.prepare(
      `DELETE FROM deletions WHERE pubkey = ? AND created_at <= ?
         AND target IN (SELECT target FROM deletions WHERE pubkey = ? AND created_at <= ? LIMIT ?)`,
    );
  }

  /** Why `e` may not be stored (its author, or the recipient of a gift wrap, vanished after it), or undefined. */
  refusal(e: NostrEvent): string | undefined {
    const cut = this.cutOf.get(e.pubkey) as number | undefined;
    if (cut !== undefined && e.created_at <= cut) return 'blocked: this pubkey asked to vanish from this relay (NIP-62)';
    if (e.kind !== GIFT_WRAP_KIND) return undefined;
    for (const t of e.tags) {
      if (t[0] !== 'p' || t[1] === undefined) continue;
      const to = this.cutOf.get(t[1]) as number | undefined;
      if (to !== undefined && e.created_at <= to) return 'blocked: the recipient asked to vanish from this relay (NIP-62)';
    }
    return undefined;
  }

  /**
   * Applies a stored request to vanish (its relay tag already checked): records the cut and deletes up to
   * VANISH_BATCH events via `remove`. Returns whether older events remain for the purge.
   */
  apply(request: NostrEvent, remove: (seq: number) => void): boolean {
    this.record.run(request.pubkey, request.created_at, request.id);
    return this.purgeOne(request.pubkey, request.created_at, request.id, VANISH_BATCH, remove) === VANISH_BATCH;
  }

  /** Deletes up to `max` events of requests still purging; returns how many (call again while it returns `max`). */
  purge(max: number, remove: (seq: number) => void): number {
    let n = 0;
    for (const [pubkey, cut, request] of this.pending.all(max) as [string, number, string][]) {
      n += this.purgeOne(pubkey, cut, request, max - n, remove);
      if (n === max) break;
    }
    return n;
  }

  /** Up to `max` of one request's deletions; marks it done when fewer were left. */
  private purgeOne(pubkey: string, cut: number, request: string, max: number, remove: (seq: number) => void): number {
    const seqs = this.ownEvents.all(pubkey, cut, request, max) as number[];
    if (seqs.length < max) seqs.push(...(this.giftWraps.all(pubkey, cut, max - seqs.length) as number[]));
    for (const seq of seqs) remove(seq);
    let n = seqs.length;
    if (n < max) n += this.deletionRecords.run(pubkey, cut, pubkey, cut, max - n).changes;
    if (n < max) this.done.run(pubkey);
    return n;
  }
}
