import type { NostrEvent } from '../nostr/event';
import type { RelayLink } from './relay-link';

export type FetchResult = { ok: true; events: NostrEvent[] } | { ok: false; reason: string };

let nextSub = 0;

/**
 * Ids per REQ by default: the REQ stays under 8 KB (a relay answers a longer message than its
 * max_message_length with a NOTICE only) and within any max_limit we know of.
 */
export const DEFAULT_FETCH_BATCH = 100;

/**
 * Downloads the events with these ids by REQ, `batch` ids per filter (with limit = batch, so the relay's
 * default limit does not cut it); ids the relay no longer has are simply missing from the result.
 */
export async function fetchEvents(link: RelayLink, ids: string[], batch = DEFAULT_FETCH_BATCH, timeoutMs = 30_000): Promise<FetchResult> {
  const events: NostrEvent[] = [];
  for (let i = 0; i < ids.length; i += batch) {
    const chunk = ids.slice(i, i + batch);
    const wanted = new Set(chunk);
    const subId = `fetch-${++nextSub}`;
    const inbox = link.inbox((m) => m[1] === subId && (m[0] === 'EVENT' || m[0] === 'EOSE' || m[0] === 'CLOSED'));
    try {
      link.send(['REQ', subId, { ids: chunk, limit: chunk.length }]);
      for (;;) {
        const m = await inbox.next(timeoutMs);
        if (m === 'closed') return { ok: false, reason: 'error: the connection closed' };
        if (m === 'timeout') return { ok: false, reason: `error: no EOSE from ${link.url} within ${timeoutMs} ms` };
        if (m[0] === 'CLOSED') return { ok: false, reason: String(m[2]) };
        if (m[0] === 'EOSE') break;
        const e = m[2] as NostrEvent;
        if (e && wanted.delete(e.id)) events.push(e);
      }
      link.send(['CLOSE', subId]);
    } finally {
      inbox.close();
    }
  }
  return { ok: true, events };
}
