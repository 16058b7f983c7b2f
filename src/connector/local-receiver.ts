import type { IlpFulfill, IlpPrepare, IlpReject } from '../ilp';
import type { AccountPath } from '../ledger/account-paths';

export type IlpReply = IlpFulfill | IlpReject;

export const isFulfill = (reply: IlpReply): reply is IlpFulfill => 'fulfillment' in reply;

export type CreditResult = { ok: true } | { ok: false; reject: IlpReject };

/**
 * Moves a packet's money in one ledger transaction (Dr assets/interledger/<sender peer>, Cr `account`) and resolves
 * once it is on disk and the Prepare has not expired meanwhile, so whatever the caller then does (process the
 * packet's data, Fulfill) is paid for. Otherwise it resolves with the Reject to answer and no money moved: T04
 * over the peer's credit limit, T00 when the write did not reach the disk, R00 when the Prepare expired while the
 * credit was written (the credit is then undone). With `incomingPayment` (an Open Payments incoming payment's id),
 * its receivedAmount moves in the same transaction, and a payment that is completed or expired takes nothing (F99).
 */
export type Credit = (account: AccountPath, amount: bigint, incomingPayment?: string) => Promise<CreditResult>;

/** Where the connector delivers Prepares addressed to this node (`<ILP_ADDRESS>.…`), other than ILDCP. */
export interface LocalReceiver {
  /** `from`: the id of the peer the Prepare came from (per-peer bounds and limits). */
  handle(prepare: IlpPrepare, credit: Credit, from: string): Promise<IlpReply> | IlpReply;
}

/** Sends a Prepare this node originates (e.g. STREAM data pushed to a client) along the routing table. */
export type SendPrepare = (prepare: IlpPrepare) => Promise<IlpReply>;
