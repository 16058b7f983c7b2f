import type { AccountPath } from './account-paths';

/**
 * Expected refusals, returned as values. A connector maps `insufficient_balance`/`exceeds_limit` to ILP T04 and
 * `unknown_account` to T00 (as Dassie does); the relay maps a payer's `insufficient_balance` to
 * `restricted: payment required`.
 */
export type TransferFailure =
  /** The debit account (rule debits ≤ credits) lacks room: `available` is what it could still pay. */
  | { ok: false; reason: 'insufficient_balance'; account: AccountPath; available: bigint }
  /** The credit account (rule credits ≤ debits) would pass its limit: `available` is what it could still take. */
  | { ok: false; reason: 'exceeds_limit'; account: AccountPath; available: bigint }
  /** The path is outside the chart, or an account that must be opened first (a peer's) was not. */
  | { ok: false; reason: 'unknown_account'; account: AccountPath }
  /** A column of this account would pass MAX_AMOUNT. */
  | { ok: false; reason: 'overflow'; account: AccountPath };

/** post/void of a transfer that is not pending: never created, already posted or already voided. */
export interface NotPending {
  ok: false;
  reason: 'not_pending';
}

export const NOT_PENDING: NotPending = Object.freeze({ ok: false, reason: 'not_pending' });
