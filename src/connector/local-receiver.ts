import type { IlpFulfill, IlpPrepare, IlpReject } from '../ilp';
import type { AccountPath } from '../ledger/account-paths';

export type IlpReply = IlpFulfill | IlpReject;

export const isFulfill = (reply: IlpReply): reply is IlpFulfill => 'fulfillment' in reply;

/**
 * Moves a fulfilled packet's money, at once and in one ledger transaction: Dr assets/interledger/<sender peer>,
 * Cr `account`. Fails (with the Reject to answer, T04 when it would pass the peer's credit limit) without moving.
 */
export type Credit = (account: AccountPath, amount: bigint) => { ok: true } | { ok: false; reject: IlpReject };

/** Where the connector delivers Prepares addressed to this node (`<ILP_ADDRESS>.…`), other than ILDCP. */
export interface LocalReceiver {
  handle(prepare: IlpPrepare, credit: Credit): Promise<IlpReply> | IlpReply;
}

/** Sends a Prepare this node originates (e.g. STREAM data pushed to a client) along the routing table. */
export type SendPrepare = (prepare: IlpPrepare) => Promise<IlpReply>;
