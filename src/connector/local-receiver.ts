import type { IlpFulfill, IlpPrepare, IlpReject } from '../ilp';
import type { AccountPath } from '../ledger/account-paths';

export type IlpReply = IlpFulfill | IlpReject;

export const isFulfill = (reply: IlpReply): reply is IlpFulfill => 'fulfillment' in reply;

/**
 * What one accepted packet's money does: the connector moves it in one ledger transaction (Dr
 * assets/interledger/<sender peer>, Cr `account`). What else that transaction must record for the packet (say, the
 * incoming payment whose receivedAmount it raises) is a field beside these.
 */
export interface Credit {
  account: AccountPath;
  amount: bigint;
  /** An Open Payments incoming payment (its id): its receivedAmount moves in the credit's transaction. */
  incomingPayment?: string;
}

/** A packet the local receiver takes, pending its credit. */
export interface Accepted extends Credit {
  /** The credit is durable (or the amount is 0): processes the packet's data and builds the Fulfill. */
  deliver(): IlpFulfill;
  /** The credit failed and its Reject answers the packet: nothing of the packet is processed. */
  refused(): void;
}

export const isAccepted = (a: Accepted | IlpReject): a is Accepted => 'deliver' in a;

/**
 * Where the connector delivers Prepares addressed to this node (`<ILP_ADDRESS>.…`), other than ILDCP, in two
 * phases: accept() checks the packet before money moves; the connector credits it and only then calls deliver().
 */
export interface LocalReceiver {
  /** `from`: the id of the peer the Prepare came from (per-peer bounds and limits). */
  accept(prepare: IlpPrepare, from: string): Accepted | IlpReject;
}

/** Sends a Prepare this node originates (e.g. STREAM data pushed to a client) along the routing table. */
export type SendPrepare = (prepare: IlpPrepare) => Promise<IlpReply>;
