import { expirationOf } from '../../nostr/event';
import { committedTarget, powDifficulty } from '../../nostr/pow';
import { refusal } from '../refusal';
import type { EventPolicy } from './policy';
import type { TokenBuckets } from '../../http/token-buckets';

/** NIP-42 AUTH events travel in AUTH messages; NIP-42 says relays must not broadcast or store them. */
const AUTH_KIND = 22242;

// The constant refusals, made once: a flood of refused events allocates none.
const EVENTS_PER_IP = refusal('rate-limited', 'too many events from your address; slow down');
const EVENTS_PER_PUBKEY = refusal('rate-limited', 'too many events from this pubkey; slow down');
export const AUTH_REQUIRED = refusal('auth-required', 'this relay serves only authenticated clients');
const BLOCKED = refusal('blocked', 'this pubkey is blocked on this relay');
const NOT_ALLOWED = refusal('blocked', 'this pubkey is not allowed to publish on this relay');
const AUTH_EVENT = refusal('invalid', 'AUTH events (kind 22242) are sent with AUTH, not EVENT');
const EXPIRED = refusal('invalid', 'event has expired');
const PROTECTED_NOT_AUTHOR = refusal('restricted', 'this event is protected and may only be published by its author');
const PROTECTED_AUTH = refusal('auth-required', 'this event is protected; authenticate as its author to publish it');

/** Per-IP rate of EVENT (and AUTH) messages; a paid STREAM session counts for its ILP peer (`ilp:<peer id>`). */
export const eventsPerIp =
  (buckets: TokenBuckets): EventPolicy =>
  (_e, session) =>
    session.ip === undefined || buckets.take(session.ip) ? undefined : EVENTS_PER_IP;

/** Per-author rate; runs after the signature verifies, so nobody can spend someone else's tokens. */
export const eventsPerPubkey =
  (buckets: TokenBuckets): EventPolicy =>
  (e) =>
    buckets.take(e.pubkey) ? undefined : EVENTS_PER_PUBKEY;

export const authRequired: EventPolicy = (_e, session) =>
  session.authed?.size ? undefined : AUTH_REQUIRED;

export const blockedPubkeys =
  (blocked: ReadonlySet<string>): EventPolicy =>
  (e) =>
    blocked.has(e.pubkey) ? BLOCKED : undefined;

export const allowedPubkeys =
  (allowed: ReadonlySet<string>): EventPolicy =>
  (e) =>
    allowed.has(e.pubkey) ? undefined : NOT_ALLOWED;

export const notAnAuthEvent: EventPolicy = (e) =>
  e.kind === AUTH_KIND ? AUTH_EVENT : undefined;

/** NIP-22: how far from now created_at may be (`past` 0: no lower limit). */
export const createdAtWithin =
  (past: number, future: number): EventPolicy =>
  (e, _s, now) => {
    if (e.created_at > now + future) return refusal('invalid', `created_at is more than ${future} seconds in the future`);
    if (past > 0 && e.created_at < now - past) return refusal('invalid', `created_at is more than ${past} seconds in the past`);
    return undefined;
  };

/** NIP-40: an event already expired is not accepted (it would never be served). */
export const notExpired: EventPolicy = (e, _s, now) => {
  const at = expirationOf(e);
  return at !== null && at <= now ? EXPIRED : undefined;
};

/** NIP-13: the id needs `bits` leading zero bits, and a committed target (nonce tag) may not be lower. */
export const minPow =
  (bits: number): EventPolicy =>
  (e) => {
    const difficulty = powDifficulty(e.id);
    if (difficulty < bits) return refusal('pow', `difficulty ${difficulty} is less than ${bits}`);
    const target = committedTarget(e);
    if (target !== undefined && target < bits) return refusal('pow', `committed target ${target} is less than ${bits}`);
    return undefined;
  };

/** NIP-70: an event tagged `["-"]` may be published only by its author, authenticated on this connection. */
export const protectedEvent: EventPolicy = (e, session) => {
  if (!e.tags.some((t) => t.length === 1 && t[0] === '-')) return undefined;
  if (session.authed?.has(e.pubkey)) return undefined;
  return session.authed?.size ? PROTECTED_NOT_AUTHOR : PROTECTED_AUTH;
};
