import { VANISH_KIND } from '../../storage/vanish';
import type { EventPolicy } from './policy';

/**
 * NIP-62: relays that restrict who can post must still follow a request to vanish, whatever the pubkey's status.
 * Wraps a block or allow list so that kind 62 passes it; the store then acts only on one naming this relay.
 */
export const exceptRequestsToVanish =
  (policy: EventPolicy): EventPolicy =>
  (e, session, now) =>
    e.kind === VANISH_KIND ? undefined : policy(e, session, now);
