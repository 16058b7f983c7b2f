import { checkShape, computeId, serializeForId, type NostrEvent } from '../nostr/event';
import { verifySignature } from '../nostr/verify';

/** NIP-98 HTTP Auth event kind. */
export const HTTP_AUTH_KIND = 27235;
/** How far the event's created_at may be from now, in seconds (NIP-98 suggests 60). */
export const NIP98_WINDOW_SECONDS = 60;
/** The header is small; anything longer is not a NIP-98 event worth decoding. */
const MAX_HEADER_CHARS = 8192;
const LIMITS = { maxEventTags: 20, maxContentLength: 1024 };

const tag = (e: NostrEvent, name: string): string | undefined => e.tags.find((t) => t[0] === name)?.[1];

/**
 * Checks `Authorization: Nostr <base64 event>` (NIP-98): a kind 27235 event signed by `pubkey`, its `u` tag the
 * exact URL, its `method` tag the method, created within the window. Returns undefined when it proves the key,
 * else why not.
 */
export function checkNip98(header: string | undefined, pubkey: string, url: string, method: string, now = Date.now()): string | undefined {
  const m = /^Nostr ([A-Za-z0-9+/=_-]+)$/.exec(header ?? '');
  if (!m || header!.length > MAX_HEADER_CHARS) return 'an Authorization: Nostr <base64 event> header (NIP-98) is required';
  let e: unknown;
  try {
    e = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
  } catch {
    return 'the Authorization header is not a base64 JSON event';
  }
  const shape = checkShape(e, LIMITS);
  if (shape) return `invalid event: ${shape}`;
  const ev = e as NostrEvent;
  if (ev.kind !== HTTP_AUTH_KIND) return `the event must be of kind ${HTTP_AUTH_KIND}`;
  if (ev.pubkey !== pubkey) return 'the event is not signed by this pubkey';
  if (Math.abs(now / 1000 - ev.created_at) > NIP98_WINDOW_SECONDS) return `the event's created_at is more than ${NIP98_WINDOW_SECONDS} s from now`;
  if (tag(ev, 'u') !== url) return `the event's u tag must be ${url}`;
  if (tag(ev, 'method')?.toUpperCase() !== method) return `the event's method tag must be ${method}`;
  if (computeId(serializeForId(ev)) !== ev.id) return 'the event id does not match its content';
  if (!verifySignature(ev.id, ev.pubkey, ev.sig)) return 'the event signature is not valid';
  return undefined;
}
