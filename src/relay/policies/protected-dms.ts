import type { NostrEvent } from '../../nostr/event';
import type { Visibility } from '../../storage/query';
import { refusal } from '../refusal';
import type { Session } from '../session';
import type { FilterPolicy } from './policy';

/** NIP-04 direct messages and NIP-59 gift wraps: with PROTECTED_DMS, served only to their parties. */
export const PROTECTED_DM_KINDS: readonly number[] = [4, 1059];
const protectedKinds: ReadonlySet<number> = new Set(PROTECTED_DM_KINDS);

export const isProtectedDm = (kind: number): boolean => protectedKinds.has(kind);

/** Whether one of `pubkeys` is a party of the message: its author or a `p`-tagged recipient. */
export function isParty(e: NostrEvent, pubkeys: ReadonlySet<string> | undefined): boolean {
  if (!pubkeys || pubkeys.size === 0) return false;
  if (pubkeys.has(e.pubkey)) return true;
  return e.tags.some((t) => t[0] === 'p' && t[1] !== undefined && pubkeys.has(t[1]));
}

/** What a session may read of the protected kinds: the messages of its authenticated pubkeys. */
export const visibilityOf = (session: Session): Visibility => ({
  kinds: PROTECTED_DM_KINDS,
  parties: session.authed ? [...session.authed] : [],
});

/**
 * A REQ or COUNT that asks for DMs by kind needs an authenticated session (NIP-42 flow: CLOSED "auth-required:",
 * AUTH, REQ again). Other filters are served, with the messages the session is not a party to left out.
 */
const DMS_NEED_AUTH = refusal('auth-required', 'direct messages are served only to their authenticated parties');

export const dmsNeedAuth: FilterPolicy = (filters, session) =>
  !session.authed?.size && filters.some((f) => f.kinds?.some(isProtectedDm))
    ? DMS_NEED_AUTH
    : undefined;
