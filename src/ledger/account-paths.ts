/**
 * Chart of accounts (Dassie's, one ledger: every amount is in the smallest unit of ASSET_CODE/ASSET_SCALE).
 * Debits grow assets, credits grow liabilities, revenue and equity; Σ(credits − debits) over all accounts is 0.
 *
 *   assets/
 *     interledger/<peerId>     what BTP peer <peerId> owes us. Rule debits ≤ credits + limit, where the limit is
 *                              the peer's creditLimit; opened per configured peer (openAccount), never on demand.
 *     settlement               money that reached us outside ILP (settlements, deposits). No rule; on demand.
 *   contra/
 *     trust/<peerId>           Dassie's way to grant credit: a posting Dr contra/trust Cr assets/interledger.
 *                              Rule credits ≤ debits. We grant credit with the numeric limit instead (a config
 *                              change is then an UPDATE, not a posting); kept for journaled credit lines.
 *   liabilities/
 *     balances/<pubkey hex>    prepaid balance of a Nostr pubkey (64 lowercase hex). Rule debits ≤ credits: a
 *                              pubkey never spends more than it paid in. On demand.
 *   revenue/
 *     relay-fees               what stored events were charged. No rule; on demand.
 *   equity/
 *     owner                    the operator's money; also the endpoint of the operator's own BTP clients. On demand.
 *
 * Flows:
 *   ILP Prepare from peer P paying pubkey K   Dr assets/interledger/P    Cr liabilities/balances/K
 *                                             (pending; posted on Fulfill, voided on Reject or expiry)
 *   event stored, authored by K               Dr liabilities/balances/K  Cr revenue/relay-fees
 *   settlement received from P                Dr assets/settlement       Cr assets/interledger/P
 */

export type PeerAccountPath = `assets/interledger/${string}`;
export type TrustAccountPath = `contra/trust/${string}`;
export type BalanceAccountPath = `liabilities/balances/${string}`;

export type AccountPath =
  | PeerAccountPath
  | 'assets/settlement'
  | TrustAccountPath
  | BalanceAccountPath
  | 'revenue/relay-fees'
  | 'equity/owner';

/**
 * Which side an account keeps bounded. `debits_must_not_exceed_credits`: debits (posted + pending) ≤ posted
 * credits + limit. `credits_must_not_exceed_debits`: credits (posted + pending) ≤ posted debits + limit.
 */
export type LimitRule = 'debits_must_not_exceed_credits' | 'credits_must_not_exceed_debits' | 'none';

export interface AccountKind {
  rule: LimitRule;
  /** Created with a zero balance the first time a transfer touches it; otherwise it must be opened first. */
  onDemand: boolean;
}

const PEER: AccountKind = { rule: 'debits_must_not_exceed_credits', onDemand: false };
const TRUST: AccountKind = { rule: 'credits_must_not_exceed_debits', onDemand: false };
const BALANCE: AccountKind = { rule: 'debits_must_not_exceed_credits', onDemand: true };
const FREE: AccountKind = { rule: 'none', onDemand: true };

const SINGLETONS: ReadonlyMap<string, AccountKind> = new Map([
  ['assets/settlement', FREE],
  ['revenue/relay-fees', FREE],
  ['equity/owner', FREE],
]);

// A peer id becomes the last segment of its ILP address `<ILP_ADDRESS>.<peerId>` (RFC 15 segment characters).
const PEER_ID = /^[A-Za-z0-9_~-]+$/;

/** Whether `id` can name a peer's accounts (what peerAccount accepts). */
export const isPeerId = (id: string): boolean => PEER_ID.test(id);
// One spelling per key, or the same pubkey would own two balances.
const PUBKEY = /^[0-9a-f]{64}$/;

/** The kind of a path, or undefined for a path outside the chart. */
export function accountKind(path: string): AccountKind | undefined {
  if (path.startsWith('liabilities/balances/')) return PUBKEY.test(path.slice(21)) ? BALANCE : undefined;
  if (path.startsWith('assets/interledger/')) return PEER_ID.test(path.slice(19)) ? PEER : undefined;
  if (path.startsWith('contra/trust/')) return PEER_ID.test(path.slice(13)) ? TRUST : undefined;
  return SINGLETONS.get(path);
}

/** `liabilities/balances/<pubkey>`; throws on anything but 64 hex characters (lowercased here). */
export function balanceAccount(pubkeyHex: string): BalanceAccountPath {
  const pubkey = pubkeyHex.toLowerCase();
  if (!PUBKEY.test(pubkey)) throw new TypeError(`ledger: not a hex pubkey: ${pubkeyHex}`);
  return `liabilities/balances/${pubkey}`;
}

/** `assets/interledger/<peerId>`; throws when the id is not an ILP address segment. */
export function peerAccount(peerId: string): PeerAccountPath {
  if (!PEER_ID.test(peerId)) throw new TypeError(`ledger: not a valid peer id: ${peerId}`);
  return `assets/interledger/${peerId}`;
}

/** `contra/trust/<peerId>`. */
export function trustAccount(peerId: string): TrustAccountPath {
  if (!PEER_ID.test(peerId)) throw new TypeError(`ledger: not a valid peer id: ${peerId}`);
  return `contra/trust/${peerId}`;
}
