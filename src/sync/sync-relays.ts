import { ItemSetBuilder, itemSetOf } from '../nostr/negentropy';
import type { NostrEvent } from '../nostr/event';
import { fetchEvents } from './fetch-events';
import { publishEvents } from './publish-events';
import { reconcileWithRelay, type ReconcileOptions } from './reconcile-with-relay';
import { RelayLink, type WebSocketConstructor } from './relay-link';

export interface SyncOptions extends Omit<ReconcileOptions, 'subId'> {
  WebSocket?: WebSocketConstructor;
  /** Ids per REQ when downloading (default 100): keep the REQ under both relays' max_message_length and max_limit. */
  batch?: number;
}

export type SyncResult =
  | {
      ok: true;
      /** Events A had and B lacked, now sent to B (accepted by it). */
      toB: number;
      /** Events B had and A lacked, now sent to A (accepted by it). */
      toA: number;
      /** Events a relay refused, with the relay (a or b) and its reason. */
      refused: { relay: 'a' | 'b'; id: string; reason: string }[];
    }
  | { ok: false; reason: string };

/**
 * Makes two relays hold the same events matching `filter`, both ways, from outside either of them:
 * 1. learn A's ids (NIP-77 with an empty set of ours) and download those events from A;
 * 2. reconcile them with B (NIP-77): `have` are A's events B lacks, `need` are B's events A lacks;
 * 3. publish `have` to B; fetch `need` from B by REQ ids and publish them to A.
 * A's matching events cross the wire once; of B's, only the ids and the ones A lacks.
 */
export async function syncRelays(a: string, b: string, filter: Record<string, unknown>, options: SyncOptions = {}): Promise<SyncResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const links: RelayLink[] = [];
  try {
    const linkA = await RelayLink.open(a, options.WebSocket, timeoutMs);
    links.push(linkA);
    const linkB = await RelayLink.open(b, options.WebSocket, timeoutMs);
    links.push(linkB);

    const listed = await reconcileWithRelay(linkA, filter, new ItemSetBuilder().build(), options);
    if (!listed.ok) return { ok: false, reason: `${a}: ${listed.reason}` };
    const fromA = await fetchEvents(linkA, listed.need, options.batch, timeoutMs);
    if (!fromA.ok) return { ok: false, reason: `${a}: ${fromA.reason}` };

    const diff = await reconcileWithRelay(linkB, filter, itemSetOf(fromA.events), options);
    if (!diff.ok) return { ok: false, reason: `${b}: ${diff.reason}` };

    const missingInB = new Set(diff.have);
    const toB = await publishEvents(linkB, fromA.events.filter((e: NostrEvent) => missingInB.has(e.id)), undefined, timeoutMs);
    const fromB = await fetchEvents(linkB, diff.need, options.batch, timeoutMs);
    if (!fromB.ok) return { ok: false, reason: `${b}: ${fromB.reason}` };
    const toA = await publishEvents(linkA, fromB.events, undefined, timeoutMs);
    return {
      ok: true,
      toB: toB.accepted,
      toA: toA.accepted,
      refused: [...toB.refused.map((r) => ({ relay: 'b' as const, ...r })), ...toA.refused.map((r) => ({ relay: 'a' as const, ...r }))],
    };
  } catch (err) {
    return { ok: false, reason: `error: ${(err as Error).message}` };
  } finally {
    for (const l of links) l.close();
  }
}
