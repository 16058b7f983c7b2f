/**
 * RFC 27 timing. A Prepare needs at least MIN_MESSAGE_WINDOW left when it reaches us (for our processing and the
 * reply's trip back); a forwarded one leaves with that much less, so the next hop expires before we do. We hold
 * a packet at most MAX_HOLD_TIME whatever its expiry says, so a peer can't pin our pending balances for long.
 */
export const MIN_MESSAGE_WINDOW = 1_000;
export const MAX_HOLD_TIME = 30_000;

/** The expiry a forwarded Prepare leaves with, or undefined when too little time is left (R02). */
export function outgoingExpiry(incoming: Date, now: number): Date | undefined {
  const left = incoming.getTime() - now;
  if (left < MIN_MESSAGE_WINDOW) return undefined;
  return new Date(Math.min(incoming.getTime() - MIN_MESSAGE_WINDOW, now + MAX_HOLD_TIME));
}
