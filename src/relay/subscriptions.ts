import type { NostrEvent } from '../nostr/event';
import { matchFilter, type Filter } from '../nostr/filter';
import type { Subscription } from './session';

type Entry = { sub: Subscription; filter: Filter };

/**
 * Live subscriptions indexed for fan-out: each filter is filed under its most selective key (an id, an author,
 * a tag value, a kind), so a new event is tested only against the filters that could match it, not all of them.
 */
export class SubscriptionIndex {
  private readonly byKey = new Map<string, Set<Entry>>();
  private readonly everything = new Set<Entry>();
  private readonly entries = new Map<Subscription, Entry[]>();

  get size(): number {
    return this.entries.size;
  }

  add(sub: Subscription): void {
    const entries = sub.filters.map((filter) => ({ sub, filter }));
    this.entries.set(sub, entries);
    for (const entry of entries) {
      const keys = keysOf(entry.filter);
      if (!keys) this.everything.add(entry);
      else for (const k of keys) this.bucket(k).add(entry);
    }
  }

  remove(sub: Subscription): void {
    const entries = this.entries.get(sub);
    if (!entries) return;
    this.entries.delete(sub);
    for (const entry of entries) {
      const keys = keysOf(entry.filter);
      if (!keys) this.everything.delete(entry);
      else
        for (const k of keys) {
          const b = this.byKey.get(k);
          b?.delete(entry);
          if (b?.size === 0) this.byKey.delete(k);
        }
    }
  }

  /** The subscriptions (each once) with at least one filter that matches the event. */
  match(e: NostrEvent): Set<Subscription> {
    const hits = new Set<Subscription>();
    const test = (entries: Set<Entry> | undefined) => {
      if (!entries) return;
      for (const { sub, filter } of entries) if (!hits.has(sub) && matchFilter(filter, e)) hits.add(sub);
    };
    test(this.everything);
    test(this.byKey.get(`i${e.id}`));
    test(this.byKey.get(`a${e.pubkey}`));
    test(this.byKey.get(`k${e.kind}`));
    for (const t of e.tags) if (t[0].length === 1 && t.length > 1) test(this.byKey.get(`t${t[0]}:${t[1]}`));
    return hits;
  }

  private bucket(key: string): Set<Entry> {
    let b = this.byKey.get(key);
    if (!b) this.byKey.set(key, (b = new Set()));
    return b;
  }
}

/** The keys a filter is filed under (any one of them must be present in a matching event), or null for all. */
function keysOf(f: Filter): string[] | null {
  if (f.ids) return f.ids.map((id) => `i${id}`);
  if (f.authors) return f.authors.map((a) => `a${a}`);
  if (f.tags.length > 0) {
    const [name, values] = f.tags.reduce((best, t) => (t[1].length < best[1].length ? t : best));
    return values.map((v) => `t${name}:${v}`);
  }
  if (f.kinds) return f.kinds.map((k) => `k${k}`);
  return null;
}
