import type { NostrEvent } from '../../nostr/event';
import type { Filter } from '../../nostr/filter';
import type { Refusal } from '../refusal';
import type { Session } from '../session';

/** A refusal (`blocked`, `rate-limited`, …: relay/refusal.ts), or undefined to let the message through. */
export type Verdict = Refusal | undefined;

/** Judges an EVENT (or AUTH) whose shape is valid; `now` in unix seconds. */
export type EventPolicy = (e: NostrEvent, session: Session, now: number) => Verdict;

/** Judges a REQ or COUNT whose filters are valid. */
export type FilterPolicy = (filters: Filter[], session: Session) => Verdict;

/** The first refusal of a list of event policies, in order (cheap and broad ones first), or undefined. */
export function refuseEvent(policies: readonly EventPolicy[], e: NostrEvent, session: Session, now: number): Verdict {
  for (let i = 0; i < policies.length; i++) {
    const verdict = policies[i](e, session, now);
    if (verdict !== undefined) return verdict;
  }
  return undefined;
}

/** The first refusal of a list of filter policies, in order, or undefined. */
export function refuseFilters(policies: readonly FilterPolicy[], filters: Filter[], session: Session): Verdict {
  for (let i = 0; i < policies.length; i++) {
    const verdict = policies[i](filters, session);
    if (verdict !== undefined) return verdict;
  }
  return undefined;
}
