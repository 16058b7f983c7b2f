import type { NostrEvent } from '../nostr/event';
import type { RelayLink } from './relay-link';

export interface PublishResult {
  /** Events the relay answered OK true (stored, or already had). */
  accepted: number;
  /** Events it refused or did not answer, with its reason. */
  refused: { id: string; reason: string }[];
}

/** Sends the events, at most `window` awaiting their OK at once, and tallies the answers. */
export async function publishEvents(link: RelayLink, events: NostrEvent[], window = 100, timeoutMs = 30_000): Promise<PublishResult> {
  const result: PublishResult = { accepted: 0, refused: [] };
  const pending = new Set<string>();
  const inbox = link.inbox((m) => m[0] === 'OK' && pending.has(m[1] as string));
  try {
    let next = 0;
    while (next < events.length || pending.size > 0) {
      while (next < events.length && pending.size < window) {
        const e = events[next++];
        pending.add(e.id);
        link.send(['EVENT', e]);
      }
      const m = await inbox.next(timeoutMs);
      if (m === 'closed' || m === 'timeout') {
        const reason = m === 'closed' ? 'error: the connection closed' : `error: no OK within ${timeoutMs} ms`;
        for (const id of pending) result.refused.push({ id, reason });
        for (const e of events.slice(next)) result.refused.push({ id: e.id, reason });
        return result;
      }
      const id = m[1] as string;
      if (!pending.delete(id)) continue;
      if (m[2] === true) result.accepted++;
      else result.refused.push({ id, reason: String(m[3]) });
    }
    return result;
  } finally {
    inbox.close();
  }
}
